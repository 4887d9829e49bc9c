"""Seed a vCenter (the lab's govmomi simulator) with an EKS Anywhere shaped inventory.

Everything goes through the public vSphere API (pyvmomi) and the vSphere Automation REST tagging
API, so the same code would work against a real vCenter. All operations are find-or-create:
seeding twice is harmless and tests can add objects with `seed(si, {...})` using the structure
of tests/lab/inventory.yaml.

    import vsphere_seed
    si = vsphere_seed.connect("127.0.0.1:PORT", user, password, cafile=ca)
    vsphere_seed.seed(si, vsphere_seed.load_inventory(), rest=vsphere_seed.RestSession(...))
"""
from __future__ import annotations

import os
import ssl
import tempfile
import time
from pathlib import Path

import requests
import yaml
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

DEFAULT_INVENTORY = Path(__file__).resolve().parent / "inventory.yaml"


def load_inventory(path: str | os.PathLike | None = None) -> dict:
    with open(path or DEFAULT_INVENTORY) as f:
        return yaml.safe_load(f)


def connect(server: str, user: str, password: str, cafile: str | None = None, insecure: bool = False):
    """Log in over HTTPS. `server` is host:port. Verifies the certificate with `cafile` unless insecure."""
    host, _, port = server.partition(":")
    if insecure:
        ctx = ssl._create_unverified_context()  # noqa: S323
    else:
        ctx = ssl.create_default_context(cafile=cafile)
    return SmartConnect(host=host, port=int(port or 443), user=user, pwd=password, sslContext=ctx)


def disconnect(si) -> None:
    try:
        Disconnect(si)
    except Exception:  # noqa: BLE001
        pass


class RestSession:
    """Minimal vSphere Automation REST client (/rest endpoints) for tagging."""

    def __init__(self, server: str, user: str, password: str, cafile: str | None = None, insecure: bool = False):
        self.base = f"https://{server}/rest"
        self.s = requests.Session()
        # passed on every request: a session-level verify loses against REQUESTS_CA_BUNDLE from the env
        self.verify = False if insecure else (cafile or True)
        r = self.s.post(f"{self.base}/com/vmware/cis/session", auth=(user, password), timeout=30, verify=self.verify)
        r.raise_for_status()
        self.s.headers["vmware-api-session-id"] = r.json()["value"]

    def _req(self, method, path, **kw):
        r = self.s.request(method, f"{self.base}{path}", timeout=30, verify=self.verify, **kw)
        r.raise_for_status()
        return r.json().get("value") if r.content else None

    def categories(self) -> dict:
        out = {}
        for cid in self._req("GET", "/com/vmware/cis/tagging/category") or []:
            c = self._req("GET", f"/com/vmware/cis/tagging/category/id:{cid}")
            out[c["name"]] = c
        return out

    def tags(self) -> dict:
        out = {}
        for tid in self._req("GET", "/com/vmware/cis/tagging/tag") or []:
            t = self._req("GET", f"/com/vmware/cis/tagging/tag/id:{tid}")
            out[t["name"]] = t
        return out

    def create_category(self, name, cardinality="SINGLE", types=("VirtualMachine",), description=""):
        return self._req("POST", "/com/vmware/cis/tagging/category", json={"create_spec": {
            "name": name, "description": description, "cardinality": cardinality,
            "associable_types": list(types)}})

    def create_tag(self, name, category_id, description=""):
        return self._req("POST", "/com/vmware/cis/tagging/tag", json={"create_spec": {
            "name": name, "description": description, "category_id": category_id}})

    def attach(self, tag_id, moref):
        return self._req("POST", f"/com/vmware/cis/tagging/tag-association/id:{tag_id}",
                         params={"~action": "attach"},
                         json={"object_id": {"id": moref._moId, "type": moref._wsdlName}})

    def attached_tags(self, moref) -> list[str]:
        ids = self._req("POST", "/com/vmware/cis/tagging/tag-association",
                        params={"~action": "list-attached-tags"},
                        json={"object_id": {"id": moref._moId, "type": moref._wsdlName}}) or []
        names = []
        for tid in ids:
            names.append(self._req("GET", f"/com/vmware/cis/tagging/tag/id:{tid}")["name"])
        return sorted(names)

    def close(self):
        try:
            self.s.delete(f"{self.base}/com/vmware/cis/session", timeout=10, verify=self.verify)
        except Exception:  # noqa: BLE001
            pass


