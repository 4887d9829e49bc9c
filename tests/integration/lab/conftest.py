"""Lab integration tests: `pytest tests/integration/lab -m lab` (or `make lab-test`).

The `lab` fixture lives in lab_fixture.py so other test packages can reuse it (see its docstring).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lab_fixture import lab, pytest_configure  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import
