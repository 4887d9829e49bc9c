"""Benchmark: a fleet - N workload clusters of one management cluster created by N concurrent runs of
eksa.anywhere.create_cluster (-e management_kubeconfig), for N = 1, 3 and 5, in the lab with capi-sim's delay at zero for
them. Each workload cluster gets an API server of its own (the lab's pool, grown here with `lab.py grow` when short).

    make bench-fleet        (after make demo: the demo's management cluster in $(DEMO_DIR), the demo's lab)
    .venv/bin/python bench/fleet.py --sizes 1,3,5 --demo-dir demo --management demo   (with the lab's LAB_* environment)

A round starts its N runs together and ends when the last one ends: total = that wall time, per_cluster = total / N.
The clusters of a round are deleted (untimed) before the next round, freeing their API servers. Lines:
`fleet n=<N> total=<s> per_cluster=<s>`, then `fleet ratio per_cluster(n=<max>)/per_cluster(n=<min>)=<r>` (goal: at
most 1.2 for 5 against 1).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LAB_CLI = REPO / "tests" / "lab" / "lab.py"


def env_for(workdir):
    env = dict(os.environ)
    env["EKSA_VSPHERE_USERNAME"] = env["LAB_VSPHERE_USERNAME"]
    env["EKSA_VSPHERE_PASSWORD"] = env["LAB_VSPHERE_PASSWORD"]
    top = Path(workdir) / "collections"
    (top / "ansible_collections" / "eksa").mkdir(parents=True, exist_ok=True)
    link = top / "ansible_collections" / "eksa" / "anywhere"
    if not link.exists():
        link.symlink_to(REPO)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(top)
    env["ANSIBLE_LOCAL_TEMP"] = str(Path(workdir) / "tmp")
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def spec_text(mgmt_spec, mgmt, name, index):
    """The management cluster's spec made a workload cluster's (as demo_workload.yml fills one in)."""
    text = mgmt_spec.replace(mgmt, name)
    text = re.sub(r"(?m)^(  managementCluster:\n    name): .*$", r"\1: %s" % mgmt, text)
    text = re.sub(r'(?m)^(\s+host): "127\.0\.0\.\d+"$', r'\1: "127.0.0.%d"' % (100 + index), text)
    return text.replace("/SDDC-Datacenter/vm/eksa/management", "/SDDC-Datacenter/vm/eksa/workload")


def playbook(name, workdir, extra):
    return [str(BIN / "ansible-playbook"), "-i", str(REPO / "inventories/localhost/hosts.yml"),
            str(REPO / "playbooks" / name), "-e", "cluster_config=%s" % (Path(workdir) / "spec.yaml"),
            "-e", "output_dir=%s" % workdir] + extra


def together(cmds):
    """Start every (name, argv, workdir) at once; wait for all. Returns (wall seconds, {name: failure output})."""
    start = time.monotonic()
    procs = {}
    for name, argv, workdir in cmds:
        out = open(Path(workdir) / "run.log", "w", encoding="utf-8")  # pylint: disable=consider-using-with
        procs[name] = (subprocess.Popen(argv, env=env_for(workdir), cwd=workdir, stdout=out,  # pylint: disable=consider-using-with
                                        stderr=subprocess.STDOUT), out, workdir)
    failed = {}
    for name, (proc, out, workdir) in procs.items():
        proc.wait(timeout=3600)
        out.close()
        if proc.returncode != 0:
            failed[name] = (Path(workdir) / "run.log").read_text(errors="replace")[-3000:]
    return time.monotonic() - start, failed


def held_api_servers(state_dir):
    path = Path(state_dir) / "capi-sim-api-servers.json"
    return len(json.loads(path.read_text())) if path.exists() else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,3,5")
    ap.add_argument("--demo-dir", default=str(REPO / "demo"))
    ap.add_argument("--management", default="demo")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    if not os.environ.get("LAB_BUNDLE"):
        sys.exit("the lab's environment is not set: run `make bench-fleet` (after make demo), or eval \"$(make -s lab-env)\"")
    demo = Path(args.demo_dir).resolve()
    mgmt_kubeconfig = demo / args.management / ("%s-eks-a-cluster.kubeconfig" % args.management)
    mgmt_spec = demo / ("%s.yaml" % args.management)
    if not (mgmt_kubeconfig.is_file() and mgmt_spec.is_file()):
        sys.exit("no management cluster %s in %s: run make demo first" % (args.management, demo))
    state_dir = os.environ["LAB_STATE_DIR"]
    # an API server of its own for each cluster of the largest round (beside the ones other clusters hold)
    grow = subprocess.run([sys.executable, str(LAB_CLI), "grow", str(max(sizes) + held_api_servers(state_dir))],
                          capture_output=True, text=True, check=False)
    if grow.returncode != 0:
        sys.exit("cannot grow the lab's pool of API servers:\n%s" % grow.stderr[-2000:])
    faults_file = Path(state_dir) / "capi-sim-faults.json"
    faults_before = faults_file.read_text() if faults_file.exists() else None
    common = ["-e", "management_kubeconfig=%s" % mgmt_kubeconfig, "-e", "vsphere_ca_path=%s" % os.environ["LAB_VSPHERE_CA_FILE"]]
    figures = {}
    try:
        for n in sizes:
            with tempfile.TemporaryDirectory(prefix="eksa-bench-fleet-") as top:
                names = ["fleet%d-%d" % (n, i) for i in range(1, n + 1)]
                # capi-sim's delay at zero for these clusters (per cluster, in the faults file it re-reads every pass)
                faults = json.loads(faults_before) if faults_before else {}
                faults.update({name: {"delay_seconds": 0} for name in names})
                faults_file.write_text(json.dumps(faults))
                cmds = []
                for i, name in enumerate(names, 1):
                    workdir = Path(top) / name
                    workdir.mkdir()
                    (workdir / "spec.yaml").write_text(spec_text(mgmt_spec.read_text(), args.management, name, i))
                    cmds.append((name, playbook("create_cluster.yml", workdir, common + [
                        "-e", "bundle=%s" % os.environ["LAB_BUNDLE"], "-e", "skip_ip_check=true"]), workdir))
                total, failed = together(cmds)
                deleted, delete_failed = together([(name, playbook("delete_cluster.yml", workdir, common), workdir)
                                                   for name, dummy, workdir in cmds])
                for name, out in list(failed.items()) + list(delete_failed.items()):
                    print("run of %s failed:\n%s" % (name, out), file=sys.stderr)
                if failed or delete_failed:
                    return 1
                figures[n] = {"total": total, "per_cluster": total / n, "delete_total": deleted}
                print("fleet n=%d total=%.2fs per_cluster=%.2fs" % (n, total, total / n), flush=True)
    finally:
        if faults_before is None:
            faults_file.unlink(missing_ok=True)
        else:
            faults_file.write_text(faults_before)
    low, high = min(sizes), max(sizes)
    ratio = figures[high]["per_cluster"] / figures[low]["per_cluster"]
    print("fleet ratio per_cluster(n=%d)/per_cluster(n=%d)=%.2f" % (high, low, ratio))
    if args.json:
        Path(args.json).write_text(json.dumps({"rounds": figures, "ratio": ratio}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