# --- helpers ------------------------------------------------------------------------------------

def wait_task(task, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while task.info.state in (vim.TaskInfo.State.queued, vim.TaskInfo.State.running):
        if time.monotonic() > deadline:
            raise TimeoutError(f"task {task} did not finish")
        time.sleep(0.05)
    if task.info.state == vim.TaskInfo.State.error:
        raise task.info.error
    return task.info.result


def child(folder, name, kind=None):
    for c in getattr(folder, "childEntity", None) or []:
        if c.name == name and (kind is None or isinstance(c, kind)):
            return c
    return None


def find_by_path(si, path: str):
    """Resolve an inventory path like /SDDC-Datacenter/vm/Templates/x."""
    return si.content.searchIndex.FindByInventoryPath(path)


def _host_folder_cluster(dc, name):
    return child(dc.hostFolder, name, vim.ClusterComputeResource)


def _ensure_pool(parent, spec: dict):
    pool = next((p for p in parent.resourcePool or [] if p.name == spec["name"]), None)
    if pool is None:
        alloc = vim.ResourceAllocationInfo(limit=-1, reservation=0, expandableReservation=True,
                                           shares=vim.SharesInfo(level="normal", shares=0))
        pool = parent.CreateResourcePool(spec["name"], vim.ResourceConfigSpec(cpuAllocation=alloc,
                                                                                memoryAllocation=alloc))
    for c in spec.get("children", []):
        _ensure_pool(pool, c)
    return pool


def _ensure_folder(root, path: str):
    f = root
    for part in [p for p in path.split("/") if p]:
        nxt = child(f, part, vim.Folder)
        f = nxt or f.CreateFolder(part)
    return f


def _ensure_dvs(dc, sw: dict, hosts: list):
    dvs = child(dc.networkFolder, sw["name"], vim.DistributedVirtualSwitch)
    if dvs is None:
        cfg = vim.DistributedVirtualSwitch.ConfigSpec(name=sw["name"])
        dvs = wait_task(dc.networkFolder.CreateDVS_Task(vim.DistributedVirtualSwitch.CreateSpec(configSpec=cfg)))
    members = {h._moId for h in dvs.summary.hostMember or []}
    missing = [h for h in hosts if h._moId not in members]
    if missing:
        cfg = vim.DistributedVirtualSwitch.ConfigSpec(configVersion=dvs.config.configVersion, host=[
            vim.dvs.HostMember.ConfigSpec(operation="add", host=h) for h in missing])
        wait_task(dvs.ReconfigureDvs_Task(cfg))
    existing = {pg.name for pg in dvs.portgroup or []}
    specs = [vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name=n, type="earlyBinding", numPorts=128)
             for n in sw.get("portgroups", []) if n not in existing]
    if specs:
        wait_task(dvs.AddDVPortgroup_Task(specs))
    return dvs


def _nic_spec(dc, network_name: str):
    net = child(dc.networkFolder, network_name)
    if net is None:
        raise LookupError(f"network {network_name} not found in {dc.name}")
    nic = vim.vm.device.VirtualVmxnet3(key=-100, addressType="generated")
    if isinstance(net, vim.dvs.DistributedVirtualPortgroup):
        nic.backing = vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
            port=vim.dvs.PortConnection(switchUuid=net.config.distributedVirtualSwitch.uuid, portgroupKey=net.key))
    else:
        nic.backing = vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName=net.name, network=net)
    nic.connectable = vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, connected=True)
    return vim.vm.device.VirtualDeviceSpec(operation="add", device=nic)


