"""guest-sim: the simulated part of the lab when the REAL Cluster API controllers run (LAB_CONTROLLERS=real).

The real managers (real_controllers.py) reconcile the rendered manifests: CAPI core, kubeadm bootstrap, kubeadm
control plane, CAPV (which clones the VMs in the vCenter simulator and writes guestinfo.userdata) and the etcdadm
bootstrap provider. What cannot run here is simulated, and only that:

  * the guest of each VM (what cloud-init, kubeadm/etcdadm and the kubelet would do on it), modelled on CAPV's own
    vcsim test controllers (test/infrastructure/vcsim: vmip_controller.go, vmbootstrap_controller.go):
      - a guest IP: a VSphereVM cloned and powered on without an IP is powered off, customized with a fixed IP
        (CustomizeVM_Task) and powered on: the simulator then reports guest.net, as VMware Tools would;
      - once its Machine has bootstrap data and a providerID: the Node the kubelet registers in the cluster's API server
        (providerID, Ready, the kubelet endpoint); for a control-plane machine the static pods' mirror pods
        (kube-apiserver, kube-controller-manager, kube-scheduler) and, on the first, the `kube-system/kubeadm-config`
        ConfigMap `kubeadm init` uploads (its ClusterConfiguration read from the bootstrap data the real kubeadm
        bootstrap controller rendered);
      - the control-plane endpoint (kube-vip's VIP, `lab-guest vip`): it listens on the Cluster's
        spec.controlPlaneEndpoint (a 127.x address), presents a serving certificate issued by the cluster's CA (the
        `<cluster>-ca` Secret KCP generated) and forwards to the lab API server that plays the cluster, impersonating
        the client certificate's user and groups: the kubeconfig KCP writes works as it does for real;
      - a kubelet's port-forward (`lab-guest kubelet`, one per cluster, the Nodes' kubelet endpoint): KCP reaches the
        kube-apiserver static pod through it (certificate expiry checks);
      - etcd machines: upstream clusterctl requires a nodeRef on every Machine before a move (EKS Anywhere's fork does
        not), so an etcd machine's guest registers a Node too (label node-role.kubernetes.io/etcd, tainted NoSchedule).
  * the etcdadm controller (aws/etcdadm-controller cannot be built from the Go module proxy): for an EtcdadmCluster it
    creates the etcd Machines (EtcdadmConfig + VSphereMachine from the infrastructure template), writes the
    `<cluster>-etcd-init` Secret and the Cluster's ManagedEtcdInitialized condition once the first member has an
    address (what the etcdadm bootstrap provider waits for to render `etcdadm join`), the
    `<cluster>-apiserver-etcd-client` Secret, and the EtcdadmCluster status;
  * Deployments nothing runs here (cert-manager, whose work real-controllers does; the etcdadm controller, played here;
    EKS Anywhere's controller; the CNI operator) are marked available.

Which lab API server plays a cluster's own API server is capi-sim's choice (capi_sim.Sim.host_for): the workload one,
a pool one for a workload cluster of a management cluster.

Run (started by `lab.py up` when LAB_CONTROLLERS=real): python guest_sim.py --state-dir <lab state dir>
"""
from __future__ import annotations

import argparse
import base64
import datetime
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import lab  # noqa: E402
from capi_sim import (ANN, CAPI2, ETCD1, INFRA2, PROVIDER_NAMESPACES, Sim, now, obj_path, suffix)  # noqa: E402
from real_controllers import MANAGERS  # noqa: E402

LOG = logging.getLogger("guest-sim")
BOOT1 = "bootstrap.cluster.x-k8s.io/v1beta1"
CP_LABEL = "cluster.x-k8s.io/control-plane"
ETCD_LABEL = "cluster.x-k8s.io/etcd-cluster"
CLUSTER_LABEL = "cluster.x-k8s.io/cluster-name"
MD_LABEL = "cluster.x-k8s.io/deployment-name"


def _cond(type_: str, status: bool, reason: str, message: str = "") -> dict:
    return {"type": type_, "status": "True" if status else "False", "reason": reason,
            "message": message or f"{type_} is {status} (guest-sim)",
            "lastTransitionTime": now()}


