"""Benchmark: the whole create (eksa.anywhere.create_cluster via the demo playbook) in the lab with capi-sim's delays at zero,
split by phase, against a baseline measured in the same run (an ansible-playbook run of a no-op play: interpreter start,
collection loading, one task).

    make bench-create      (or: .venv/bin/python bench/create.py --repeat 3, with the lab up and its LAB_* environment)

Prints one line per phase and a last line `create total=S.SSs baseline=S.SSs ratio=R.R`.
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

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _env(workdir):
    env = dict(os.environ)
    env["EKSA_VSPHERE_USERNAME"] = env["LAB_VSPHERE_USERNAME"]
    env["EKSA_VSPHERE_PASSWORD"] = env["LAB_VSPHERE_PASSWORD"]
    top = Path(workdir) / "collections"
    (top / "ansible_collections" / "eksa").mkdir(parents=True, exist_ok=True)
    link = top / "ansible_collections" / "eksa" / "anywhere"
    if not link.exists():
        link.symlink_to(REPO)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(top)
    env["ANSIBLE_CALLBACK_PLUGINS"] = str(REPO / "bench" / "callback_plugins")
    env["ANSIBLE_CALLBACKS_ENABLED"] = "phase_timer"
    env["ANSIBLE_LOCAL_TEMP"] = str(Path(workdir) / "tmp")
    return env


def run(cmd, env, cwd):
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False, timeout=1800)
    took = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("benchmark run failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-2000:]))
    return took


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if not os.environ.get("LAB_BUNDLE"):
        sys.exit("the lab's environment is not set: run `make bench-create`, or `make lab-up` and eval \"$(make -s lab-env)\"")
    totals, baselines, phases = [], [], {}
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="eksa-bench-create-") as workdir:
            env = _env(workdir)
            noop = Path(workdir) / "noop.yml"
            noop.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n    - ansible.builtin.debug: {msg: noop}\n")
            baselines.append(run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(noop)], env, workdir))
            env["PHASE_TIMER_OUT"] = str(Path(workdir) / "phases.json")
            name = "bench%d" % i
            totals.append(run([str(BIN / "ansible-playbook"), "-i", str(REPO / "inventories/localhost/hosts.yml"),
                               str(REPO / "playbooks/demo.yml"), "-e", "demo_dir=%s" % workdir, "-e", "demo_cluster_name=%s" % name],
                              env, workdir))
            for phase, secs in json.loads(Path(env["PHASE_TIMER_OUT"]).read_text())["phases"].items():
                phases.setdefault(phase, []).append(secs)
    total, base = statistics.median(totals), statistics.median(baselines)
    for phase in ["setup and validations", "bootstrap", "capi-install", "workload", "networking", "move", "eksa-components",
                  "finalize", "other"]:
        if phase in phases:
            print("phase %-22s %6.2fs" % (phase, statistics.median(phases[phase])))
    print("create total=%.2fs baseline=%.2fs ratio=%.1f" % (total, base, total / base))
    if args.json:
        Path(args.json).write_text(json.dumps({"total": total, "baseline": base, "phases": {
            k: statistics.median(v) for k, v in phases.items()}}, indent=2))


if __name__ == "__main__":
    main()
