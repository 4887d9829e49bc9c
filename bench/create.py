"""Benchmark: the whole create (eksa.anywhere.create_cluster via the demo playbook) in the lab with capi-sim's delays at zero,
split by phase, against two baselines measured in the same run:

* ``baseline`` - an ansible-playbook run of a no-op play (interpreter start, collection loading, one task);
* ``baseline_cli`` - bench/create_cli.sh, the same API work scripted by hand with the same binaries (kubectl apply of the
  same manifests, clusterctl init from the same offline repository, kubectl wait on the same conditions, clusterctl
  move), what a user would write without this collection.

Each measured create and each baseline_cli run starts from a fresh lab (``--fresh-lab``, the default of
``make bench-create``: lab down + up, not timed), so both pay the same work, clusterctl init included.

    make bench-create      (or: .venv/bin/python bench/create.py --repeat 3 --fresh-lab, with LAB_STATE_DIR set)

Prints one line per phase, then `create total=S.SSs baseline=S.SSs ratio=R.R` and
`create total=S.SSs baseline_cli=S.SSs ratio_cli=R.RR`.
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
BIN = Path(sys.executable).parent
PHASES = ["setup and validations", "bootstrap", "capi-install", "workload", "networking", "move", "eksa-components",
          "finalize", "other"]


LAB_PY = BENCH.parent / "tests" / "lab" / "lab.py"


def lab(*args):
    """Run the lab's driver (of the measured checkout: its capi-sim too) and return its stdout."""
    proc = subprocess.run([sys.executable, str(LAB_PY)] + list(args),
                          capture_output=True, text=True, check=False, timeout=600,
                          env=dict(os.environ, LAB_CAPI_SIM_DELAY="0"))
    if proc.returncode != 0:
        sys.exit("lab %s failed:\n%s" % (" ".join(args), proc.stderr[-2000:]))
    return proc.stdout


def fresh_lab():
    lab("down")
    lab("up")
    os.environ.update(json.loads(lab("env", "--json")))


def _env(workdir, repo):
    env = dict(os.environ)
    env["EKSA_VSPHERE_USERNAME"] = env["LAB_VSPHERE_USERNAME"]
    env["EKSA_VSPHERE_PASSWORD"] = env["LAB_VSPHERE_PASSWORD"]
    top = Path(workdir) / "collections"
    (top / "ansible_collections" / "eksa").mkdir(parents=True, exist_ok=True)
    link = top / "ansible_collections" / "eksa" / "anywhere"
    if not link.exists():
        link.symlink_to(repo)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(top)
    env["ANSIBLE_CALLBACK_PLUGINS"] = str(BENCH / "callback_plugins")
    env["ANSIBLE_CALLBACKS_ENABLED"] = "phase_timer"
    env["ANSIBLE_LOCAL_TEMP"] = str(Path(workdir) / "tmp")
    return env


def run(cmd, env, cwd):
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False, timeout=1800)
    took = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("benchmark run failed: %s\n%s\n%s" % (cmd[0], proc.stdout[-3000:], proc.stderr[-2000:]))
    return took


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fresh-lab", action="store_true",
                    help="restart the lab (LAB_STATE_DIR) before each measured run, so each pays clusterctl init")
    ap.add_argument("--collection", default=str(BENCH.parent),
                    help="the checkout of the collection to measure (default: this one), e.g. main for a before figure")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    repo = Path(args.collection).resolve()
    global LAB_PY  # pylint: disable=global-statement
    LAB_PY = repo / "tests" / "lab" / "lab.py"
    if args.fresh_lab:
        if not os.environ.get("LAB_STATE_DIR"):
            sys.exit("--fresh-lab restarts the lab of LAB_STATE_DIR: set it (make bench-create does)")
        fresh_lab()
    if not os.environ.get("LAB_BUNDLE"):
        sys.exit("the lab's environment is not set: run `make bench-create`, or `make lab-up` and eval \"$(make -s lab-env)\"")
    totals, baselines, clis, phases, tasks = [], [], [], {}, []
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="eksa-bench-create-") as workdir:
            if args.fresh_lab and i > 0:
                fresh_lab()
            env = _env(workdir, repo)
            noop = Path(workdir) / "noop.yml"
            noop.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n    - ansible.builtin.debug: {msg: noop}\n")
            baselines.append(run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(noop)], env, workdir))
            env["PHASE_TIMER_OUT"] = str(Path(workdir) / "phases.json")
            name = "bench%d" % i
            totals.append(run([str(BIN / "ansible-playbook"), "-i", str(repo / "inventories/localhost/hosts.yml"),
                               str(repo / "playbooks/demo.yml"), "-e", "demo_dir=%s" % workdir, "-e", "demo_cluster_name=%s" % name],
                              env, workdir))
            timing = json.loads(Path(env["PHASE_TIMER_OUT"]).read_text())
            for phase, secs in timing.get("phases", timing).items():  # (older callbacks wrote the phases only)
                phases.setdefault(phase, []).append(secs)
            tasks.append(timing.get("tasks", []))
            # the same API work by hand, from a fresh lab, with the manifests and spec this run applied
            if args.fresh_lab:
                fresh_lab()
            cli_dir = Path(workdir) / "cli"
            cli_dir.mkdir()
            clis.append(run(["bash", str(BENCH / "create_cli.sh"), name, str(Path(workdir) / name / "generated"),
                             str(Path(workdir) / ("%s.yaml" % name)), str(cli_dir)], dict(os.environ), workdir))
    total, base, cli = statistics.median(totals), statistics.median(baselines), statistics.median(clis)
    for phase in PHASES:
        if phase in phases:
            print("phase %-22s %6.2fs" % (phase, statistics.median(phases[phase])))
    print("create total=%.2fs baseline=%.2fs ratio=%.1f" % (total, base, total / base))
    print("create total=%.2fs baseline_cli=%.2fs ratio_cli=%.2f" % (total, cli, total / cli))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "total": total, "baseline": base, "baseline_cli": cli, "totals": totals, "baselines_cli": clis,
            "phases": {k: statistics.median(v) for k, v in phases.items()}, "tasks": tasks}, indent=1))


if __name__ == "__main__":
    main()