def _changed(old: dict, new: dict) -> bool:
    """Whether writing `new` over the status `old` changes anything but the conditions' transition times."""
    strip = lambda st: {k: ([{f: x for f, x in c.items() if f != "lastTransitionTime"} for c in v or []]  # noqa: E731
                            if k == "conditions" else v) for k, v in st.items()}
    return strip({k: old.get(k) for k in new}) != strip(new)


def _paused(c: dict) -> bool:
    return bool((c.get("spec") or {}).get("paused")) or \
        "cluster.x-k8s.io/paused" in ((c.get("metadata") or {}).get("annotations") or {})


def _owner(obj: dict, api_version: str, controller: bool = False) -> dict:
    o = {"apiVersion": api_version, "kind": obj["kind"], "name": obj["metadata"]["name"], "uid": obj["metadata"]["uid"]}
    if controller:
        o.update(controller=True, blockOwnerDeletion=True)
    return o


def cluster_configuration(bootstrap_data: str) -> str | None:
    """The ClusterConfiguration document of a kubeadm init cloud-config (what `kubeadm init` uploads)."""
    try:
        cc = yaml.safe_load(bootstrap_data) or {}
    except yaml.YAMLError:
        return None
    for f in cc.get("write_files") or []:
        content = f.get("content") or ""
        if "base64" in (f.get("encoding") or ""):
            content = base64.b64decode(content).decode()
        if f.get("path", "").endswith(".yaml") and "kind: ClusterConfiguration" in content:
            for doc in yaml.safe_load_all(content):
                if (doc or {}).get("kind") == "ClusterConfiguration":
                    return yaml.safe_dump(doc, sort_keys=False)
    return None


