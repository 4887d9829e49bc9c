"""capi-sim: the ONE simulated part of the lab.

It stands in for the Cluster API core, kubeadm bootstrap/control-plane, etcdadm and vSphere (CAPV)
controllers, inside the lab only. Nothing else in the lab is simulated: the API servers, etcd,
kube-controller-manager, clusterctl and the vCenter simulator are the real programs.

What it does, on both lab API servers (bootstrap and workload, so it keeps working after a
`clusterctl move`), in passes: a pass runs as soon as a watched Deployment or Cluster changes (watches on both servers),
again at once while the previous pass changed something (so a cluster's steps follow each other without waiting), and
every `--interval` seconds otherwise:
  * marks provider Deployments available (status of Deployments in the provider namespaces);
  * for each CAPI Cluster (cluster.x-k8s.io), once `delay` seconds passed since its creation:
      - clones one VM per machine in the vCenter simulator (pyvmomi CloneVM_Task) from the template,
        folder, resource pool, datastore, numCPUs, memoryMiB, diskGiB and network of the referenced
        VSphereMachineTemplate (control plane: KubeadmControlPlane.spec.replicas, etcd:
        EtcdadmCluster.spec.replicas, workers: each MachineDeployment.spec.replicas);
      - creates Machines (finalizer machine.cluster.x-k8s.io: a deleted Machine goes only after its VM is destroyed and
        its Node deleted) (+ VSphereMachines, bootstrap data Secrets, MachineSets for
        MachineDeployments) with status.nodeRef, and Nodes in the lab workload cluster;
      - writes the `<cluster>-kubeconfig` Secret (data key `value`: the lab workload admin kubeconfig; for a workload
        cluster of a management cluster, that of an API server of its own from the lab's pool - else the lab bootstrap
        one -, where its Nodes go too: see Sim.host_for);
      - sets the statuses real controllers set: Cluster status.initialization.{infrastructureProvisioned,
        controlPlaneInitialized} and conditions (v1beta2), KubeadmControlPlane / MachineDeployment
        replica counts, EtcdadmCluster ready, VSphereCluster and VSphereMachines provisioned, and the ownerReferences the real controllers set
        (Cluster owns VSphereCluster, KubeadmControlPlane, MachineDeployments, EtcdadmCluster and templates),
        which is what `clusterctl move` follows. Objects are read and written in the CRDs' storage version
        (v1beta2 for CAPI and CAPV): without conversion webhooks, fields of other versions are pruned;
  * on Cluster deletion (finalizer cluster.cluster.x-k8s.io) destroys the cluster's VMs.
It is idempotent: VMs and objects are found by deterministic names before anything is created.

Fault injection (per Cluster annotation, per cluster name in <state dir>/capi-sim-faults.json, e.g.
{"mgmt": {"fault": "machine-never-ready"}}, re-read on every pass, or for every cluster with the CLI flag / env var):
  lab.eksa.anywhere/delay-seconds: "N"        --delay N            LAB_CAPI_SIM_DELAY
  lab.eksa.anywhere/fault: machine-never-ready --fault ...          LAB_CAPI_SIM_FAULT
        one worker machine (else one control-plane machine) never gets a node / never becomes ready
  lab.eksa.anywhere/fault: failure             (+ lab.eksa.anywhere/failure-message: "...")
        the control plane never initializes; conditions carry the failure message
        --failure-message / LAB_CAPI_SIM_FAILURE_MESSAGE
  lab.eksa.anywhere/fault: slow-control-plane  (+ lab.eksa.anywhere/slow-seconds: "N", default 30)
        the control plane becomes initialized N seconds later than the rest

Run: python capi_sim.py --state-dir <lab state dir> [--once] [--interval 1]
"""
from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

LOG = logging.getLogger("capi-sim")
ANN = "lab.eksa.anywhere/"
FINALIZER = "cluster.cluster.x-k8s.io"
MACHINE_FINALIZER = "machine.cluster.x-k8s.io"  # the Machine controller's: the VM goes before the Machine
PROVIDER_NAMESPACES = ["capi-system", "capi-kubeadm-bootstrap-system", "capi-kubeadm-control-plane-system",
                       "capv-system", "etcdadm-bootstrap-provider-system", "etcdadm-controller-system",
                       "cert-manager", "eksa-system"]
ALNUM = "bcdfghjklmnpqrstvwxz2456789"  # like k8s.io/apimachinery rand.String


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def suffix(*parts: str, n: int = 5) -> str:
    h = int(hashlib.sha256("/".join(parts).encode()).hexdigest(), 16)
    out = ""
    for _ in range(n):
        h, r = divmod(h, len(ALNUM))
        out += ALNUM[r]
    return out


GEN_ANN = ANN + "generation"  # on a Machine: the spec (template + version) it was made from
SLOT_ANN = ANN + "slot"


def generation(*parts) -> str:
    """What a Machine is made from (machine template, version...): a Machine of another generation is outdated."""
    return suffix(*[str(p or "") for p in parts], n=6)


def cond(type_: str, status: bool, reason: str = "", message: str = "") -> dict:
    # valid for both v1beta1 (clusterv1.Condition) and v1beta2 (metav1.Condition) schemas
    return {"type": type_, "status": "True" if status else "False", "reason": reason or (type_ if status else "NotReady"),
            "message": message or f"{type_} is {status} (capi-sim)", "lastTransitionTime": now()}


class Kube:
    """Tiny REST client (admin client certificate from the lab PKI)."""

    def __init__(self, name: str, server: str, pki: Path):
        self.name, self.server = name, server
        self.s = requests.Session()
        self.verify = str(pki / "ca.crt")  # per request: REQUESTS_CA_BUNDLE would win over a session setting
        self.s.cert = (str(pki / "admin.crt"), str(pki / "admin.key"))

    def req(self, method, path, ok404=False, **kw):
        r = self.s.request(method, self.server + path, timeout=30, verify=self.verify, **kw)
        if ok404 and r.status_code == 404:
            return None
        if r.status_code == 409 and method == "POST":
            return None
        if r.status_code >= 400:
            raise RuntimeError(f"{self.name}: {method} {path}: {r.status_code} {r.text[:400]}")
        return r.json() if r.content else None

    def get(self, path):
        return self.req("GET", path, ok404=True)

    def list(self, path):
        r = self.get(path)
        return (r or {}).get("items", [])

    def create(self, path, obj):
        return self.req("POST", path, json=obj)

    def merge(self, path, patch):
        return self.req("PATCH", path, ok404=True, data=json.dumps(patch),
                        headers={"Content-Type": "application/merge-patch+json"})

    def has_api(self, group_version: str) -> bool:
        return self.get(f"/apis/{group_version}") is not None

    def revision(self) -> str:
        """The store's current revision (a list's resourceVersion): it moves on every write anywhere."""
        return ((self.get("/api/v1/namespaces/default/configmaps?limit=1") or {}).get("metadata") or {}).get(
            "resourceVersion", "")

    def watch(self, path: str, wake: threading.Event, stop: list):
        """Set wake on every event of a watch on path (re-opened when it ends; a missing API is retried)."""
        session = requests.Session()  # one per thread
        session.cert = self.s.cert
        while not stop:
            try:
                with session.get(self.server + path, params={"watch": "1", "timeoutSeconds": "60"}, stream=True,
                                 timeout=(5, 90), verify=self.verify) as r:
                    if r.status_code != 200:
                        time.sleep(1)
                        continue
                    for line in r.iter_lines():
                        if stop:
                            return
                        if line:
                            wake.set()
            except requests.RequestException:
                time.sleep(1)