def _ensure_template(si, dc, t: dict, rest: RestSession | None, tag_ids: dict):
    folder = _ensure_folder(dc.vmFolder, t.get("folder", ""))
    vm = child(folder, t["name"], vim.VirtualMachine)
    if vm is None:
        cluster = _host_folder_cluster(dc, t["cluster"])
        pool = cluster.resourcePool
        ds_name = t["datastore"]
        ctrl = vim.vm.device.VirtualDeviceSpec(operation="add", device=vim.vm.device.ParaVirtualSCSIController(
            key=1000, busNumber=0, sharedBus="noSharing"))
        disk = vim.vm.device.VirtualDisk(key=-1, controllerKey=1000, unitNumber=0,
                                         capacityInKB=int(t.get("diskGiB", 25)) * 1024 * 1024,
                                         backing=vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
                                             diskMode="persistent", thinProvisioned=True, fileName=f"[{ds_name}]"))
        disk_spec = vim.vm.device.VirtualDeviceSpec(operation="add", fileOperation="create", device=disk)
        devices = [ctrl, disk_spec]
        if t.get("network"):
            devices.append(_nic_spec(dc, t["network"]))
        spec = vim.vm.ConfigSpec(name=t["name"], guestId=t.get("guestId", "otherLinux64Guest"),
                                 numCPUs=int(t.get("numCPUs", 2)), memoryMB=int(t.get("memoryMiB", 4096)),
                                 files=vim.vm.FileInfo(vmPathName=f"[{ds_name}]"), deviceChange=devices,
                                 annotation=t.get("annotation", "eksa.anywhere lab template"))
        vm = wait_task(folder.CreateVM_Task(config=spec, pool=pool))
        for snap in t.get("snapshots", []):
            wait_task(vm.CreateSnapshot_Task(name=snap, description="lab", memory=False, quiesce=False))
        vm.MarkAsTemplate()
    if rest is not None and t.get("tags"):
        have = set(rest.attached_tags(vm))
        for tag in t["tags"]:
            if tag not in have:
                rest.attach(tag_ids[tag], vm)
    return vm


def seed(si, inventory: dict, rest: RestSession | None = None, datastore_root: str | os.PathLike | None = None):
    """Create (find-or-create) everything described by `inventory` (see tests/lab/inventory.yaml).

    `rest` is needed for tag categories/tags and template tags. `datastore_root` is a local folder
    that backs the simulator's datastores (a temp dir by default).
    """
    content = si.content
    ds_root = Path(datastore_root or tempfile.mkdtemp(prefix="lab-datastores-"))
    tag_ids: dict[str, str] = {}
    if rest is not None and inventory.get("tagCategories"):
        cats = rest.categories()
        tags = rest.tags()
        for c in inventory["tagCategories"]:
            cid = cats[c["name"]]["id"] if c["name"] in cats else rest.create_category(
                c["name"], c.get("cardinality", "SINGLE"), c.get("associableTypes", ["VirtualMachine"]))
            for t in c.get("tags", []):
                tag_ids[t] = tags[t]["id"] if t in tags else rest.create_tag(t, cid)
    if rest is not None:
        for name, t in rest.tags().items():
            tag_ids.setdefault(name, t["id"])
    for d in inventory.get("datacenters", []):
        dc = child(content.rootFolder, d["name"], vim.Datacenter) or content.rootFolder.CreateDatacenter(d["name"])
        hosts_by_cluster = {}
        for c in d.get("clusters", []):
            cl = _host_folder_cluster(dc, c["name"]) or dc.hostFolder.CreateClusterEx(
                c["name"], vim.cluster.ConfigSpecEx(drsConfig=vim.cluster.DrsConfigInfo(enabled=True)))
            have = {h.name for h in cl.host or []}
            for h in c.get("hosts", []):
                if h not in have:
                    wait_task(cl.AddHost_Task(spec=vim.host.ConnectSpec(hostName=h, userName="root",
                                                                        password="lab", force=True),
                                              asConnected=True))
            hosts_by_cluster[c["name"]] = list(cl.host)
            for p in c.get("resourcePools", []):
                _ensure_pool(cl.resourcePool, p)
        for ds in d.get("datastores", []):
            path = ds_root / d["name"] / ds["name"]
            path.mkdir(parents=True, exist_ok=True)
            for cname in ds.get("clusters", []):
                for h in hosts_by_cluster[cname]:
                    if any(x.name == ds["name"] for x in h.datastore or []):
                        continue
                    h.configManager.datastoreSystem.CreateLocalDatastore(ds["name"], str(path))
        for sw in d.get("switches", []):
            hosts = [h for cname in sw.get("clusters", []) for h in hosts_by_cluster[cname]]
            _ensure_dvs(dc, sw, hosts)
        for f in d.get("folders", []):
            _ensure_folder(dc.vmFolder, f)
        for t in d.get("templates", []):
            _ensure_template(si, dc, t, rest, tag_ids)
    return si
