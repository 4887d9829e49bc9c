"""Benchmark: the vSphere preflight of eksa.anywhere (one session, counted round trips) versus the `govc` command
sequence EKS Anywhere runs for the same spec (one process per command), against the lab's vCenter simulator.

    make bench-preflight          # starts the lab if needed
    .venv/bin/python bench/preflight.py [--sizes 1,10,50] [--repeat 3]

Ends with one line per size:
    preflight groups=N ours=S.SSs govc=S.SSs ratio=R.R round_trips=K
"""
from __future__ import annotations

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
LAB = REPO / "tests" / "lab"
DC = "SDDC-Datacenter"
TEMPLATE = "/%s/vm/Templates/ubuntu-1804-kube-v1.19.6" % DC
NETWORK = "/%s/network/sddc-cgw-network-1" % DC
DATASTORE = "/%s/datastore/WorkloadDatastore" % DC
FOLDER = "/%s/vm/eksa" % DC
POOL = "*/Compute-ResourcePool"


def lab_env() -> dict:
    sys.path.insert(0, str(LAB))
    import lab
    st = lab._read_state(lab.state_dir())  # noqa: SLF001
    if not st:
        sys.exit("the lab is not up: run `make lab-up` (or `make bench-preflight`, which starts it)")
    return lab.env_values(st)


def importable() -> None:
    top = Path(tempfile.gettempdir()) / "eksa-bench" / "ansible_collections" / "eksa"
    top.mkdir(parents=True, exist_ok=True)
    if not (top / "anywhere").exists():
        (top / "anywhere").symlink_to(REPO)
    sys.path.insert(0, str(top.parent.parent))


def make_objects(groups: int, env: dict) -> list:
    def mc(name, mem):
        return {
            "apiVersion": "anywhere.eks.amazonaws.com/v1alpha1", "kind": "VSphereMachineConfig", "metadata": {"name": name},
            "spec": {"datastore": DATASTORE, "folder": FOLDER, "resourcePool": POOL, "template": TEMPLATE, "osFamily": "ubuntu",
                     "diskGiB": 25, "memoryMiB": mem, "numCPUs": 2, "cloneMode": "linkedClone"}}
    workers = [{"name": "md-%d" % i, "count": 1, "machineGroupRef": {"kind": "VSphereMachineConfig", "name": "bench-w%d" % i}}
               for i in range(groups)]
    network = {"cniConfig": {"cilium": {}}, "pods": {"cidrBlocks": ["192.168.0.0/16"]},
               "services": {"cidrBlocks": ["10.96.0.0/12"]}}
    control_plane = {"count": 1, "endpoint": {"host": "127.0.0.9"},
                     "machineGroupRef": {"kind": "VSphereMachineConfig", "name": "bench-cp"}}
    objs = [
        {"apiVersion": "anywhere.eks.amazonaws.com/v1alpha1", "kind": "Cluster", "metadata": {"name": "bench"},
         "spec": {"kubernetesVersion": "1.19", "controlPlaneConfiguration": control_plane,
                  "workerNodeGroupConfigurations": workers,
                  "datacenterRef": {"kind": "VSphereDatacenterConfig", "name": "bench"}, "clusterNetwork": network}},
        {"apiVersion": "anywhere.eks.amazonaws.com/v1alpha1", "kind": "VSphereDatacenterConfig", "metadata": {"name": "bench"},
         "spec": {"datacenter": DC, "network": NETWORK, "server": env["LAB_VSPHERE_SERVER"],
                  "thumbprint": env["LAB_VSPHERE_THUMBPRINT"]}},
        mc("bench-cp", 8192)]
    objs += [mc("bench-w%d" % i, 2048) for i in range(groups)]
    return objs


def ours(spec: dict, env: dict, releases: dict) -> tuple[float, dict, bool]:
    from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere import checks
    from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere.client import VSphereClient
    t0 = time.perf_counter()
    client = VSphereClient(env["LAB_VSPHERE_SERVER"], username=env["LAB_VSPHERE_USERNAME"],
                           password=env["LAB_VSPHERE_PASSWORD"], thumbprint=env["LAB_VSPHERE_THUMBPRINT"])
    result = checks.run(spec, client, {"skip_ip_check": True, "eksd_releases": releases}, check_mode=True)
    return time.perf_counter() - t0, result["round_trips"], result["failed"]


