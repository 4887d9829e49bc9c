"""Benchmark: a Kubernetes version upgrade (eksa.anywhere.upgrade_cluster, 1.33 -> 1.34) of the demo cluster - 2
control-plane + 3 etcd + 2 worker machines - in the lab with capi-sim's delays at zero, against the same run's create,
split by phase.

    make bench-upgrade      (or: .venv/bin/python bench/upgrade.py --repeat 1, with the lab up and its LAB_* environment)

Both are timed per task (bench/callback_plugins/task_timer.py). "wait" is the time spent waiting for machines (create:
the capi_wait task; upgrade: what capi_rollout reports it waited); "overhead" is the rest. Goal: the upgrade's overhead
no more than the create's. Last line: `upgrade overhead=S.SSs create overhead=S.SSs ratio=R.RR`.
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
sys.path.insert(0, str(REPO / "bench"))

from create import _env  # noqa: E402  pylint: disable=wrong-import-position

UPGRADE_PHASES = (
    ("validations", ("cluster_spec", "bundle_info", "vsphere_validate", "capi_cluster_info", "upgrade_plan", "assert")),
    ("render", ("capi_manifests",)),
    ("rollout", ("capi_rollout",)),
    ("eksa-objects", ("k8s_apply",)),
    ("finalize", ("copy",)),
)


def run(cmd, env, cwd):
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False, timeout=3600)
    if proc.returncode != 0:
        sys.exit("benchmark run failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-2000:]))
    return time.monotonic() - start


def timed(cmd, env, cwd, out):
    env = dict(env, TASK_TIMER_OUT=str(out), ANSIBLE_CALLBACKS_ENABLED="task_timer")
    total = run(cmd, env, cwd)
    return total, json.loads(Path(out).read_text())


def phase_of(task):
    action = task["action"].split(".")[-1]
    for phase, actions in UPGRADE_PHASES:
        if action in actions:
            return phase
    return "other"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if not os.environ.get("LAB_BUNDLE"):
        sys.exit("the lab's environment is not set: run `make bench-upgrade`, or `make lab-up` and eval \"$(make -s lab-env)\"")
    figures = {"create": [], "create_wait": [], "upgrade": [], "upgrade_wait": [], "phases": {}}
    for i in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="eksa-bench-upgrade-") as workdir:
            env = _env(workdir, REPO)
            name = "bup%d" % i
            play = [str(BIN / "ansible-playbook"), "-i", str(REPO / "inventories/localhost/hosts.yml")]
            total, tasks = timed(play + [str(REPO / "playbooks/demo.yml"), "-e", "demo_dir=%s" % workdir,
                                         "-e", "demo_cluster_name=%s" % name], env, workdir, Path(workdir) / "create.json")
            figures["create"].append(total)
            figures["create_wait"].append(sum(t["seconds"] for t in tasks if t["action"].endswith("capi_wait")))
            spec = Path(workdir) / ("%s.yaml" % name)
            spec.write_text(spec.read_text().replace('kubernetesVersion: "1.33"', 'kubernetesVersion: "1.34"')
                            .replace("ubuntu-2204-kube-v1.33", "ubuntu-2204-kube-v1.34"))
            lab = ["-e", "cluster_config=%s" % spec, "-e", "bundle=%s" % os.environ["LAB_BUNDLE"], "-e", "output_dir=%s" % workdir,
                   "-e", "vsphere_ca_path=%s" % os.environ["LAB_VSPHERE_CA_FILE"]]
            total, tasks = timed(play + [str(REPO / "playbooks/upgrade_cluster.yml")] + lab, env, workdir,
                                 Path(workdir) / "upgrade.json")
            figures["upgrade"].append(total)
            figures["upgrade_wait"].append(sum(t["waited"] for t in tasks))
            phases = {}
            for task in tasks:
                phases[phase_of(task)] = phases.get(phase_of(task), 0.0) + task["seconds"]
            for phase, secs in phases.items():
                figures["phases"].setdefault(phase, []).append(secs)
            lab_bin = os.environ["LAB_BIN"]
            subprocess.run(play + [str(REPO / "playbooks/delete_cluster.yml")] + lab
                           + ["-e", "bootstrap_kubeconfig=%s" % os.environ["LAB_BOOTSTRAP_KUBECONFIG"],
                              "-e", "clusterctl_binary=%s/clusterctl" % lab_bin, "-e", "kind_binary=%s/kind" % lab_bin],
                           env=env, cwd=workdir, capture_output=True, check=False, timeout=1800)
    med = dict((k, statistics.median(v)) for k, v in figures.items() if k != "phases")
    for phase, dummy in UPGRADE_PHASES + (("other", ()),):
        if phase in figures["phases"]:
            print("upgrade phase %-14s %6.2fs" % (phase, statistics.median(figures["phases"][phase])))
    print("upgrade wait=%.2fs (rolling 2 control-plane + 3 etcd + 2 worker machines)" % med["upgrade_wait"])
    print("create total=%.2fs wait=%.2fs" % (med["create"], med["create_wait"]))
    up_over, cr_over = med["upgrade"] - med["upgrade_wait"], med["create"] - med["create_wait"]
    print("upgrade total=%.2fs" % med["upgrade"])
    print("upgrade overhead=%.2fs create overhead=%.2fs ratio=%.2f" % (up_over, cr_over, up_over / cr_over))
    if args.json:
        Path(args.json).write_text(json.dumps({"median": med, "phases": dict(
            (k, statistics.median(v)) for k, v in figures["phases"].items())}, indent=2))


if __name__ == "__main__":
    main()
