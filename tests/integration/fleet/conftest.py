"""Fleet integration tests: `pytest tests/integration/fleet -m lab` (the lab fixture, the workload tests' management
cluster and the AWX job helpers)."""
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
for folder in (HERE.parent / "lab", HERE.parent / "workload", HERE.parent / "awx"):
    sys.path.insert(0, str(folder))

# pylint: disable-next=wrong-import-position,unused-import
from lab_fixture import lab, pytest_configure  # noqa: E402,F401
from workload_lab import management_cluster_dir  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope="session")
def management_cluster(lab, tmp_path_factory):  # pylint: disable=redefined-outer-name
    """The management cluster's folder (workload_lab.MGMT): the one tests/integration/workload uses, made once."""
    return management_cluster_dir(lab, tmp_path_factory)