def gv_path(api_version: str) -> str:
    return f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"


def obj_path(api_version, plural, ns, name="", sub=""):
    p = f"{gv_path(api_version)}/namespaces/{ns}/{plural}"
    if name:
        p += f"/{name}"
    if sub:
        p += f"/{sub}"
    return p


CAPI2 = "cluster.x-k8s.io/v1beta2"
CAPI1 = "cluster.x-k8s.io/v1beta1"
KCP2 = "controlplane.cluster.x-k8s.io/v1beta2"
KCP1 = "controlplane.cluster.x-k8s.io/v1beta1"
INFRA1 = "infrastructure.cluster.x-k8s.io/v1beta1"
INFRA2 = "infrastructure.cluster.x-k8s.io/v1beta2"
BOOT2 = "bootstrap.cluster.x-k8s.io/v1beta2"
EKSA = "anywhere.eks.amazonaws.com/v1alpha1"
ADDONS2 = "addons.cluster.x-k8s.io/v1beta2"
ETCD1 = "etcdcluster.cluster.x-k8s.io/v1beta1"
PLURALS = {"VSphereMachineTemplate": "vspheremachinetemplates", "VSphereCluster": "vsphereclusters",
           "KubeadmControlPlane": "kubeadmcontrolplanes", "EtcdadmCluster": "etcdadmclusters",
           "VSphereMachine": "vspheremachines"}


def ref_name(ref: dict | None):
    return (ref or {}).get("name")


def dual_get(k: Kube, v2: str, v1: str, plural: str, ns: str, name: str):
    """Objects may be written as v1beta1 or v1beta2 (no conversion webhook in the lab): read both."""
    return k.get(obj_path(v2, plural, ns, name)), k.get(obj_path(v1, plural, ns, name))


