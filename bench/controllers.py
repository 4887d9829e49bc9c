"""Benchmark: the demo's create with the REAL Cluster API controllers (LAB_CONTROLLERS=real: real-controllers +
guest-sim) against capi-sim (LAB_CONTROLLERS=sim), measured in the same run.

For each mode, --repeat times: a fresh lab of that mode in its own state dir (lab down + up, not timed), then the demo
playbook (eksa.anywhere.create_cluster) timed end to end, then the lab's memory (RSS of every lab process, the
managers and the simulated guest's processes included) and the lab is stopped. capi-sim runs with its delay at zero.

    make bench-controllers     (or: .venv/bin/python bench/controllers.py --repeat 1)

Prints `controllers mode=sim create=S.SSs lab_rss=M MiB`, the same for mode=real, then
`controllers real/sim ratio=R.RR` (the median create of real over that of sim).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
LAB_PY = REPO / "tests" / "lab" / "lab.py"
sys.path.insert(0, str(BENCH))

from create import _env  # noqa: E402  pylint: disable=wrong-import-position


def lab(env, *args):
    proc = subprocess.run([sys.executable, str(LAB_PY)] + list(args), env=env, capture_output=True, text=True,
                          check=False, timeout=900)
    if proc.returncode != 0:
        sys.exit("lab %s failed:\n%s" % (" ".join(args), proc.stderr[-2000:]))
    return proc.stdout


def lab_rss_mib(state_dir):
    """RSS of every process the lab started (its pid files: API servers, etcd, vcsim, managers, guest, sims)."""
    total = 0
    for pidfile in (Path(state_dir) / "pids").glob("*.pid"):
        pid = json.loads(pidfile.read_text())["pid"]
        for proc in [pid] + _children(pid):
            try:
                for line in Path("/proc/%d/status" % proc).read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
    return total // 1024


def _children(pid):
    try:
        return [int(c) for c in Path("/proc/%d/task/%d/children" % (pid, pid)).read_text().split()]
    except OSError:
        return []


def measure(mode, index, base):
    state = Path(base) / ("lab-%s" % mode)
    env = dict(os.environ, LAB_STATE_DIR=str(state), LAB_CONTROLLERS=mode, LAB_CAPI_SIM_DELAY="0")
    lab(env, "down")
    lab(env, "up")
    env.update(json.loads(lab(env, "env", "--json")))
    try:
        with tempfile.TemporaryDirectory(prefix="eksa-bench-controllers-") as workdir:
            saved = dict(os.environ)
            os.environ.update(env)
            try:
                run_env = _env(workdir, REPO)
            finally:
                os.environ.clear()
                os.environ.update(saved)
            run_env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
            start = time.monotonic()
            proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i",
                                   str(REPO / "inventories/localhost/hosts.yml"), str(REPO / "playbooks/demo.yml"),
                                   "-e", "demo_dir=%s" % workdir, "-e", "demo_cluster_name=bench%d" % index],
                                  env=run_env, cwd=workdir, capture_output=True, text=True, check=False, timeout=1800)
            took = time.monotonic() - start
            if proc.returncode != 0:
                sys.exit("create (%s) failed:\n%s" % (mode, proc.stdout[-3000:]))
            return took, lab_rss_mib(state)
    finally:
        lab(env, "down")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    figures = {"sim": [], "real": []}
    with tempfile.TemporaryDirectory(prefix="eksa-bench-labs-") as base:
        for i in range(args.repeat):
            for mode in ("sim", "real"):
                figures[mode].append(measure(mode, i, base))
    median = {}
    for mode in ("sim", "real"):
        median[mode] = statistics.median(create for create, rss in figures[mode])
        print("controllers mode=%s create=%.2fs lab_rss=%d MiB" % (mode, median[mode],
                                                                   max(rss for create, rss in figures[mode])))
    ratio = median["real"] / median["sim"]
    print("controllers real/sim ratio=%.2f" % ratio)


if __name__ == "__main__":
    main()
