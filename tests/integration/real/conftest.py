"""Real-controller integration tests: `pytest tests/integration/real -m lab` (a lab with LAB_CONTROLLERS=real)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))

from lab_fixture import lab, pytest_configure  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
