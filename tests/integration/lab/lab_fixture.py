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


JOB_MARKER = "EKSA_TEST_JOB"


def job_marker() -> dict:
    """An environment variable to give a job (ansible-playbook or an AWX job) so that every process it starts can be
    found again by :func:`end_job_processes`."""
    return {JOB_MARKER: os.urandom(8).hex()}


def end_job_processes(marker: dict, rounds: int = 20) -> int:
    """SIGKILL every process left from a job: the processes whose environment holds the job's marker.

    A job killed as a machine or a container ends: AWX runs a job in an execution environment's container (or a container
    group's pod), and a canceled job's container goes with everything in it. ansible-runner's cancel alone kills
    ansible-playbook's process group, and since ansible-core 2.21 each worker is a session of its own, so a module
    and what it runs (clusterctl) would go on as orphans. Returns how many processes were killed."""
    import signal  # pylint: disable=import-outside-toplevel
    import time  # pylint: disable=import-outside-toplevel

    (key, value), = marker.items()
    needle = ("%s=%s" % (key, value)).encode() + b"\0"
    killed = 0
    for _round in range(rounds):
        found = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open("/proc/%s/environ" % entry, "rb") as handle:
                    if needle not in handle.read() + b"\0":
                        continue
                os.kill(int(entry), signal.SIGKILL)
                found += 1
            except (OSError, ProcessLookupError):
                continue
        if not found:
            break
        killed += found
        time.sleep(0.2)
    return killed


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