class Guest:
    def __init__(self, sd: Path):
        self.sd = sd
        self.pki = sd / "pki"
        self.sim = Sim(sd, 0, "", "")
        self.real = set(MANAGERS)
        self.customized: set[str] = set()
        self.gone: dict[str, float] = {}

    # --- Deployments nothing runs ---------------------------------------------------------------
    def mark_deployments(self, k) -> None:
        for ns in PROVIDER_NAMESPACES + ["kube-system"]:
            for d in k.list(f"/apis/apps/v1/namespaces/{ns}/deployments"):
                if (ns, d["metadata"]["name"]) in self.real:
                    continue
                r = d["spec"].get("replicas", 1)
                st = d.get("status") or {}
                if st.get("availableReplicas") == r and st.get("observedGeneration") == d["metadata"]["generation"]:
                    continue
                k.merge(f"/apis/apps/v1/namespaces/{ns}/deployments/{d['metadata']['name']}/status", {"status": {
                    "observedGeneration": d["metadata"]["generation"], "replicas": r, "readyReplicas": r,
                    "availableReplicas": r, "updatedReplicas": r, "conditions": [
                        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                         "message": "not run in the lab (guest-sim)", "lastUpdateTime": now(),
                         "lastTransitionTime": now()}]}})
                LOG.info("%s: deployment %s/%s marked available (not run in the lab)", k.name, ns,
                         d["metadata"]["name"])

    # --- guest IPs --------------------------------------------------------------------------------
    def assign_ips(self, k) -> None:
        from pyVmomi import vim
        import vsphere_seed
        for v in k.list(f"/apis/{INFRA2}/vspherevms"):
            st = v.get("status") or {}
            name = v["metadata"]["name"]
            uuid = (v.get("spec") or {}).get("biosUUID")
            if v["metadata"].get("deletionTimestamp") or st.get("addresses") or not uuid or name in self.customized:
                continue
            if self.fault_for(k, v) == "machine-never-ready" and self._never_ready_vm(k, v):
                continue
            si = self.sim.si()
            vm = si.content.searchIndex.FindByUuid(None, uuid, True, False)
            if vm is None or vm.runtime.powerState != "poweredOn" or vm.guest.ipAddress:
                continue
            ip = self.sim._ip(name)
            LOG.info("%s: VM %s: guest IP %s (power off, customize, power on)", k.name, name, ip)
            spec = vim.vm.customization.Specification(
                identity=vim.vm.customization.LinuxPrep(domain="lab.local",
                                                        hostName=vim.vm.customization.FixedName(name=name[:63])),
                globalIPSettings=vim.vm.customization.GlobalIPSettings(),
                nicSettingMap=[vim.vm.customization.AdapterMapping(adapter=vim.vm.customization.IPSettings(
                    ip=vim.vm.customization.FixedIp(ipAddress=ip), subnetMask="255.0.0.0", gateway=["10.0.0.1"]))])
            vsphere_seed.wait_task(vm.PowerOffVM_Task())
            vsphere_seed.wait_task(vm.CustomizeVM_Task(spec))
            vsphere_seed.wait_task(vm.PowerOnVM_Task())
            self.customized.add(name)

    def fault_for(self, k, obj: dict) -> str:
        cname = (obj["metadata"].get("labels") or {}).get(CLUSTER_LABEL)
        if not cname:
            return ""
        c = k.get(obj_path(CAPI2, "clusters", obj["metadata"]["namespace"], cname)) or {"metadata": {"name": cname}}
        return self.sim.cluster_opts(c)["fault"]

    def _never_ready_vm(self, k, v) -> bool:
        """machine-never-ready: the first worker's guest never gets an IP (so never a Node). A worker is a Machine of a
        MachineDeployment (its VSphereVM, named after it, carries no role label: CAPV does not copy them)."""
        ns, cname = v["metadata"]["namespace"], (v["metadata"].get("labels") or {}).get(CLUSTER_LABEL)
        workers = sorted(m["metadata"]["name"] for m in k.list(obj_path(CAPI2, "machines", ns)
                                                               + f"?labelSelector={CLUSTER_LABEL}={cname}")
                         if MD_LABEL in (m["metadata"].get("labels") or {}))
        return bool(workers) and workers[0] == v["metadata"]["name"]

    # --- the etcdadm controller's role --------------------------------------------------------
    def etcdadm(self, k) -> None:
        if not k.has_api(ETCD1):
            return
        for ec in k.list(f"/apis/{ETCD1}/etcdadmclusters"):
            ns, ename = ec["metadata"]["namespace"], ec["metadata"]["name"]
            cname = (ec["metadata"].get("labels") or {}).get(CLUSTER_LABEL) or ename.removesuffix("-etcd")
            c = k.get(obj_path(CAPI2, "clusters", ns, cname))
            if c is None or _paused(c):
                continue
            if c["metadata"].get("deletionTimestamp") or ec["metadata"].get("deletionTimestamp"):
                # EKS Anywhere's Cluster API fork deletes the managed etcd with its Cluster; upstream's Cluster waits for
                # every Machine of the cluster (etcd ones included) to be gone first: the etcd members go now
                for m in k.list(obj_path(CAPI2, "machines", ns) + f"?labelSelector={ETCD_LABEL}={ename}"):
                    if not m["metadata"].get("deletionTimestamp"):
                        k.req("DELETE", obj_path(CAPI2, "machines", ns, m["metadata"]["name"]))
                        LOG.info("%s: etcd machine %s/%s deleted with its cluster (etcdadm controller: guest-sim)",
                                 k.name, ns, m["metadata"]["name"])
                continue
            if not any(o.get("kind") == "Cluster" for o in ec["metadata"].get("ownerReferences") or []):
                k.merge(obj_path(ETCD1, "etcdadmclusters", ns, ename),
                        {"metadata": {"ownerReferences": [_owner(c, CAPI2)]}})
            tref = ec["spec"]["infrastructureTemplate"]
            tmpl = k.get(obj_path(INFRA2, "vspheremachinetemplates", ns, tref["name"]))
            if tmpl is None or not ((c.get("status") or {}).get("initialization") or {}).get("infrastructureProvisioned"):
                continue
            if not any(o.get("kind") == "Cluster" for o in tmpl["metadata"].get("ownerReferences") or []):
                k.merge(obj_path(INFRA2, "vspheremachinetemplates", ns, tref["name"]),
                        {"metadata": {"ownerReferences": [_owner(c, CAPI2)]}})
            want = ec["spec"].get("replicas", 1)
            machines = sorted((m for m in k.list(obj_path(CAPI2, "machines", ns) + f"?labelSelector={ETCD_LABEL}={ename}")
                               if not m["metadata"].get("deletionTimestamp")),
                              key=lambda m: m["metadata"]["creationTimestamp"])
            addresses = [a["address"] for m in machines for a in ((m.get("status") or {}).get("addresses") or [])[:1]]
            initialized = any(x.get("type") == "ManagedEtcdInitialized" and x.get("status") == "True"
                              for x in (c.get("status") or {}).get("conditions") or [])
            if not machines:
                self.etcd_machine(k, c, ec, tmpl, 0)
                continue
            if not initialized:
                if not addresses:
                    continue
                # the control plane's etcd secrets first: the Cluster update below has KCP reconcile again
                self.etcd_client_secret(k, c, ec)
                first = machines[0]
                addr = ((first.get("status") or {}).get("addresses") or [{}])[0].get("address")
                k.create(obj_path("v1", "secrets", ns), {
                    "apiVersion": "v1", "kind": "Secret", "metadata": {
                        "name": f"{cname}-etcd-init", "namespace": ns, "labels": {CLUSTER_LABEL: cname},
                        "ownerReferences": [_owner(ec, ETCD1)]},
                    "stringData": {"address": addr, "clientUrls": f"https://{addr}:2379"}})
                conds = [x for x in (c.get("status") or {}).get("conditions") or []
                         if x.get("type") != "ManagedEtcdInitialized"]
                conds.append(_cond("ManagedEtcdInitialized", True, "Initialized",
                                   "first etcd member up (etcdadm controller: guest-sim)"))
                k.merge(obj_path(CAPI2, "clusters", ns, cname, "status"), {"status": {"conditions": conds}})
                LOG.info("%s: etcd of %s/%s initialized at %s", k.name, ns, cname, addr)
                continue
            # members are replaced one at a time, a new one first (surge), as etcdadm-controller does: outdated =
            # cloned from another template than the EtcdadmCluster's
            infra = {v["metadata"]["name"]: v for v in k.list(obj_path(INFRA2, "vspheremachines", ns)
                                                             + f"?labelSelector={ETCD_LABEL}={ename}")}
            cloned = {m["metadata"]["name"]: ((infra.get(m["spec"]["infrastructureRef"]["name"]) or {})
                                              .get("metadata", {}).get("annotations") or {})
                      .get("cluster.x-k8s.io/cloned-from-name") for m in machines}
            outdated = [m for m in machines if cloned[m["metadata"]["name"]] != tref["name"]]
            all_up = len(addresses) == len(machines)
            if len(machines) < want:
                self.etcd_machine(k, c, ec, tmpl, len(machines))
            elif all_up and len(machines) > want:
                gone = (outdated or machines)[0]  # the oldest outdated member, else the oldest (scale down)
                k.req("DELETE", obj_path(CAPI2, "machines", ns, gone["metadata"]["name"]))
                LOG.info("%s: etcd machine %s/%s deleted (etcdadm controller: guest-sim)", k.name, ns,
                         gone["metadata"]["name"])
            elif all_up and outdated:
                self.etcd_machine(k, c, ec, tmpl, len(machines))
            init = k.get(obj_path("v1", "secrets", ns, f"{cname}-etcd-init"))
            recorded = base64.b64decode(((init or {}).get("data") or {}).get("address") or "").decode()
            if init is not None and addresses and recorded not in addresses:  # the member it names was replaced
                k.merge(obj_path("v1", "secrets", ns, f"{cname}-etcd-init"), {"stringData": {
                    "address": addresses[-1], "clientUrls": f"https://{addresses[-1]}:2379"}})
            ready = len(addresses)
            up_to_date = len(machines) - len(outdated)
            self.etcd_client_secret(k, c, ec)
            status = {
                "ready": ready >= want and len(machines) == want and not outdated, "initialized": True,
                "creationComplete": True,
                "replicas": len(machines), "readyReplicas": ready, "upToDateReplicas": up_to_date,
                "initMachineAddress": addresses[0] if addresses else "",
                "endpoints": ",".join(f"https://{a}:2379" for a in addresses),
                "observedGeneration": ec["metadata"]["generation"],
                "conditions": [_cond("Ready", ready >= want, "Ready" if ready >= want else "EtcdMachinesNotReady"),
                               _cond("EtcdMachinesReady", ready >= want,
                                     "Ready" if ready >= want else "EtcdMachinesNotReady")]}
            if _changed(ec.get("status") or {}, status):  # a write only when something changed: no watch churn
                k.merge(obj_path(ETCD1, "etcdadmclusters", ns, ename, "status"), {"status": status})

    def etcd_machine(self, k, c, ec, tmpl, i: int) -> None:
        ns, ename, cname = ec["metadata"]["namespace"], ec["metadata"]["name"], c["metadata"]["name"]
        mname = f"{ename}-{suffix(ns, ename, tmpl['metadata']['name'], str(i), str(time.time()))}"
        labels = {CLUSTER_LABEL: cname, ETCD_LABEL: ename}
        k.create(obj_path(BOOT1, "etcdadmconfigs", ns), {
            "apiVersion": BOOT1, "kind": "EtcdadmConfig",
            "metadata": {"name": mname, "namespace": ns, "labels": labels, "ownerReferences": [_owner(ec, ETCD1)]},
            "spec": ec["spec"].get("etcdadmConfigSpec") or {}})
        k.create(obj_path(INFRA2, "vspheremachines", ns), {
            "apiVersion": INFRA2, "kind": "VSphereMachine",
            "metadata": {"name": mname, "namespace": ns, "labels": labels, "ownerReferences": [_owner(ec, ETCD1)],
                         "annotations": {"cluster.x-k8s.io/cloned-from-name": tmpl["metadata"]["name"],
                                         "cluster.x-k8s.io/cloned-from-groupkind":
                                             "VSphereMachineTemplate.infrastructure.cluster.x-k8s.io"}},
            "spec": tmpl["spec"]["template"]["spec"]})
        k.create(obj_path(CAPI2, "machines", ns), {
            "apiVersion": CAPI2, "kind": "Machine",
            "metadata": {"name": mname, "namespace": ns, "labels": labels,
                         "ownerReferences": [_owner(ec, ETCD1, controller=True)]},
            "spec": {"clusterName": cname,
                     "bootstrap": {"configRef": {"apiGroup": "bootstrap.cluster.x-k8s.io", "kind": "EtcdadmConfig",
                                                 "name": mname}},
                     "infrastructureRef": {"apiGroup": "infrastructure.cluster.x-k8s.io", "kind": "VSphereMachine",
                                           "name": mname}}})
        LOG.info("%s: etcd machine %s/%s created (etcdadm controller: guest-sim)", k.name, ns, mname)

    def etcd_client_secret(self, k, c, ec) -> None:
        """What the etcdadm controller gives the control plane once etcd is up: `<cluster>-etcd` (the etcd CA's
        certificate, KCP's external etcd CA) and `<cluster>-apiserver-etcd-client` (the API server's etcd client
        certificate), both from the CA the etcdadm bootstrap provider generated (`<cluster>-managed-etcd`)."""
        ns, cname = c["metadata"]["namespace"], c["metadata"]["name"]
        name = f"{cname}-apiserver-etcd-client"
        if k.get(obj_path("v1", "secrets", ns, name)) is not None:
            return
        ca = k.get(obj_path("v1", "secrets", ns, f"{cname}-managed-etcd"))
        if ca is None:
            return
        if k.get(obj_path("v1", "secrets", ns, f"{cname}-etcd")) is None:
            k.create(obj_path("v1", "secrets", ns), {
                "apiVersion": "v1", "kind": "Secret", "type": "cluster.x-k8s.io/secret",
                "metadata": {"name": f"{cname}-etcd", "namespace": ns, "labels": {CLUSTER_LABEL: cname},
                             "ownerReferences": [_owner(ec, ETCD1)]},
                "data": {"tls.crt": ca["data"]["tls.crt"]}})
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
        ca_cert = x509.load_pem_x509_certificate(base64.b64decode(ca["data"]["tls.crt"]))
        ca_key = serialization.load_pem_private_key(base64.b64decode(ca["data"]["tls.key"]), None)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        t = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver-etcd-client")]))
                .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(t - datetime.timedelta(minutes=5)).not_valid_after(t + datetime.timedelta(days=365))
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        pem = lambda b: base64.b64encode(b).decode()  # noqa: E731
        k.create(obj_path("v1", "secrets", ns), {
            "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": ns, "labels": {CLUSTER_LABEL: cname},
                         "ownerReferences": [_owner(ec, ETCD1)]},
            "data": {"tls.crt": pem(cert.public_bytes(serialization.Encoding.PEM)),
                     "tls.key": pem(key.private_bytes(serialization.Encoding.PEM,
                                                      serialization.PrivateFormat.TraditionalOpenSSL,
                                                      serialization.NoEncryption()))}})
        LOG.info("%s: secret %s/%s written (etcdadm controller: guest-sim)", k.name, ns, name)

    # --- the cluster's endpoint and kubelet -----------------------------------------------------
    def endpoint(self, k, c) -> dict | None:
        """Start the cluster's VIP and kubelet (once its CA exists); returns {"kubelet_port": ...}."""
        ns, cname = c["metadata"]["namespace"], c["metadata"]["name"]
        key = f"{ns}-{cname}"
        gd = self.sd / "guest" / key
        info_f = self.sd / "guest" / f"{key}.json"
        pids = self.sd / "pids"
        alive = lambda n: (pids / f"{n}.pid").exists() and lab._pid_alive(  # noqa: E731
            json.loads((pids / f"{n}.pid").read_text())["pid"])
        if info_f.exists() and alive(f"lab-guest-vip-{key}") and alive(f"lab-guest-kubelet-{key}"):
            return json.loads(info_f.read_text())
        ep = (c.get("spec") or {}).get("controlPlaneEndpoint") or {}
        ca = k.get(obj_path("v1", "secrets", ns, f"{cname}-ca"))
        if not ep.get("host") or ca is None:
            return None
        host = self.sim.host_for(k, ns, cname)
        gd.mkdir(parents=True, exist_ok=True)
        gd.chmod(0o700)
        for fname, data in (("ca.crt", ca["data"]["tls.crt"]), ("ca.key", ca["data"]["tls.key"])):
            fd = os.open(gd / fname, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(base64.b64decode(data))
        vip = f"{ep['host']}:{ep.get('port') or 6443}"
        binary = str(lab._target_dir("guest", lab._targets()["guest"][0]) / "lab-guest")
        for n in (f"lab-guest-vip-{key}", f"lab-guest-kubelet-{key}"):
            if (pids / f"{n}.pid").exists():
                try:
                    os.killpg(json.loads((pids / f"{n}.pid").read_text())["pid"], signal.SIGTERM)
                except ProcessLookupError:
                    pass
        (gd / "vip.ready").unlink(missing_ok=True)
        (gd / "kubelet.ready").unlink(missing_ok=True)
        lab._start(self.sd, f"lab-guest-vip-{key}", [
            binary, "vip", "--listen", vip, "--cluster-ca-cert", str(gd / "ca.crt"), "--cluster-ca-key",
            str(gd / "ca.key"), "--upstream", host.server, "--upstream-ca", str(self.pki / "ca.crt"),
            "--upstream-cert", str(self.pki / "admin.crt"), "--upstream-key", str(self.pki / "admin.key"),
            "--ready-file", str(gd / "vip.ready")])
        lab._start(self.sd, f"lab-guest-kubelet-{key}", [
            binary, "kubelet", "--listen", "127.0.0.1:0", "--ready-file", str(gd / "kubelet.ready"),
            "--forward", f"kube-apiserver-:{ep.get('port') or 6443}={vip}"])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not ((gd / "vip.ready").exists() and (gd / "kubelet.ready").exists()):
            time.sleep(0.1)
        if not (gd / "kubelet.ready").exists():
            raise RuntimeError(f"lab-guest for {key} did not start (logs in {self.sd / 'logs'})")
        info = {"vip": vip, "kubelet_port": int((gd / "kubelet.ready").read_text().strip().rsplit(":", 1)[1]),
                "host": host.name, "namespace": ns, "name": cname}
        info_f.write_text(json.dumps(info))
        LOG.info("%s: cluster %s/%s: endpoint %s -> %s API server, kubelet 127.0.0.1:%s", k.name, ns, cname, vip,
                 host.name, info["kubelet_port"])
        return info

    def stop_endpoint(self, key: str) -> None:
        for n in (f"lab-guest-vip-{key}", f"lab-guest-kubelet-{key}"):
            pf = self.sd / "pids" / f"{n}.pid"
            if pf.exists():
                try:
                    os.killpg(json.loads(pf.read_text())["pid"], signal.SIGTERM)
                except ProcessLookupError:
                    pass
                pf.unlink(missing_ok=True)
        (self.sd / "guest" / f"{key}.json").unlink(missing_ok=True)
        LOG.info("cluster %s gone: its endpoint and kubelet stopped", key)

    # --- boot: what the guest leaves in the cluster's API server ----------------------------------
    def boot(self, k) -> None:
        for m in k.list(f"/apis/{CAPI2}/machines"):
            spec, md = m.get("spec") or {}, m["metadata"]
            if md.get("deletionTimestamp") or not spec.get("providerID") or \
                    not (spec.get("bootstrap") or {}).get("dataSecretName"):
                continue
            ns, cname = md["namespace"], spec["clusterName"]
            c = k.get(obj_path(CAPI2, "clusters", ns, cname))
            if c is None:
                continue
            labels = md.get("labels") or {}
            role = "control-plane" if CP_LABEL in labels else ("etcd" if ETCD_LABEL in labels else "worker")
            ep = self.endpoint(k, c)
            if ep is None:
                continue
            host = self.sim.server(ep["host"])
            node = md["name"]
            if host.get(f"/api/v1/nodes/{node}") is not None:
                continue
            if role == "control-plane":
                self.control_plane_guest(k, host, m, node)
            self.register_node(host, m, node, role, ep["kubelet_port"])
            LOG.info("%s: machine %s/%s booted: node %s (%s) on the %s API server", k.name, ns, node, node, role,
                     host.name)

    def control_plane_guest(self, k, host, m, node: str) -> None:
        ns = m["metadata"]["namespace"]
        if host.get("/api/v1/namespaces/kube-system/configmaps/kubelet-config") is None:
            host.create("/api/v1/namespaces/kube-system/configmaps", {
                "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kubelet-config", "namespace": "kube-system"},
                "data": {"kubelet": "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"}})
        if host.get("/api/v1/namespaces/kube-system/configmaps/kubeadm-config") is None:
            sec = k.get(obj_path("v1", "secrets", ns, m["spec"]["bootstrap"]["dataSecretName"]))
            cfg = cluster_configuration(base64.b64decode(sec["data"]["value"]).decode()) if sec else None
            if cfg is not None:
                host.create("/api/v1/namespaces/kube-system/configmaps", {
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
                    "data": {"ClusterConfiguration": cfg}})
        for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
            name = f"{component}-{node}"
            if host.get(f"/api/v1/namespaces/kube-system/pods/{name}") is None:
                host.create("/api/v1/namespaces/kube-system/pods", {
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": name, "namespace": "kube-system",
                                 "labels": {"component": component, "tier": "control-plane"},
                                 "annotations": {"kubernetes.io/config.mirror": suffix(name, n=16),
                                                 "kubernetes.io/config.source": "file"}},
                    "spec": {"nodeName": node, "containers": [
                        {"name": component, "image": f"registry.k8s.io/{component}:{m['spec'].get('version')}"}]}})
            host.merge(f"/api/v1/namespaces/kube-system/pods/{name}/status", {"status": {
                "phase": "Running", "conditions": [
                    {"type": t, "status": "True", "lastTransitionTime": now()}
                    for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready")]}})

    def register_node(self, host, m, node: str, role: str, kubelet_port: int) -> None:
        labels = {"kubernetes.io/hostname": node, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"}
        taints = []
        if role == "control-plane":  # what kubeadm init/join sets (KCP checks it)
            labels["node-role.kubernetes.io/control-plane"] = ""
            taints = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
        if role == "etcd":
            labels["node-role.kubernetes.io/etcd"] = ""
            taints = [{"key": "node-role.kubernetes.io/etcd", "effect": "NoSchedule"}]
        provider_id = m["spec"]["providerID"]
        host.create("/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node, "labels": labels},
                                      "spec": {"providerID": provider_id, "taints": taints}})
        t = now()
        host.merge(f"/api/v1/nodes/{node}/status", {"status": {
            # the kubelet's address is the lab's fake kubelet (the VM's own IP is on the Machine)
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet_port}},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "guest-sim",
                            "lastHeartbeatTime": t, "lastTransitionTime": t}] + [
                {"type": p, "status": "False", "reason": f"KubeletHasNo{p}", "message": "guest-sim",
                 "lastHeartbeatTime": t, "lastTransitionTime": t}
                for p in ("MemoryPressure", "DiskPressure", "PIDPressure")],
            "nodeInfo": {"kubeletVersion": m["spec"].get("version") or "v0.0.0", "kubeProxyVersion": "",
                         "machineID": "", "systemUUID": provider_id.removeprefix("vsphere://"), "bootID": "",
                         "kernelVersion": "", "osImage": "guest-sim", "containerRuntimeVersion": "containerd://lab",
                         "operatingSystem": "linux", "architecture": "amd64"}}})

    # --- clusters gone --------------------------------------------------------------------------
    def sweep(self) -> None:
        live = set()
        for k in self.sim.kubes:
            if k.has_api(CAPI2):
                live |= {f"{c['metadata']['namespace']}-{c['metadata']['name']}"
                         for c in k.list(f"/apis/{CAPI2}/clusters")}
        gd = self.sd / "guest"
        for f in gd.glob("*.json") if gd.is_dir() else []:
            key = f.stem
            if key in live:
                self.gone.pop(key, None)
                continue
            first = self.gone.setdefault(key, time.monotonic())
            if time.monotonic() - first > 10:  # not a move (the target has the Cluster before the source loses it)
                info = json.loads(f.read_text())
                self.stop_endpoint(key)
                self.sim.release(self.sim.server(info["host"]), info["namespace"], info["name"])
                self.gone.pop(key, None)

    def reconcile(self) -> None:
        for k in self.sim.kubes:
            try:
                self.mark_deployments(k)
                if not k.has_api(CAPI2):
                    continue
                self.assign_ips(k)
                self.etcdadm(k)
                self.boot(k)
            except Exception as e:  # noqa: BLE001 - API servers restart, CRDs appear later: next pass
                LOG.warning("%s: %s", k.name, e)
        try:
            self.sweep()
        except Exception as e:  # noqa: BLE001
            LOG.warning("sweep: %s", e)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--state-dir", type=Path, default=lab.state_dir())
    ap.add_argument("--interval", type=float, default=1.0)
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s guest-sim %(levelname)s %(message)s")
    g = Guest(a.state_dir)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    LOG.info("started")
    # a pass as soon as something the guest answers to changes (a VM cloned or powered on, a Machine given its
    # providerID, an EtcdadmCluster, a Cluster, a Deployment), else every --interval seconds
    wake = threading.Event()
    for k in g.sim.kubes:
        for path in (f"/apis/{CAPI2}/machines", f"/apis/{INFRA2}/vspherevms", f"/apis/{ETCD1}/etcdadmclusters",
                     f"/apis/{CAPI2}/clusters", "/apis/apps/v1/deployments"):
            threading.Thread(target=k.watch, args=(path, wake, stop), daemon=True).start()
    while not stop:
        wake.clear()
        g.reconcile()
        wake.wait(a.interval)
        time.sleep(0.05)  # events come in bursts: one pass for the burst
    LOG.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