def govc_commands(groups: int) -> list[list[str]]:
    """What EKS Anywhere runs (pkg/executables/govc.go) for this spec: one process per command."""
    cmds = [["about", "-k"], ["about"], ["datacenter.info", DC],
            ["find", "-maxdepth=1", os.path.dirname(NETWORK), "-type", "n", "-name", os.path.basename(NETWORK)]]
    pool_name = POOL.rsplit("/", maxsplit=1)[-1]
    for dummy in range(1 + groups):   # per machine config: setup validation, defaults, capacity
        cmds += [["datastore.info", DATASTORE], ["folder.info", FOLDER],
                 ["find", "-json", "/" + DC, "-type", "p", "-name", pool_name],
                 ["find", "-json", "/" + DC, "-type", "VirtualMachine", "-name", os.path.basename(TEMPLATE)],
                 ["snapshot.tree", "-vm", TEMPLATE], ["datastore.info", "-json", DATASTORE],
                 ["pool.info", "-json", "/%s/host/Cluster-1/Resources/Compute-ResourcePool" % DC]]
    cmds += [["find", "-json", "/" + DC, "-type", "VirtualMachine", "-name", os.path.basename(TEMPLATE)],
             ["tags.attached.ls", "-json", "-r", TEMPLATE]]
    return cmds


def govc(groups: int, env: dict) -> float:
    e = dict(os.environ, GOVC_URL="https://%s/sdk" % env["LAB_VSPHERE_SERVER"], GOVC_USERNAME=env["LAB_VSPHERE_USERNAME"],
             GOVC_PASSWORD=env["LAB_VSPHERE_PASSWORD"], GOVC_TLS_CA_CERTS=env["LAB_VSPHERE_CA_FILE"], GOVC_DATACENTER=DC,
             GOVC_INSECURE="false")
    binary = os.path.join(env["LAB_BIN"], "govc")
    t0 = time.perf_counter()
    for cmd in govc_commands(groups):
        p = subprocess.run([binary] + cmd, env=e, capture_output=True, text=True, check=False)
        if p.returncode != 0 and cmd[0] != "about":
            raise SystemExit("govc %s failed: %s" % (" ".join(cmd), p.stderr.strip()))
    return time.perf_counter() - t0


def prepare(env: dict) -> None:
    """The simulator gives a cluster's root pool the host's memory as limit; lift it like a cluster without limits."""
    sys.path.insert(0, str(LAB))
    import vsphere_seed
    from pyVmomi import vim
    si = vsphere_seed.connect(env["LAB_VSPHERE_SERVER"], env["LAB_VSPHERE_USERNAME"], env["LAB_VSPHERE_PASSWORD"],
                              cafile=env["LAB_VSPHERE_CA_FILE"])
    try:
        root = vsphere_seed.find_by_path(si, "/%s/host/Cluster-1/Resources" % DC)
        if root.config.memoryAllocation.limit != -1:
            alloc = vim.ResourceAllocationInfo(limit=-1, reservation=0, expandableReservation=True,
                                               shares=vim.SharesInfo(level="normal", shares=0))
            root.UpdateConfig(name=None, config=vim.ResourceConfigSpec(memoryAllocation=alloc,
                                                                       cpuAllocation=root.config.cpuAllocation))
    finally:
        vsphere_seed.disconnect(si)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,10,50")
    ap.add_argument("--repeat", type=int, default=3, help="runs per size; the median is reported")
    ap.add_argument("--json", help="also write the results to this JSON file")
    a = ap.parse_args()
    import warnings
    warnings.filterwarnings("ignore")
    env = lab_env()
    importable()
    prepare(env)
    import yaml
    from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere.checks import eksd_releases_from_bundle
    from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import load_spec
    releases = eksd_releases_from_bundle(yaml.safe_load(Path(env["LAB_BUNDLE"]).read_text()))
    rows = []
    for n in [int(x) for x in a.sizes.split(",")]:
        spec = load_spec(data=make_objects(n, env))
        ours_t, govc_t, trips = [], [], None
        for dummy in range(a.repeat):
            t, trips, failed = ours(spec, env, releases)
            if failed:
                raise SystemExit("the preflight failed for groups=%d" % n)
            ours_t.append(t)
            govc_t.append(govc(n, env))
        o, g = statistics.median(ours_t), statistics.median(govc_t)
        rows.append({"groups": n, "ours": o, "govc": g, "ratio": g / o, "round_trips": trips["total"],
                     "soap": trips["soap"], "rest": trips["rest"], "govc_processes": len(govc_commands(n))})
        print("groups=%d: ours %.3fs (%s), govc %.3fs (%d processes)" % (n, o, trips, g, len(govc_commands(n))),
              file=sys.stderr)
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    for r in rows:
        print("preflight groups=%d ours=%.2fs govc=%.2fs ratio=%.1f round_trips=%d"
              % (r["groups"], r["ours"], r["govc"], r["ratio"], r["round_trips"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