class Sim:
    def __init__(self, state_dir: Path, delay: float, fault: str, failure_message: str):
        self.sd = state_dir
        st = json.loads((state_dir / "state.json").read_text())
        pki = state_dir / "pki"
        self.kubes = [Kube(c, st[c]["server"], pki) for c in ("bootstrap", "workload")]
        self.workload = self.kubes[1]
        self.workload_kubeconfig = Path(st["workload"]["kubeconfig"]).read_text()
        self.kubeconfigs = {c: Path(st[c]["kubeconfig"]).read_text() for c in ("bootstrap", "workload")}
        self.servers = {k.name: k for k in self.kubes}  # + the pool's, as `lab.py grow` adds them
        self._hosts = {}
        self.vs = st["vsphere"]
        self.delay, self.fault, self.failure_message = delay, fault, failure_message
        self._si = None

    # --- which lab API server plays the cluster's own API server ---------------------------------
    def host_for(self, k: Kube, ns: str, name: str) -> Kube:
        """The lab API server that holds the cluster's Nodes and that its `<name>-kubeconfig` points at.

        The workload API server, except for a workload cluster of a management cluster (its EKS Anywhere Cluster on
        the same API server names another cluster in spec.managementCluster.name): the first free API server of the
        lab's pool (`lab.py grow`, workload-2, workload-3...), its own; with none free, the bootstrap API server, the
        lab's second cluster. Annotation (or capi-sim-faults.json key) `lab.eksa.anywhere/api-server:
        bootstrap|workload|workload-<i>` overrides. Decided once per cluster (the EKS-A object may be deleted before the
        Cluster API one); a pool server given is recorded in <state dir>/capi-sim-api-servers.json (kept across a
        restart of capi-sim) and freed when the cluster is deleted."""
        key = (k.name, ns, name)
        if key in self._hosts:
            return self._hosts[key]
        assigned = self.assignments().get(f"{ns}/{name}")
        chosen = assigned if assigned in self.pool() else None
        if chosen is None:
            c = k.get(obj_path(CAPI2, "clusters", ns, name)) or {"metadata": {"name": name}}
            a = dict((ANN + kk.replace("_", "-"), str(v)) for kk, v in (self.file_faults().get(name) or {}).items())
            a.update((c.get("metadata") or {}).get("annotations") or {})
            chosen = a.get(ANN + "api-server")
        if chosen not in ("bootstrap", "workload") and chosen not in self.pool():
            chosen = "workload"
            if k.has_api(EKSA):
                for e in k.list(f"/apis/{EKSA}/clusters"):
                    mgmt = ((e.get("spec") or {}).get("managementCluster") or {}).get("name")
                    if e["metadata"]["name"] == name and mgmt and mgmt != name:
                        chosen = self.assign(ns, name)
        host = self.server(chosen)
        self._hosts[key] = host
        LOG.info("%s: cluster %s/%s: nodes and kubeconfig on the %s API server", k.name, ns, name, host.name)
        return host

    def pool(self) -> dict:
        """The pool of extra workload API servers in state.json (re-read: `lab.py grow` adds to it while we run)."""
        st = json.loads((self.sd / "state.json").read_text())
        return {p["name"]: p for p in st.get("pool") or []}

    def server(self, name: str) -> Kube:
        if name not in self.servers:
            p = self.pool()[name]
            self.servers[name] = Kube(name, p["server"], self.sd / "pki")
            self.kubeconfigs[name] = Path(p["kubeconfig"]).read_text()
        return self.servers[name]

    def assignments(self) -> dict:
        path = self.sd / "capi-sim-api-servers.json"
        try:
            return json.loads(path.read_text()) if path.exists() else {}
        except (OSError, ValueError) as e:
            LOG.warning("cannot read %s: %s", path, e)
            return {}

    def _save_assignments(self, a: dict):
        path = self.sd / "capi-sim-api-servers.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(a, indent=1, sort_keys=True))
        tmp.replace(path)

    def assign(self, ns: str, name: str) -> str:
        """The first pool API server no other cluster holds, recorded; "bootstrap" when the pool has none free."""
        a = self.assignments()
        taken = set(a.values())
        free = [p for p in sorted(self.pool(), key=lambda n: int(n.rsplit("-", 1)[1])) if p not in taken]
        if not free:
            return "bootstrap"
        a[f"{ns}/{name}"] = free[0]
        self._save_assignments(a)
        return free[0]

    def release(self, k: Kube, ns: str, name: str):
        """A deleted cluster's pool API server is free again (for the next cluster: its Nodes are gone already)."""
        self._hosts.pop((k.name, ns, name), None)
        a = self.assignments()
        if a.pop(f"{ns}/{name}", None) is not None:
            self._save_assignments(a)
            LOG.info("%s: cluster %s/%s: its API server is free again", k.name, ns, name)

    # --- vSphere ----------------------------------------------------------------------------
    def si(self):
        import vsphere_seed
        if self._si is not None:
            try:
                self._si.CurrentTime()
                return self._si
            except Exception:  # noqa: BLE001
                self._si = None
        self._si = vsphere_seed.connect(self.vs["server"], self.vs["username"], self.vs["password"],
                                        cafile=self.vs["ca_file"])
        return self._si

    def ensure_vm(self, name: str, spec: dict) -> tuple[str, str]:
        """Clone `name` from spec.template (VSphereMachineTemplate spec). Returns (uuid, ip)."""
        from pyVmomi import vim
        import vsphere_seed
        si = self.si()
        dc_name = spec.get("datacenter") or "SDDC-Datacenter"
        dc = vsphere_seed.child(si.content.rootFolder, dc_name.strip("/").split("/")[-1], vim.Datacenter)
        if dc is None:
            raise RuntimeError(f"datacenter {dc_name} not found")
        folder_path = spec.get("folder") or f"/{dc.name}/vm"
        folder = vsphere_seed.find_by_path(si, folder_path.rstrip("/")) if folder_path.startswith("/") else \
            vsphere_seed.find_by_path(si, f"{dc.name}/vm/{folder_path}")
        if folder is None:
            raise RuntimeError(f"folder {folder_path} not found")
        existing = vsphere_seed.child(folder, name, vim.VirtualMachine)
        if existing is not None:
            return existing.config.uuid, self._ip(name)
        tpath = spec["template"]
        tmpl = vsphere_seed.find_by_path(si, tpath) if tpath.startswith("/") else \
            si.content.searchIndex.FindChild(vsphere_seed.find_by_path(si, f"{dc.name}/vm"), tpath)
        if tmpl is None:
            raise RuntimeError(f"template {tpath} not found")
        pool = self._pool(si, dc, spec.get("resourcePool") or "*/Resources")
        ds = None
        if spec.get("datastore"):
            dsp = spec["datastore"]
            ds = vsphere_seed.find_by_path(si, dsp) if dsp.startswith("/") else \
                vsphere_seed.child(dc.datastoreFolder, dsp)
            if ds is None:
                raise RuntimeError(f"datastore {dsp} not found")
        reloc = vim.vm.RelocateSpec(pool=pool, datastore=ds)
        clone = vim.vm.CloneSpec(location=reloc, powerOn=True, template=False)
        if (spec.get("cloneMode") or "linkedClone") == "linkedClone" and getattr(tmpl, "snapshot", None):
            clone.snapshot = tmpl.snapshot.currentSnapshot
            reloc.diskMoveType = "createNewChildDiskBacking"
        clone.config = vim.vm.ConfigSpec(numCPUs=int(spec.get("numCPUs") or 2),
                                         memoryMB=int(spec.get("memoryMiB") or 2048),
                                         annotation="created by capi-sim (eksa.anywhere lab)")
        devs = []
        disk_gib = spec.get("diskGiB")
        if disk_gib:
            for d in tmpl.config.hardware.device:
                if isinstance(d, vim.vm.device.VirtualDisk) and d.capacityInKB < int(disk_gib) * 1024 * 1024:
                    d.capacityInKB = int(disk_gib) * 1024 * 1024
                    devs.append(vim.vm.device.VirtualDeviceSpec(operation="edit", device=d))
        nets = [d.get("networkName") for d in (spec.get("network") or {}).get("devices", []) if d.get("networkName")]
        if nets:
            net = vsphere_seed.find_by_path(si, nets[0]) if nets[0].startswith("/") else \
                vsphere_seed.child(dc.networkFolder, nets[0])
            if net is None:
                raise RuntimeError(f"network {nets[0]} not found")
            for d in tmpl.config.hardware.device:
                if isinstance(d, vim.vm.device.VirtualEthernetCard):
                    if isinstance(net, vim.dvs.DistributedVirtualPortgroup):
                        d.backing = vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
                            port=vim.dvs.PortConnection(switchUuid=net.config.distributedVirtualSwitch.uuid,
                                                        portgroupKey=net.key))
                    devs.append(vim.vm.device.VirtualDeviceSpec(operation="edit", device=d))
                    break
        clone.config.deviceChange = devs
        LOG.info("cloning VM %s from %s into %s", name, tpath, folder_path)
        vm = vsphere_seed.wait_task(tmpl.CloneVM_Task(folder=folder, name=name, spec=clone), timeout=300)
        want = vim.vm.ConfigSpec(numCPUs=clone.config.numCPUs, memoryMB=clone.config.memoryMB)
        if vm.config.hardware.numCPU != want.numCPUs or vm.config.hardware.memoryMB != want.memoryMB:
            # the simulator's clone keeps the template's sizing: reconfigure like a post-clone CAPV step
            if vm.runtime.powerState == "poweredOn":
                vsphere_seed.wait_task(vm.PowerOffVM_Task())
            vsphere_seed.wait_task(vm.ReconfigVM_Task(want))
            vsphere_seed.wait_task(vm.PowerOnVM_Task())
        return vm.config.uuid, self._ip(name)

    def _pool(self, si, dc, path):
        from pyVmomi import vim
        import vsphere_seed
        if path.startswith("*/"):
            rest = path[2:].split("/")
            for cl in dc.hostFolder.childEntity:
                if isinstance(cl, vim.ComputeResource):
                    p = cl.resourcePool
                    if rest[0] == p.name:
                        for part in rest[1:]:
                            p = next((c for c in p.resourcePool if c.name == part), None)
                            if p is None:
                                break
                        if p is not None:
                            return p
            raise RuntimeError(f"resource pool {path} not found")
        p = vsphere_seed.find_by_path(si, path)
        if p is None:
            raise RuntimeError(f"resource pool {path} not found")
        return p

    def destroy_vms(self, names: list[str]):
        from pyVmomi import vim
        import vsphere_seed
        si = self.si()
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.VirtualMachine], True)
        try:
            for vm in list(view.view):
                if vm.name in names and not vm.config.template:
                    LOG.info("destroying VM %s", vm.name)
                    if vm.runtime.powerState == "poweredOn":
                        vsphere_seed.wait_task(vm.PowerOffVM_Task())
                    vsphere_seed.wait_task(vm.Destroy_Task())
        finally:
            view.Destroy()

    @staticmethod
    def _ip(name: str) -> str:
        h = int(hashlib.sha256(name.encode()).hexdigest(), 16)
        return f"10.{(h >> 16) % 250 + 1}.{(h >> 8) % 250 + 1}.{h % 250 + 2}"

    # --- Kubernetes -------------------------------------------------------------------------
    def mark_deployments(self, k: Kube):
        for ns in PROVIDER_NAMESPACES + ["kube-system"]:
            for d in k.list(f"/apis/apps/v1/namespaces/{ns}/deployments"):
                spec_r = d["spec"].get("replicas", 1)
                st = d.get("status") or {}
                if st.get("availableReplicas") == spec_r and st.get("observedGeneration") == d["metadata"]["generation"]:
                    continue
                k.merge(f"/apis/apps/v1/namespaces/{ns}/deployments/{d['metadata']['name']}/status", {"status": {
                    "observedGeneration": d["metadata"]["generation"], "replicas": spec_r, "readyReplicas": spec_r,
                    "availableReplicas": spec_r, "updatedReplicas": spec_r,
                    "conditions": [
                        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                         "message": "Deployment has minimum availability (capi-sim)", "lastUpdateTime": now(),
                         "lastTransitionTime": now()},
                        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                         "message": "ReplicaSet has successfully progressed (capi-sim)", "lastUpdateTime": now(),
                         "lastTransitionTime": now()}]}})
                LOG.info("%s: deployment %s/%s marked available", k.name, ns, d["metadata"]["name"])

    def cluster_opts(self, c: dict) -> dict:
        # per-cluster faults from <state dir>/capi-sim-faults.json ({"<cluster>": {"fault": ..., ...}}), re-read every
        # pass, so a test can inject a fault into a cluster a playbook is about to create, then lift it
        a = dict(self.file_faults().get(c["metadata"]["name"]) or {})
        a = dict((ANN + key.replace("_", "-"), str(val)) for key, val in a.items())
        a.update(c["metadata"].get("annotations") or {})
        return {
            "delay": float(a.get(ANN + "delay-seconds", self.delay)),
            "fault": a.get(ANN + "fault", self.fault) or "",
            "message": a.get(ANN + "failure-message", self.failure_message) or "injected failure (capi-sim)",
            "slow": float(a.get(ANN + "slow-seconds", 30)),
        }

    def file_faults(self) -> dict:
        path = self.sd / "capi-sim-faults.json"
        try:
            return json.loads(path.read_text()) if path.exists() else {}
        except (OSError, ValueError) as e:
            LOG.warning("cannot read %s: %s", path, e)
            return {}

    def reconcile_all(self):
        for k in self.kubes:
            try:
                self.mark_deployments(k)
                if not k.has_api(CAPI2):
                    continue
                for c in k.list(f"/apis/{CAPI2}/clusters"):
                    try:
                        self.reconcile(k, c)
                    except Exception as e:  # noqa: BLE001
                        LOG.warning("%s: cluster %s/%s: %s", k.name, c["metadata"]["namespace"],
                                    c["metadata"]["name"], e)
            except Exception as e:  # noqa: BLE001 - keep running: API servers restart, CRDs appear later
                LOG.warning("%s: %s", k.name, e)

    def reconcile(self, k: Kube, c: dict):
        md, ns, name = c["metadata"], c["metadata"]["namespace"], c["metadata"]["name"]
        if md.get("deletionTimestamp"):
            return self.delete_cluster(k, c)
        if c["spec"].get("paused") or "cluster.x-k8s.io/paused" in (md.get("annotations") or {}):
            return
        if FINALIZER not in (md.get("finalizers") or []):
            k.merge(obj_path(CAPI2, "clusters", ns, name),
                    {"metadata": {"finalizers": (md.get("finalizers") or []) + [FINALIZER],
                                  "resourceVersion": md["resourceVersion"]}})
            return  # next round
        self.sweep(k, ns, name)
        o = self.cluster_opts(c)
        created = datetime.datetime.strptime(md["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        age = (datetime.datetime.now(datetime.timezone.utc) - created).total_seconds()
        if age < o["delay"]:
            return
        c1 = k.get(obj_path(CAPI1, "clusters", ns, name)) or {}
        cp_ref = c["spec"].get("controlPlaneRef") or c1.get("spec", {}).get("controlPlaneRef")
        infra_ref = c["spec"].get("infrastructureRef") or c1.get("spec", {}).get("infrastructureRef")
        version = None
        # infrastructure: VSphereCluster ready (v1beta1, as EKS Anywhere writes it)
        if infra_ref and infra_ref.get("kind") == "VSphereCluster":
            vc = k.get(obj_path(INFRA2, "vsphereclusters", ns, infra_ref["name"]))
            if vc is not None:
                self.ensure_owner(k, INFRA2, "vsphereclusters", vc, c, controller=True)
                if not ((vc.get("status") or {}).get("initialization") or {}).get("provisioned"):
                    k.merge(obj_path(INFRA2, "vsphereclusters", ns, infra_ref["name"], "status"), {"status": {
                        "initialization": {"provisioned": True},
                        "conditions": [cond("Ready", True), cond("VCenterAvailable", True)]}})
        fault = o["fault"]
        stuck_done = False
        machines_cp, ready_cp = [], 0
        cp_initialized = False
        cp_obj = None
        if cp_ref and cp_ref.get("kind") == "KubeadmControlPlane":
            kcp2, kcp1 = dual_get(k, KCP2, KCP1, "kubeadmcontrolplanes", ns, cp_ref["name"])
            if kcp2 is None:
                return
            cp_obj = kcp2
            self.ensure_owner(k, KCP2, "kubeadmcontrolplanes", kcp2, c, controller=True)
            replicas = kcp2["spec"].get("replicas", 1)
            version = kcp2["spec"].get("version")
            mt_ref = ((kcp2["spec"].get("machineTemplate") or {}).get("spec") or {}).get("infrastructureRef") or \
                ((kcp1 or {}).get("spec", {}).get("machineTemplate") or {}).get("infrastructureRef")
            tmpl = self.machine_template(k, ns, mt_ref)
            self.ensure_owner(k, INFRA2, "vspheremachinetemplates", tmpl, c)
            owner = self.owner(kcp2, KCP2)
            gen = generation(mt_ref["name"], version)
            sel = {"cluster.x-k8s.io/control-plane": "", "cluster.x-k8s.io/control-plane-name": cp_ref["name"]}
            has_workers = self.has_workers(k, c, c1)
            surge = int(((((kcp2["spec"].get("rollout") or {}).get("strategy") or {}).get("rollingUpdate") or {})
                         .get("maxSurge")) or 1)

            def make_cp(i, _gen=gen):
                mname = f"{cp_ref['name']}-{suffix(ns, name, 'cp', _gen, str(i))}"
                never = fault == "machine-never-ready" and not has_workers and i == replicas - 1
                ok = self.ensure_machine(k, c, mname, tmpl, owner, version, sel, never_ready=never, control_plane=True,
                                         gen=_gen, slot=i)
                return mname, ok, never

            machines = self.machines_of(k, ns, name, {"cluster.x-k8s.io/control-plane-name": cp_ref["name"]})
            ready_cp, up_cp, machines_cp, stuck = self.converge(k, ns, machines, gen, replicas, make_cp, max_surge=surge)
            stuck_done = stuck_done or stuck
            cp_initialized = ready_cp > 0 and fault != "failure"
            if fault == "slow-control-plane" and age < o["delay"] + o["slow"]:
                cp_initialized = False
            msg = o["message"] if fault == "failure" else ""
            k.merge(obj_path(KCP2, "kubeadmcontrolplanes", ns, cp_ref["name"], "status"), {"status": {
                "observedGeneration": kcp2["metadata"]["generation"], "replicas": len(machines_cp),
                "readyReplicas": ready_cp if cp_initialized else 0,
                "availableReplicas": ready_cp if cp_initialized else 0,
                "upToDateReplicas": up_cp, "version": version,
                "selector": f"cluster.x-k8s.io/cluster-name={name},cluster.x-k8s.io/control-plane",
                "initialization": {"controlPlaneInitialized": cp_initialized},
                "conditions": [cond("Available", cp_initialized, "" if cp_initialized else "LabNotAvailable", msg),
                               cond("Initialized", cp_initialized, "" if cp_initialized else "LabNotInitialized", msg)],
            }})
        # etcd (EtcdadmCluster is referenced from the KubeadmControlPlane's external etcd managed by EKS-A:
        # find it by the cluster-name label or by name <cluster>-etcd)
        if k.has_api(ETCD1):
            for ec in k.list(obj_path(ETCD1, "etcdadmclusters", ns)):
                lbl = (ec["metadata"].get("labels") or {}).get("cluster.x-k8s.io/cluster-name")
                if lbl != name and ec["metadata"]["name"] != f"{name}-etcd":
                    continue
                self.ensure_owner(k, ETCD1, "etcdadmclusters", ec, c)
                tmpl = self.machine_template(k, ns, ec["spec"].get("infrastructureTemplate"))
                self.ensure_owner(k, INFRA2, "vspheremachinetemplates", tmpl, c)
                want = ec["spec"].get("replicas", 1)
                etcd_version = (((ec["spec"].get("etcdadmConfigSpec") or {}).get("cloudInitConfig") or {}).get("version")
                                or "")
                egen = generation(ec["spec"]["infrastructureTemplate"]["name"], etcd_version)
                esel = {"cluster.x-k8s.io/etcd-cluster": ec["metadata"]["name"]}

                def make_etcd(i, _ec=ec, _tmpl=tmpl, _gen=egen, _sel=esel):
                    mname = f"{_ec['metadata']['name']}-{suffix(ns, name, 'etcd', _gen, str(i))}"
                    return mname, self.ensure_machine(k, c, mname, _tmpl, self.owner(_ec, ETCD1), version, _sel,
                                                      node=False, gen=_gen, slot=i), False

                emachines = self.machines_of(k, ns, name, esel)
                ready, eup, enames, dummy = self.converge(k, ns, emachines, egen, want, make_etcd, max_surge=1)
                addrs = [self._ip(m) for m in enames]
                k.merge(obj_path(ETCD1, "etcdadmclusters", ns, ec["metadata"]["name"], "status"), {"status": {
                    "ready": ready == want and eup == want and len(enames) == want, "initialized": ready > 0,
                    "creationComplete": True, "replicas": len(enames), "readyReplicas": ready, "upToDateReplicas": eup,
                    "endpoints": ",".join(f"https://{a}:2379" for a in addrs),
                    "observedGeneration": ec["metadata"]["generation"],
                    "conditions": [cond("Ready", True), cond("EtcdMachinesReady", True)]}})
        # workers
        workers_ready, workers_total = 0, 0
        if cp_initialized or not cp_ref:
            for mdp in k.list(obj_path(CAPI2, "machinedeployments", ns)):
                if mdp["spec"].get("clusterName") != name:
                    continue
                md1 = k.get(obj_path(CAPI1, "machinedeployments", ns, mdp["metadata"]["name"])) or {}
                r = self.reconcile_md(k, c, mdp, md1, fault if not stuck_done else "")
                stuck_done = stuck_done or (fault == "machine-never-ready")
                workers_ready += r[0]
                workers_total += r[1]
        # Cluster status (v1beta2, what clusterctl >= 1.11 reads; conditions also valid in v1beta1)
        msg = o["message"] if fault == "failure" else ""
        infra_ok = True
        available = cp_initialized and workers_ready == workers_total
        status = {
            "observedGeneration": md["generation"],
            "phase": "Provisioned" if cp_initialized else ("Failed" if fault == "failure" else "Provisioning"),
            "initialization": {"infrastructureProvisioned": infra_ok, "controlPlaneInitialized": cp_initialized},
            "conditions": [
                cond("InfrastructureReady", infra_ok),
                cond("ControlPlaneInitialized", cp_initialized, "" if cp_initialized else "LabWaitingForControlPlane",
                     msg),
                cond("ControlPlaneAvailable", cp_initialized, "" if cp_initialized else "LabNotAvailable", msg),
                cond("WorkersAvailable", workers_ready == workers_total,
                     "" if workers_ready == workers_total else "LabWorkersNotReady",
                     "" if workers_ready == workers_total else f"{workers_total - workers_ready} worker machine(s) not ready"),
                cond("Available", available, "" if available else "LabNotAvailable", msg),
                cond("Ready", available, "" if available else "LabNotReady", msg),
            ],
        }
        if cp_obj is not None:
            status["controlPlane"] = {"desiredReplicas": len(machines_cp), "replicas": len(machines_cp),
                                      "readyReplicas": ready_cp, "availableReplicas": ready_cp,
                                      "upToDateReplicas": len(machines_cp)}
        if fault == "failure":
            status["deprecated"] = {"v1beta1": {"failureReason": "LabInjectedFailure", "failureMessage": msg}}
        k.merge(obj_path(CAPI2, "clusters", ns, name, "status"), {"status": status})
        if cp_initialized:
            self.kubeconfig_secret(k, c, cp_obj)
        self.link_addons(k, c)

    def link_addons(self, k, c):
        """What the MachineHealthCheck and ClusterResourceSet controllers do: the ownerReferences clusterctl move follows."""
        ns, name = c["metadata"]["namespace"], c["metadata"]["name"]
        for mhc in k.list(obj_path(CAPI2, "machinehealthchecks", ns)):
            if mhc["spec"].get("clusterName") == name:
                self.ensure_owner(k, CAPI2, "machinehealthchecks", mhc, c)
        if not k.has_api(ADDONS2):
            return
        for crs in k.list(obj_path(ADDONS2, "clusterresourcesets", ns)):
            self.ensure_owner(k, ADDONS2, "clusterresourcesets", crs, c)
            for res in crs["spec"].get("resources") or []:
                plural = "secrets" if res.get("kind") == "Secret" else "configmaps"
                obj = k.get(f"/api/v1/namespaces/{ns}/{plural}/{res['name']}")
                if obj is None:
                    continue
                refs = obj["metadata"].get("ownerReferences") or []
                if any(r.get("kind") == "ClusterResourceSet" and r.get("name") == crs["metadata"]["name"] for r in refs):
                    continue
                o = self.owner(crs, ADDONS2)
                o.pop("controller")
                k.merge(f"/api/v1/namespaces/{ns}/{plural}/{res['name']}",
                        {"metadata": {"ownerReferences": refs + [o], "resourceVersion": obj["metadata"]["resourceVersion"]}})

    def has_workers(self, k, c, c1) -> bool:
        ns, name = c["metadata"]["namespace"], c["metadata"]["name"]
        return any(m["spec"].get("clusterName") == name and m["spec"].get("replicas", 1) > 0
                   for m in k.list(obj_path(CAPI2, "machinedeployments", ns)))

    def reconcile_md(self, k, c, mdp, md1, fault):
        ns, name = c["metadata"]["namespace"], c["metadata"]["name"]
        mdn = mdp["metadata"]["name"]
        replicas = mdp["spec"].get("replicas", 1)
        tspec = mdp["spec"]["template"]["spec"]
        iref = tspec.get("infrastructureRef") or ((md1.get("spec") or {}).get("template") or {}).get("spec", {}).get(
            "infrastructureRef")
        version = tspec.get("version")
        tmpl = self.machine_template(k, ns, iref)
        self.ensure_owner(k, CAPI2, "machinedeployments", mdp, c)
        self.ensure_owner(k, INFRA2, "vspheremachinetemplates", tmpl, c)
        bref = (tspec.get("bootstrap") or {}).get("configRef")
        if bref and bref.get("kind") == "KubeadmConfigTemplate":
            kct = k.get(obj_path(BOOT2, "kubeadmconfigtemplates", ns, bref["name"]))
            if kct is not None:
                self.ensure_owner(k, BOOT2, "kubeadmconfigtemplates", kct, c)
        # one MachineSet per generation of the template (machine template, bootstrap template, version), as
        # the MachineDeployment controller makes them; machines of older MachineSets are outdated
        gen = generation(iref["name"], (bref or {}).get("name"), version)
        ms_name = f"{mdn}-{suffix(ns, name, mdn, 'ms', gen, n=10)[:10]}"
        ms_path = obj_path(CAPI2, "machinesets", ns)
        ms = k.get(f"{ms_path}/{ms_name}")
        sel = {"cluster.x-k8s.io/cluster-name": name, "cluster.x-k8s.io/deployment-name": mdn}
        if ms is None:
            k.create(ms_path, {"apiVersion": CAPI2, "kind": "MachineSet", "metadata": {
                "name": ms_name, "namespace": ns, "labels": dict(sel, **{"cluster.x-k8s.io/set-name": ms_name}),
                "ownerReferences": [self.owner(mdp, CAPI2)]},
                "spec": {"clusterName": name, "replicas": replicas, "selector": {"matchLabels": sel},
                         "template": {"metadata": {"labels": sel}, "spec": tspec}}})
            ms = k.get(f"{ms_path}/{ms_name}")
        strategy = (((mdp["spec"].get("rollout") or {}).get("strategy") or {}).get("rollingUpdate")
                    or ((md1.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {})
        surge = int(strategy.get("maxSurge", 1))
        unavailable = int(strategy.get("maxUnavailable", 0))

        def make_worker(i):
            mname = f"{ms_name}-{suffix(ns, name, mdn, gen, str(i))}"
            never = fault == "machine-never-ready" and i == replicas - 1
            ok = self.ensure_machine(k, c, mname, tmpl, self.owner(ms, CAPI2), version,
                                     dict(sel, **{"cluster.x-k8s.io/set-name": ms_name}), never_ready=never,
                                     gen=gen, slot=i)
            return mname, ok, never

        machines = self.machines_of(k, ns, name, {"cluster.x-k8s.io/deployment-name": mdn})
        ready, up, names, dummy = self.converge(k, ns, machines, gen, replicas, make_worker, max_surge=surge,
                                                max_unavailable=unavailable)
        # MachineSets left without machines go, as the MachineDeployment controller deletes old ones
        for other in k.list(ms_path):
            if (other["metadata"].get("labels") or {}).get("cluster.x-k8s.io/deployment-name") != mdn \
                    or other["metadata"]["name"] == ms_name:
                continue
            left = [n for n in names if n.startswith(other["metadata"]["name"] + "-")]
            if not left:
                k.req("DELETE", f"{ms_path}/{other['metadata']['name']}", ok404=True)
        k.merge(f"{ms_path}/{ms_name}/status", {"status": {"replicas": up, "readyReplicas": min(ready, up),
                                                           "availableReplicas": min(ready, up), "upToDateReplicas": up,
                                                           "observedGeneration": ms["metadata"]["generation"]}})
        done = ready == replicas and up == replicas and len(names) == replicas
        k.merge(obj_path(CAPI2, "machinedeployments", ns, mdn, "status"), {"status": {
            "observedGeneration": mdp["metadata"]["generation"], "replicas": len(names), "readyReplicas": ready,
            "availableReplicas": ready, "upToDateReplicas": up,
            "phase": "Running" if done else ("ScalingUp" if len(names) < replicas else "ScalingDown"),
            "selector": ",".join(f"{a}={b}" for a, b in sel.items()),
            "conditions": [cond("Available", ready >= replicas, "" if ready >= replicas else "LabNotAvailable",
                                "" if ready >= replicas else f"{replicas - ready} machine(s) not ready")]}})
        return min(ready, replicas), replicas

    def sweep(self, k, ns, name):
        """Machines being deleted by others (the garbage collector after a MachineDeployment of a removed worker group
        is deleted): as the Machine controller does before it lets a Machine go, the VM is destroyed and the Node
        deleted, then its finalizer removed -- so no Machine disappears while its VM still exists."""
        deleting = [m for m in self.machines_of(k, ns, name, {}) if m["metadata"].get("deletionTimestamp")]
        for m in deleting:
            self.finalize_machine(k, ns, m)
        if deleting:
            LOG.info("%s: machines %s of %s/%s deleted: VMs destroyed", k.name,
                     ", ".join(m["metadata"]["name"] for m in deleting), ns, name)

    def finalize_machine(self, k, ns, m):
        name = m["metadata"]["name"]
        self.destroy_vms([name])
        cname = (m["metadata"].get("labels") or {}).get("cluster.x-k8s.io/cluster-name") or (m.get("spec") or {}).get("clusterName", "")
        self.host_for(k, ns, cname).req("DELETE", f"/api/v1/nodes/{name}", ok404=True)
        fins = [f for f in (m["metadata"].get("finalizers") or []) if f != MACHINE_FINALIZER]
        k.merge(obj_path(CAPI2, "machines", ns, name), {"metadata": {"finalizers": fins or None}})

    def machines_of(self, k, ns, cluster_name, selector):
        sel = dict(selector, **{"cluster.x-k8s.io/cluster-name": cluster_name})
        return [m for m in k.list(obj_path(CAPI2, "machines", ns))
                if all((m["metadata"].get("labels") or {}).get(a) == b for a, b in sel.items())]

    def delete_machine(self, k, ns, m):
        """What the Machine controller does on a Machine's deletion: the VM destroyed, the Node deleted, the objects gone."""
        name = m["metadata"]["name"]
        self.finalize_machine(k, ns, m)
        for path in (obj_path(CAPI2, "machines", ns, name), obj_path(INFRA2, "vspheremachines", ns, name),
                     obj_path("v1", "secrets", ns, name)):
            k.req("DELETE", path, ok404=True)
        LOG.info("%s: machine %s/%s deleted", k.name, ns, name)

    def converge(self, k, ns, machines, gen, replicas, make, max_surge=1, max_unavailable=0):
        """One step of what KCP, the MachineSet/MachineDeployment and etcdadm controllers do with a group of machines.

        Machines of another generation are outdated: with any, one new machine is made (up to replicas + maxSurge)
        before an outdated one is deleted (while at least replicas - maxUnavailable stay ready), one step per pass.
        Without outdated machines the group is scaled: missing machines made, extra ones deleted.
        make(slot) ensures the machine of a slot of this generation and returns (name, ready, stuck by a fault).
        Returns (ready, up to date, names of the machines there after this step, stuck).
        """
        def ann(m):
            return m["metadata"].get("annotations") or {}

        up = [m for m in machines if ann(m).get(GEN_ANN) == gen]
        old = sorted((m for m in machines if ann(m).get(GEN_ANN) != gen),
                     key=lambda m: (m["metadata"].get("creationTimestamp") or "", m["metadata"]["name"]))
        slots = {}
        for m in up:
            slots.setdefault(int(ann(m).get(SLOT_ANN) or 0), m)
        ready, stuck, names = 0, False, []

        def ensure(i):
            nonlocal ready, stuck
            name, ok, never = make(i)
            ready += ok
            stuck = stuck or never
            names.append(name)

        for i in sorted(slots):
            if i >= replicas and not old:
                self.delete_machine(k, ns, slots[i])  # scale down
            else:
                ensure(i)
        missing = [i for i in range(replicas) if i not in slots]
        if not old:
            for i in missing:  # scale up, or the first creation: all at once
                ensure(i)
            return ready, len(names), sorted(names), stuck
        up_count = len(names)
        if missing and len(slots) + len(old) < replicas + max_surge:
            ensure(missing[0])  # one up before one down
        elif ready == up_count and ready + len(old) - 1 >= replicas - max_unavailable:
            self.delete_machine(k, ns, old[0])
            old = old[1:]
        return ready + len(old), ready, sorted(names + [m["metadata"]["name"] for m in old]), stuck

    def ensure_owner(self, k, api_version, plural, obj, cluster, controller=False):
        """Add the Cluster as owner, as the CAPI controllers do (clusterctl move follows these links)."""
        refs = obj["metadata"].get("ownerReferences") or []
        if any(r.get("kind") == "Cluster" and r.get("name") == cluster["metadata"]["name"] for r in refs):
            return
        o = self.owner(cluster, CAPI2)
        if not controller or any(r.get("controller") for r in refs):
            o.pop("controller")
        k.merge(obj_path(api_version, plural, obj["metadata"]["namespace"], obj["metadata"]["name"]),
                {"metadata": {"ownerReferences": refs + [o],
                              "resourceVersion": obj["metadata"]["resourceVersion"]}})

    @staticmethod
    def owner(obj, api_version):
        return {"apiVersion": api_version, "kind": obj["kind"], "name": obj["metadata"]["name"],
                "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}

    def machine_template(self, k, ns, ref):
        if not ref or not ref.get("name"):
            raise RuntimeError("missing machine template reference")
        t = k.get(obj_path(INFRA2, "vspheremachinetemplates", ns, ref["name"]))
        if t is None:
            raise RuntimeError(f"VSphereMachineTemplate {ns}/{ref['name']} not found")
        return t

    def ensure_machine(self, k: Kube, c, mname, tmpl, owner, version, labels, never_ready=False,
                       control_plane=False, node=True, gen="", slot=0) -> bool:
        ns, cname = c["metadata"]["namespace"], c["metadata"]["name"]
        spec = tmpl["spec"]["template"]["spec"]
        uuid, ip = self.ensure_vm(mname, spec)
        provider_id = f"vsphere://{uuid}"
        labels = dict(labels, **{"cluster.x-k8s.io/cluster-name": cname})
        mpath = obj_path(CAPI2, "machines", ns)
        m = k.get(f"{mpath}/{mname}")
        if m is None:
            # bootstrap data secret + VSphereMachine, then the Machine
            k.create(obj_path("v1", "secrets", ns), {"apiVersion": "v1", "kind": "Secret", "type": "cluster.x-k8s.io/secret",
                     "metadata": {"name": mname, "namespace": ns, "labels": {"cluster.x-k8s.io/cluster-name": cname}},
                     "data": {"value": base64.b64encode(b"#cloud-config\n# capi-sim bootstrap data\n").decode(),
                              "format": base64.b64encode(b"cloud-config").decode()}})
            vsm_spec = {kk: v for kk, v in spec.items()}
            vsm_spec["providerID"] = provider_id
            k.create(obj_path(INFRA2, "vspheremachines", ns), {"apiVersion": INFRA2, "kind": "VSphereMachine",
                     "metadata": {"name": mname, "namespace": ns, "labels": labels, "annotations": {
                         "cluster.x-k8s.io/cloned-from-name": tmpl["metadata"]["name"],
                         "cluster.x-k8s.io/cloned-from-groupkind": "VSphereMachineTemplate.infrastructure.cluster.x-k8s.io"}},
                     "spec": vsm_spec})
            k.create(mpath, {"apiVersion": CAPI2, "kind": "Machine", "metadata": {
                "name": mname, "namespace": ns, "labels": labels, "ownerReferences": [owner],
                "finalizers": [MACHINE_FINALIZER], "annotations": {GEN_ANN: gen, SLOT_ANN: str(slot)}},
                "spec": {"clusterName": cname, "version": version, "providerID": provider_id,
                         "bootstrap": {"dataSecretName": mname},
                         "infrastructureRef": {"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "VSphereMachine",
                                               "name": mname}}})
            m = k.get(f"{mpath}/{mname}")
            # ownership like the real controllers: Machine owns its VSphereMachine and bootstrap Secret
            mo = self.owner(m, CAPI2)
            mo["controller"] = True
            k.merge(obj_path(INFRA2, "vspheremachines", ns, mname), {"metadata": {"ownerReferences": [mo]}})
            k.merge(obj_path("v1", "secrets", ns, mname), {"metadata": {"ownerReferences": [dict(mo, controller=True)]}})
        vsm = k.get(obj_path(INFRA2, "vspheremachines", ns, mname))
        if vsm is not None and not ((vsm.get("status") or {}).get("initialization") or {}).get("provisioned"):
            k.merge(obj_path(INFRA2, "vspheremachines", ns, mname, "status"), {"status": {
                "initialization": {"provisioned": True}, "addresses": [{"type": "InternalIP", "address": ip}],
                "conditions": [cond("Ready", True), cond("VMProvisioned", True)]}})
        if never_ready:
            k.merge(f"{mpath}/{mname}/status", {"status": {
                "phase": "Provisioning", "initialization": {"infrastructureProvisioned": False},
                "conditions": [cond("Ready", False, "LabMachineNeverReady", "machine never becomes ready (capi-sim fault)"),
                               cond("InfrastructureReady", False, "LabMachineNeverReady",
                                    "machine never becomes ready (capi-sim fault)")]}})
            return False
        if node:
            self.ensure_node(self.host_for(k, ns, cname), mname, ip, provider_id, version, control_plane)
        if (m.get("status") or {}).get("nodeRef", {}).get("name") != mname or (m.get("status") or {}).get("phase") != "Running":
            k.merge(f"{mpath}/{mname}/status", {"status": {
                "phase": "Running", "nodeRef": {"name": mname},
                "initialization": {"infrastructureProvisioned": True, "bootstrapDataSecretCreated": True},
                "addresses": [{"type": "InternalIP", "address": ip}],
                "observedGeneration": m["metadata"]["generation"],
                "conditions": [cond("Ready", True), cond("Available", True), cond("InfrastructureReady", True),
                               cond("BootstrapConfigReady", True), cond("NodeHealthy", True)]}})
        return True

    def ensure_node(self, w, name, ip, provider_id, version, control_plane):
        if w.get(f"/api/v1/nodes/{name}") is None:
            labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
            if control_plane:
                labels["node-role.kubernetes.io/control-plane"] = ""
            w.create("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node",
                                       "metadata": {"name": name, "labels": labels},
                                       "spec": {"providerID": provider_id}})
            w.merge(f"/api/v1/nodes/{name}/status", {"status": {
                "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                "message": "capi-sim node", "lastHeartbeatTime": now(), "lastTransitionTime": now()}],
                "nodeInfo": {"kubeletVersion": version or "v0.0.0", "kubeProxyVersion": "", "machineID": "",
                             "systemUUID": provider_id[len('vsphere://'):], "bootID": "", "kernelVersion": "",
                             "osImage": "capi-sim", "containerRuntimeVersion": "containerd://lab",
                             "operatingSystem": "linux", "architecture": "amd64"}}})

    def kubeconfig_secret(self, k, c, cp_obj):
        ns, name = c["metadata"]["namespace"], c["metadata"]["name"]
        sname = f"{name}-kubeconfig"
        if k.get(obj_path("v1", "secrets", ns, sname)) is not None:
            return
        md = {"name": sname, "namespace": ns, "labels": {"cluster.x-k8s.io/cluster-name": name}}
        if cp_obj is not None:
            md["ownerReferences"] = [self.owner(cp_obj, KCP2)]
        k.create(obj_path("v1", "secrets", ns), {"apiVersion": "v1", "kind": "Secret", "type": "cluster.x-k8s.io/secret",
                                                 "metadata": md,
                                                 "data": {"value": base64.b64encode(self.kubeconfigs[self.host_for(k, ns, name).name].encode()).decode()}})
        LOG.info("%s: wrote secret %s/%s", k.name, ns, sname)

    def delete_cluster(self, k, c):
        ns, name = c["metadata"]["namespace"], c["metadata"]["name"]
        if FINALIZER not in (c["metadata"].get("finalizers") or []):
            return
        objs = [m for m in k.list(obj_path(CAPI2, "machines", ns))
                if (m["metadata"].get("labels") or {}).get("cluster.x-k8s.io/cluster-name") == name]
        machines = [m["metadata"]["name"] for m in objs]
        for m in objs:  # the VMs destroyed, then the Machines let go (their owners' deletion removes them)
            self.finalize_machine(k, ns, m)
        fins = [f for f in c["metadata"]["finalizers"] if f != FINALIZER]
        k.merge(obj_path(CAPI2, "clusters", ns, name), {"metadata": {"finalizers": fins or None}})
        self.release(k, ns, name)
        LOG.info("%s: cluster %s/%s deleted (%d VMs destroyed)", k.name, ns, name, len(machines))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--state-dir", type=Path, default=Path(os.environ.get("LAB_STATE_DIR") or
                                                           Path(os.environ.get("TMPDIR") or "/tmp") / "eksa-anywhere-lab-state"))
    ap.add_argument("--delay", type=float, default=float(os.environ.get("LAB_CAPI_SIM_DELAY", "2")))
    ap.add_argument("--fault", default=os.environ.get("LAB_CAPI_SIM_FAULT", ""),
                    choices=["", "machine-never-ready", "failure", "slow-control-plane"])
    ap.add_argument("--failure-message", default=os.environ.get("LAB_CAPI_SIM_FAILURE_MESSAGE", ""))
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between passes when nothing is watched changing")
    ap.add_argument("--once", action="store_true", help="one reconcile pass, then exit")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s capi-sim %(levelname)s %(message)s")
    sim = Sim(a.state_dir, a.delay, a.fault, a.failure_message)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    LOG.info("started (delay %.0fs, fault %r)", a.delay, a.fault)
    wake = threading.Event()
    if not a.once:
        for k in sim.kubes:
            for path in ("/apis/apps/v1/deployments", f"/apis/{CAPI2}/clusters"):
                threading.Thread(target=k.watch, args=(path, wake, stop), daemon=True).start()
    again = 0
    while not stop:
        wake.clear()
        try:
            before = sim.workload.revision()
        except Exception:  # noqa: BLE001 - an API server restarting: plain pass
            before = None
        sim.reconcile_all()
        if a.once:
            break
        try:
            changed = before is not None and sim.workload.revision() != before
        except Exception:  # noqa: BLE001
            changed = False
        # the pass wrote something (the next step of a cluster may be ready): pass again at once, a few times in a row
        if changed and again < 20:
            again += 1
            time.sleep(0.05)
            continue
        again = 0
        wake.wait(a.interval)
    LOG.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
