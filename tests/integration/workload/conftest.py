"""Workload-cluster integration tests: `pytest tests/integration/workload -m lab` (uses the lab fixture)."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# pylint: disable-next=wrong-import-position,unused-import
from lab_fixture import lab, pytest_configure  # noqa: E402,F401
from workload_lab import management_cluster_dir  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope="session")
def management_cluster(lab, tmp_path_factory):  # pylint: disable=redefined-outer-name
    """The management cluster's folder (workload_lab.MGMT), shared with tests/integration/fleet."""
    return management_cluster_dir(lab, tmp_path_factory)
