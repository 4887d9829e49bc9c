"""Session-scoped pytest fixture `lab`: the running test lab's environment as a dict.

Use it from any test package with

    pytest_plugins = ["tests.integration.lab.lab_fixture"]     # in the top-level conftest.py
    # or, when tests/ is not a package: sys.path.insert(0, "<repo>/tests/integration/lab") and
    # pytest_plugins = ["lab_fixture"]

    @pytest.mark.lab
    def test_something(lab):
        lab["LAB_BOOTSTRAP_KUBECONFIG"] ...

Keys (same names as `make lab-env`): LAB_BOOTSTRAP_KUBECONFIG, LAB_WORKLOAD_KUBECONFIG,
LAB_VSPHERE_SERVER (host:port), LAB_VSPHERE_USERNAME, LAB_VSPHERE_PASSWORD, LAB_VSPHERE_THUMBPRINT,
LAB_VSPHERE_CA_FILE, LAB_BUNDLE, LAB_CLUSTERCTL_CONFIG, LAB_BIN, LAB_STATE_DIR.

The fixture builds the lab if needed and starts it unless it is already up; it stops it at the end of
the session only if it started it (set LAB_KEEP=1 to leave it running). A lab that cannot be built or
started (e.g. a Go module that cannot be fetched) FAILS the tests with the lab's message; it never skips.
"""
from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
LAB_DIR = REPO / "tests" / "lab"


def _lab_module():
    if str(LAB_DIR) not in sys.path:
        sys.path.insert(0, str(LAB_DIR))
    import lab  # noqa: WPS433 - tests/lab/lab.py

    return lab


def endpoint_host(name: str) -> str:
    """The control-plane endpoint (a loopback address) a test's cluster `name` gets: one of its own. With the real
    controllers the simulated guest serves each cluster's VIP on it (tests/lab/README.md), so two clusters of a lab,
    or a test's and `make demo`'s (127.0.0.11), never share one. The same name always gets the same address."""
    h = zlib.crc32(name.encode())
    return "127.0.%d.%d" % (100 + h % 100, 1 + (h // 100) % 250)


def shared_dir() -> Path:
    return Path(os.environ.get("EKSA_SHARED_DIR") or REPO.parent / "shared").resolve()


def pytest_configure(config):
    config.addinivalue_line("markers", "lab: needs the test lab (tests/lab); started by the `lab` fixture")
    config.addinivalue_line("markers", "slow: more cases of a kind make test already covers (make integration-all runs them)")


@pytest.fixture(scope="session")
def lab():
    labmod = _lab_module()
    st = labmod._read_state(labmod.state_dir())  # noqa: SLF001
    started = False
    if not (st and labmod._healthy(labmod.state_dir(), st)):  # noqa: SLF001
        p = subprocess.run([sys.executable, str(LAB_DIR / "lab.py"), "up"], capture_output=True, text=True,
                           check=False)
        if p.returncode != 0:
            pytest.fail(f"the lab could not be started:\n{p.stderr[-4000:]}", pytrace=False)
        started = True
        st = labmod._read_state(labmod.state_dir())  # noqa: SLF001
    env = labmod.env_values(st)
    yield env
    if started and os.environ.get("LAB_KEEP") != "1":
        subprocess.run([sys.executable, str(LAB_DIR / "lab.py"), "down"], check=False)
