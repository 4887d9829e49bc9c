"""Helpers of the preflight integration tests: seed the lab, run the module, snapshot the inventory."""
from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
SHARED = Path(os.environ.get("EKSA_SHARED_DIR") or REPO.parent / "shared").resolve()
REFERENCE_DIR = SHARED / "eksa-reference" / "vsphere"
MODULE = REPO / "plugins" / "modules" / "vsphere_validate.py"
PREFIX = "pf-"   # every object the preflight tests seed starts with this

# Extra objects the tests need (seeded idempotently with tests/lab/vsphere_seed.py):
# an ambiguous template name and an ambiguous resource pool name.
EXTRA = {
    "datacenters": [{
        "name": "SDDC-Datacenter",
        "clusters": [{"name": "Cluster-1", "hosts": [], "resourcePools": [
            {"name": "Compute-ResourcePool", "children": [{"name": PREFIX + "dup-pool"}]},
            {"name": "Management-ResourcePool", "children": [{"name": PREFIX + "dup-pool"}]}]}],
        "folders": [PREFIX + "a", PREFIX + "b"],
        "templates": [
            {"name": PREFIX + "dup-template", "folder": PREFIX + "a", "cluster": "Cluster-1", "datastore": "WorkloadDatastore",
             "network": "sddc-cgw-network-1", "diskGiB": 25, "snapshots": ["root"],
             "tags": ["os:ubuntu", "eksdRelease:kubernetes-1-19-eks-4"]},
            {"name": PREFIX + "dup-template", "folder": PREFIX + "b", "cluster": "Cluster-1", "datastore": "WorkloadDatastore",
             "network": "sddc-cgw-network-1", "diskGiB": 25, "snapshots": ["root"],
             "tags": ["os:ubuntu", "eksdRelease:kubernetes-1-19-eks-4"]},
        ],
    }],
}


def _collection_path() -> str:
    # one folder per checkout: a link made by another checkout would run that checkout's code
    checkout = hashlib.sha256(str(REPO).encode()).hexdigest()[:10]
    top = Path(tempfile.gettempdir()) / ("eksa-preflight-it-" + checkout) / "ansible_collections" / "eksa"
    top.mkdir(parents=True, exist_ok=True)
    link = top / "anywhere"
    if not link.exists():
        try:
            link.symlink_to(REPO)
        except FileExistsError:
            pass
    return str(top.parent.parent)


class VSphereLab:
    def __init__(self, env: dict):
        self.env = env
        self.server = env["LAB_VSPHERE_SERVER"]
        self.username = env["LAB_VSPHERE_USERNAME"]
        self.password = env["LAB_VSPHERE_PASSWORD"]
        self.thumbprint = env["LAB_VSPHERE_THUMBPRINT"]
        self.bundle = env["LAB_BUNDLE"]
        self.collections = _collection_path()
        sys.path.insert(0, self.collections)

    # -- seeding / inventory
    def seed(self):
        sys.path.insert(0, str(REPO / "tests" / "lab"))
        import vsphere_seed
        from pyVmomi import vim
        si = vsphere_seed.connect(self.server, self.username, self.password, cafile=self.env["LAB_VSPHERE_CA_FILE"])
        rest = vsphere_seed.RestSession(self.server, self.username, self.password, cafile=self.env["LAB_VSPHERE_CA_FILE"])
        try:
            vsphere_seed.seed(si, EXTRA, rest=rest, datastore_root=Path(self.env["LAB_STATE_DIR"]) / "datastores")
            # The simulator's root pool of a cluster gets the host's memory as limit (961 MiB); the reference specs
            # ask for far more: make it unlimited as on a real cluster without limits.
            root = vsphere_seed.find_by_path(si, "/SDDC-Datacenter/host/Cluster-1/Resources")
            if root.config.memoryAllocation.limit != -1:
                alloc = vim.ResourceAllocationInfo(limit=-1, reservation=0, expandableReservation=True,
                                                   shares=vim.SharesInfo(level="normal", shares=0))
                root.UpdateConfig(name=None, config=vim.ResourceConfigSpec(memoryAllocation=alloc,
                                                                           cpuAllocation=root.config.cpuAllocation))
        finally:
            rest.close()
            vsphere_seed.disconnect(si)

    def client(self, **kw):
        from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere.client import VSphereClient
        args = dict(username=self.username, password=self.password, thumbprint=self.thumbprint)
        args.update(kw)
        return VSphereClient(self.server, **args)

    def snapshot(self) -> set:
        c = self.client()
        c.connect()
        c.login()
        try:
            return {(o.path, o.type) for o in c.inventory().by_id.values()}
        finally:
            c.close()

    # -- specs
    def reference(self, name: str) -> list:
        objs = [o for o in yaml.safe_load_all((REFERENCE_DIR / name).read_text()) if o]
        for o in objs:
            if o["kind"] == "Cluster":
                o["spec"]["clusterNetwork"].pop("node", None)
            if o["kind"] == "VSphereDatacenterConfig":
                o["spec"]["server"] = self.server
                o["spec"]["thumbprint"] = self.thumbprint
        return objs

    def spec(self, objects: list) -> dict:
        from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import load_spec
        return load_spec(data=copy.deepcopy(objects))

    def base(self, **mc) -> list:
        objs = self.reference("cluster_main.yaml")
        for o in objs:
            if o["kind"] == "VSphereMachineConfig":
                o["spec"].update(mc)
        return objs

    # -- the module
    def run(self, objects: list, check_mode: bool = False, env: dict | None = None, **params) -> dict:
        args = {"spec": self.spec(objects), "username": self.username, "password": self.password,
                "bundle": self.bundle, "skip_ip_check": True}
        args.update(params)
        args = {k: v for k, v in args.items() if v is not None}
        args["_ansible_check_mode"] = check_mode
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"ANSIBLE_MODULE_ARGS": args}, f)
        e = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "EKSA_VSPHERE_"))}
        e["PYTHONPATH"] = self.collections
        e.update(env or {})
        try:
            p = subprocess.run([sys.executable, str(MODULE), f.name], capture_output=True, text=True, env=e, timeout=120,
                               check=False)
        finally:
            os.unlink(f.name)
        out = p.stdout + p.stderr
        assert "Traceback" not in out, out
        result = json.loads(p.stdout)
        result["_raw"] = out
        return result


def failures(result: dict) -> list:
    return [c["message"] for c in result.get("report", []) if c["status"] == "failed"]


@pytest.fixture(scope="session")
def vs(lab):
    v = VSphereLab(lab)
    v.seed()
    return v
