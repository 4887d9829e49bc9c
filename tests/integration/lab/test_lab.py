"""Prove that each lab component is the real thing (see tests/lab/README.md)."""
from __future__ import annotations

import base64
import glob
import hashlib
import json
import os
import ssl
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from lab_fixture import LAB_DIR, shared_dir

sys.path.insert(0, str(LAB_DIR))
import vsphere_seed  # noqa: E402  pylint: disable=wrong-import-position

pytestmark = pytest.mark.lab
FIXTURES = Path(__file__).resolve().parent / "fixtures"
INIT_ARGS = ["--core", "cluster-api:v1.13.5",
             "--bootstrap", "kubeadm:v1.13.5,etcdadm-bootstrap:v1.0.19,etcdadm-controller:v1.0.28",
             "--control-plane", "kubeadm:v1.13.5", "--infrastructure", "vsphere:v1.16.1"]
PROVIDERS = {"cluster-api", "bootstrap-kubeadm", "control-plane-kubeadm", "infrastructure-vsphere",
             "bootstrap-etcdadm-bootstrap", "bootstrap-etcdadm-controller"}


def run(args, check=True, **kw):
    p = subprocess.run(args, capture_output=True, text=True, check=False, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def kubectl(lab, kubeconfig_key, *args, check=True, stdin=None):
    return run([os.path.join(lab["LAB_BIN"], "kubectl"), "--kubeconfig", lab[kubeconfig_key], *args],
               check=check, input=stdin)


def clusterctl(lab, *args, check=True):
    env = dict(os.environ, CLUSTERCTL_DISABLE_VERSIONCHECK="true", HOME=lab["LAB_STATE_DIR"])
    return run([os.path.join(lab["LAB_BIN"], "clusterctl"), "--config", lab["LAB_CLUSTERCTL_CONFIG"], *args],
               check=check, env=env, cwd=lab["LAB_STATE_DIR"])


def vsphere(lab):
    return vsphere_seed.connect(lab["LAB_VSPHERE_SERVER"], lab["LAB_VSPHERE_USERNAME"], lab["LAB_VSPHERE_PASSWORD"],
                                cafile=lab["LAB_VSPHERE_CA_FILE"])


def rest(lab):
    return vsphere_seed.RestSession(lab["LAB_VSPHERE_SERVER"], lab["LAB_VSPHERE_USERNAME"],
                                    lab["LAB_VSPHERE_PASSWORD"], cafile=lab["LAB_VSPHERE_CA_FILE"])


def wait_for(what, fn, timeout=60, interval=0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last})")


# --- vCenter --------------------------------------------------------------------------------

def test_env_values_are_complete(lab):
    for key in ("LAB_BOOTSTRAP_KUBECONFIG", "LAB_WORKLOAD_KUBECONFIG", "LAB_VSPHERE_SERVER", "LAB_VSPHERE_USERNAME",
                "LAB_VSPHERE_PASSWORD", "LAB_VSPHERE_THUMBPRINT", "LAB_BUNDLE", "LAB_BIN"):
        assert lab[key], key
    for tool in ("clusterctl", "kind", "govc", "kubectl"):
        assert os.access(os.path.join(lab["LAB_BIN"], tool), os.X_OK), tool
    for key in ("LAB_BOOTSTRAP_KUBECONFIG", "LAB_WORKLOAD_KUBECONFIG"):
        assert os.stat(lab[key]).st_mode & 0o777 == 0o600
    # the files holding the lab's passwords and keys
    state = Path(lab["LAB_STATE_DIR"])
    for path in [state / "state.json", state / "env.sh"] + sorted((state / "pki").glob("*.key")):
        assert os.stat(path).st_mode & 0o777 == 0o600, path
    assert os.stat(state).st_mode & 0o777 == 0o700
    assert run([os.path.join(lab["LAB_BIN"], "kind"), "version"]).stdout.startswith("kind v0.33.0")
    assert "v1.13.5" in run([os.path.join(lab["LAB_BIN"], "clusterctl"), "version", "-o", "short"]).stdout
    assert "0.46.3" in run([os.path.join(lab["LAB_BIN"], "govc"), "version"]).stdout


def test_vsphere_passwords_are_random_and_only_in_the_0600_state_files(lab):
    """Generated at `up`, never on a command line (every local user can read those) nor in `up`'s output or logs:
    a leak test that searches output and files for them means something."""
    passwords = [lab["LAB_VSPHERE_PASSWORD"], lab["LAB_VSPHERE_CP_PASSWORD"]]
    assert len(set(passwords)) == 2 and all(len(p) >= 20 for p in passwords)
    assert not set(passwords) & {"Lab-Passw0rd!", "Lab-Cp1-Passw0rd!"}  # the constants they replaced
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            text = Path(cmdline).read_bytes().decode(errors="replace")
        except OSError:
            continue
        assert not any(p in text for p in passwords), cmdline
    state = Path(lab["LAB_STATE_DIR"])
    holders = []
    for path in state.rglob("*"):
        # etcd's data holds the Secrets that create tests put in the lab's clusters (vSphere credentials, as in EKS-A)
        if (state / "etcd") in path.parents:
            continue
        if path.is_file() and path.stat().st_size < 50 * 1024 * 1024:
            data = path.read_bytes()
            if any(p.encode() in data for p in passwords):
                holders.append(path.name)
    assert sorted(holders) == ["env.sh", "state.json"]
    # `up` (here: already up) prints the environment without them; `env` prints them, asked to
    up = run([sys.executable, str(LAB_DIR / "lab.py"), "up"], env=dict(os.environ, LAB_STATE_DIR=str(state)))
    assert "LAB_VSPHERE_SERVER=" in up.stdout and not any(p in up.stdout + up.stderr for p in passwords)
    env = run([sys.executable, str(LAB_DIR / "lab.py"), "env"], env=dict(os.environ, LAB_STATE_DIR=str(state)))
    assert all(p in env.stdout for p in passwords)


def test_vcenter_tls_thumbprint_and_ca(lab):
    host, port = lab["LAB_VSPHERE_SERVER"].rsplit(":", 1)
    assert host == "127.0.0.1"
    der = ssl.get_server_certificate((host, int(port)))
    fp = hashlib.sha1(ssl.PEM_cert_to_DER_cert(der)).hexdigest().upper()  # noqa: S324 - vSphere thumbprint
    assert lab["LAB_VSPHERE_THUMBPRINT"] == ":".join(fp[i:i + 2] for i in range(0, 40, 2))
    # verification against the system trust store must fail: the lab CA is private
    with pytest.raises(ssl.SSLError):
        ctx = ssl.create_default_context()
        with ctx.wrap_socket(__import__("socket").create_connection((host, int(port))), server_hostname=host):
            pass
    # wrong password is refused
    with pytest.raises(Exception):  # noqa: B017 - vim.fault.InvalidLogin
        vsphere_seed.connect(lab["LAB_VSPHERE_SERVER"], lab["LAB_VSPHERE_USERNAME"], "wrong",
                             cafile=lab["LAB_VSPHERE_CA_FILE"])


def test_vcenter_inventory_matches_reference_specs(lab):
    si = vsphere(lab)
    try:
        about = si.content.about
        assert about.apiType == "VirtualCenter"
        paths = set()
        for f in glob.glob(str(shared_dir() / "eksa-reference" / "vsphere" / "cluster_*.yaml")):
            for doc in yaml.safe_load_all(open(f)):
                spec = (doc or {}).get("spec") or {}
                if doc and doc.get("kind") == "VSphereDatacenterConfig":
                    paths.add("/" + spec["datacenter"])
                    paths.update(spec.get("network") and [spec["network"]] or [])
                if doc and doc.get("kind") == "VSphereMachineConfig":
                    for k in ("datastore", "folder", "template"):
                        if spec.get(k):
                            paths.add(spec[k])
                    paths.update(spec.get("networks") or [])
        assert "/SDDC-Datacenter/vm/Templates/ubuntu-1804-kube-v1.19.6" in paths
        for p in sorted(paths):
            assert vsphere_seed.find_by_path(si, p) is not None, p
        # "*/Resources": the compute cluster's root resource pool
        pool = vsphere_seed.find_by_path(si, "/SDDC-Datacenter/host/Cluster-1/Resources")
        assert pool is not None and pool.name == "Resources"
        tmpl = vsphere_seed.find_by_path(si, "/SDDC-Datacenter/vm/Templates/ubuntu-1804-kube-v1.19.6")
        assert tmpl.config.template is True
        assert tmpl.snapshot is not None and tmpl.snapshot.rootSnapshotList[0].name == "root"
        assert getattr(vsphere_seed.find_by_path(si, "/SDDC-Datacenter/vm/Templates/ubuntu-1804-kube-v1.19.6-nosnapshot"), "snapshot", None) is None
        r = rest(lab)
        try:
            assert r.attached_tags(tmpl) == ["eksdRelease:kubernetes-1-19-eks-4", "os:ubuntu"]
            br = vsphere_seed.find_by_path(si, "/SDDC-Datacenter/vm/Templates/bottlerocket-v1.21.2-kubernetes-1-21-eks-4-amd64")
            assert r.attached_tags(br) == ["eksdRelease:kubernetes-1-21-eks-4", "os:bottlerocket"]
            assert {"os", "eksdRelease"} <= set(r.categories())
        finally:
            r.close()
    finally:
        vsphere_seed.disconnect(si)


def test_seed_is_idempotent_and_extensible(lab):
    si = vsphere(lab)
    r = rest(lab)
    try:
        extra = {"tagCategories": [{"name": "eksdRelease", "tags": ["eksdRelease:kubernetes-1-99-eks-1"]}],
                 "datacenters": [{"name": "SDDC-Datacenter", "folders": ["extra/nested"], "templates": [{
                     "name": "extra-template", "folder": "Templates", "cluster": "Cluster-1",
                     "datastore": "WorkloadDatastore", "network": "network-1", "snapshots": ["root"],
                     "tags": ["os:ubuntu", "eksdRelease:kubernetes-1-99-eks-1"]}]}]}
        vsphere_seed.seed(si, extra, rest=r)
        vsphere_seed.seed(si, extra, rest=r)
        t = vsphere_seed.find_by_path(si, "/SDDC-Datacenter/vm/Templates/extra-template")
        assert t is not None and t.config.template
        assert r.attached_tags(t) == ["eksdRelease:kubernetes-1-99-eks-1", "os:ubuntu"]
        assert vsphere_seed.find_by_path(si, "/SDDC-Datacenter/vm/extra/nested") is not None
        names = [c.name for c in t.parent.childEntity]
        assert names.count("extra-template") == 1
    finally:
        r.close()
        vsphere_seed.disconnect(si)


# --- clusterctl init ------------------------------------------------------------------------

def _providers(lab, key):
    p = kubectl(lab, key, "get", "providers.clusterctl.cluster.x-k8s.io", "-A", "-o", "json", check=False)
    if p.returncode != 0:
        return set()
    return {i["metadata"]["name"] for i in json.loads(p.stdout)["items"]}


def _init(lab, key):
    if PROVIDERS <= _providers(lab, key):
        return ""
    p = clusterctl(lab, "init", "--kubeconfig", lab[key], *INIT_ARGS)
    return p.stdout + p.stderr


def test_clusterctl_init_installs_the_providers(lab):
    # runs before the CRD tests: with cert-manager's CRDs already present clusterctl skips cert-manager
    out = _init(lab, "LAB_BOOTSTRAP_KUBECONFIG")
    assert PROVIDERS <= _providers(lab, "LAB_BOOTSTRAP_KUBECONFIG")
    if out:
        assert 'Installing cert-manager version="v1.21.1"' in out, out
    deps = {
        "capi-system": "capi-controller-manager",
        "capi-kubeadm-bootstrap-system": "capi-kubeadm-bootstrap-controller-manager",
        "capi-kubeadm-control-plane-system": "capi-kubeadm-control-plane-controller-manager",
        "capv-system": "capv-controller-manager",
        "etcdadm-bootstrap-provider-system": "etcdadm-bootstrap-provider-controller-manager",
        "etcdadm-controller-system": "etcdadm-controller-controller-manager",
        "cert-manager": "cert-manager",
    }
    for ns, name in deps.items():
        kubectl(lab, "LAB_BOOTSTRAP_KUBECONFIG", "wait", "-n", ns, f"deployment/{name}", "--for=condition=Available",
                "--timeout=30s")
    crd = json.loads(kubectl(lab, "LAB_BOOTSTRAP_KUBECONFIG", "get", "crd", "clusters.cluster.x-k8s.io", "-o",
                             "json").stdout)
    assert crd["metadata"]["labels"]["cluster.x-k8s.io/provider"] == "cluster-api"
    out = clusterctl(lab, "describe", "cluster", "none", "--kubeconfig", lab["LAB_BOOTSTRAP_KUBECONFIG"], check=False)
    assert "clusters.cluster.x-k8s.io \"none\" not found" in (out.stderr + out.stdout)


# --- API servers ----------------------------------------------------------------------------

def _crd_files():
    return sorted(glob.glob(str(shared_dir() / "crds" / "*" / "*.yaml")))


@pytest.fixture(scope="module")
def crds_installed(lab):
    """The pinned CRDs on both API servers. Only the missing ones are added, shaped as the lab bundle's providers
    ship them (EKS Anywhere's fork field on Cluster, no conversion webhook): the API servers are shared with the
    clusters other tests created, and re-applying the upstream CRDs over the providers' would strip that field."""
    import lab_bundle  # noqa: WPS433  pylint: disable=import-outside-toplevel
    files = _crd_files()
    assert files, f"no CRDs under {shared_dir() / 'crds'}"
    docs = [lab_bundle._crd(yaml.safe_load(open(f)), {}) for f in files]  # noqa: SLF001
    for key in ("LAB_BOOTSTRAP_KUBECONFIG", "LAB_WORKLOAD_KUBECONFIG"):
        present = set(kubectl(lab, key, "get", "crd", "-o", "name").stdout.split())
        missing = [d for d in docs if f"customresourcedefinition.apiextensions.k8s.io/{d['metadata']['name']}"
                   not in present]
        if missing:
            kubectl(lab, key, "create", "-f", "-", stdin=yaml.safe_dump_all(missing))
        names = [f"crd/{d['metadata']['name']}" for d in docs]
        kubectl(lab, key, "wait", "--for=condition=Established", "--timeout=60s", *names)
    return files


@pytest.mark.parametrize("key", ["LAB_BOOTSTRAP_KUBECONFIG", "LAB_WORKLOAD_KUBECONFIG"])
def test_api_servers_are_real_and_versioned(lab, key):
    v = json.loads(kubectl(lab, key, "get", "--raw", "/version").stdout)
    assert v["gitVersion"] == "v1.34.4" and v["major"] == "1" and v["minor"] == "34"
    cfg = yaml.safe_load(open(lab[key]))
    assert cfg["clusters"][0]["cluster"]["server"].startswith("https://127.0.0.1:")
    # the controller manager runs: a deleted namespace is finalized (not stuck Terminating)
    ns = f"lab-gc-{uuid.uuid4().hex[:6]}"
    kubectl(lab, key, "create", "namespace", ns)
    kubectl(lab, key, "create", "configmap", "x", "-n", ns)
    kubectl(lab, key, "delete", "namespace", ns, "--wait=false")
    wait_for("namespace deletion", lambda: kubectl(lab, key, "get", "ns", ns, check=False).returncode != 0, 60)


@pytest.mark.parametrize("key", ["LAB_BOOTSTRAP_KUBECONFIG", "LAB_WORKLOAD_KUBECONFIG"])
def test_api_servers_accept_crds_and_reject_invalid_capi_objects(lab, crds_installed, key):
    out = kubectl(lab, key, "get", "crd", "-o", "name").stdout
    for name in ("clusters.cluster.x-k8s.io", "vspheremachinetemplates.infrastructure.cluster.x-k8s.io",
                 "etcdadmclusters.etcdcluster.cluster.x-k8s.io", "clusters.anywhere.eks.amazonaws.com",
                 "certificates.cert-manager.io"):
        assert f"customresourcedefinition.apiextensions.k8s.io/{name}" in out
    ns = f"lab-invalid-{uuid.uuid4().hex[:6]}"
    kubectl(lab, key, "create", "namespace", ns)
    bad = {"apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster", "metadata": {"name": "bad", "namespace": ns},
           "spec": {"controlPlaneRef": {"kind": "KubeadmControlPlane", "name": "x"},
                    "clusterNetwork": {"pods": {"cidrBlocks": "192.168.0.0/16"}}}}
    p = kubectl(lab, key, "create", "-f", "-", stdin=json.dumps(bad), check=False)
    assert p.returncode != 0
    assert "is invalid" in p.stderr and "spec.controlPlaneRef.apiGroup" in p.stderr, p.stderr
    good = dict(bad, metadata={"name": "good", "namespace": ns},
                spec={"controlPlaneRef": {"apiGroup": "controlplane.cluster.x-k8s.io", "kind": "KubeadmControlPlane",
                                          "name": "x"}, "paused": True})
    kubectl(lab, key, "create", "-f", "-", stdin=json.dumps(good))
    kubectl(lab, key, "delete", "namespace", ns, "--wait=false")


def test_lab_bundle_is_a_valid_bundles_object(lab, crds_installed):
    b = yaml.safe_load(open(lab["LAB_BUNDLE"]))
    assert b["apiVersion"] == "anywhere.eks.amazonaws.com/v1alpha1" and b["kind"] == "Bundles"
    kubes = [vb["kubeVersion"] for vb in b["spec"]["versionsBundles"]]
    assert {"1.19", "1.21", "1.33", "1.34"} <= set(kubes)
    eksd = {vb["kubeVersion"]: vb["eksD"]["name"] for vb in b["spec"]["versionsBundles"]}
    assert eksd["1.19"] == "kubernetes-1-19-eks-4" and eksd["1.21"] == "kubernetes-1-21-eks-4"
    for vb in b["spec"]["versionsBundles"]:
        for sect, key in [("clusterAPI", "components"), ("bootstrap", "components"), ("controlPlane", "components"),
                          ("vSphere", "components"), ("etcdadmBootstrap", "components"),
                          ("etcdadmController", "components"), ("certManager", "manifest"), ("eksa", "components"),
                          ("cilium", "manifest"), ("clusterAPI", "metadata"), ("vSphere", "metadata")]:
            uri = vb[sect][key]["uri"]
            assert os.path.isabs(uri) and os.path.isfile(uri), (sect, key, uri)
        # clusterctl local-repository layout <label>/<version>/<file>
        assert vb["vSphere"]["components"]["uri"].endswith(
            f"/infrastructure-vsphere/{vb['vSphere']['version']}/infrastructure-components.yaml")
        for doc in yaml.safe_load_all(open(vb["vSphere"]["components"]["uri"])):
            if doc["kind"] == "CustomResourceDefinition":
                assert doc["metadata"]["labels"]["cluster.x-k8s.io/provider"] == "infrastructure-vsphere"
                assert "clusterctl.cluster.x-k8s.io" in doc["metadata"]["labels"]
                assert "conversion" not in doc["spec"]
            assert doc["kind"] not in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
    kubectl(lab, "LAB_BOOTSTRAP_KUBECONFIG", "create", "namespace", "eksa-system", check=False)
    kubectl(lab, "LAB_BOOTSTRAP_KUBECONFIG", "create", "--dry-run=server", "-f", lab["LAB_BUNDLE"])


# --- clusterctl + capi-sim ------------------------------------------------------------------

def _apply_cluster(lab, key, ns, annotations=None):
    text = (FIXTURES / "capi-cluster.manifest").read_text()
    text = text.replace("lab-move", ns).replace("SERVER", lab["LAB_VSPHERE_SERVER"].split(":")[0])
    text = text.replace("THUMBPRINT", lab["LAB_VSPHERE_THUMBPRINT"]).replace("USERNAME", lab["LAB_VSPHERE_USERNAME"])
    text = text.replace("PASSWORD", "not-used")
    docs = list(yaml.safe_load_all(text))
    for d in docs:
        if d["kind"] == "Cluster" and annotations:
            d["metadata"]["annotations"] = annotations
    kubectl(lab, key, "apply", "-f", "-", stdin=yaml.safe_dump_all(docs))


def _get(lab, key, kind, ns, name=None):
    args = ["get", kind, "-n", ns, "-o", "json"] + ([name] if name else [])
    p = kubectl(lab, key, *args, check=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def _cluster_ready(lab, key, ns):
    c = _get(lab, key, "clusters.cluster.x-k8s.io", ns, "labc")
    st = (c or {}).get("status") or {}
    init = st.get("initialization") or {}
    conds = {x["type"]: x["status"] for x in st.get("conditions") or []}
    return init.get("infrastructureProvisioned") and init.get("controlPlaneInitialized") and \
        conds.get("ControlPlaneInitialized") == "True" and conds.get("Available") == "True" and c


def test_capi_sim_makes_cluster_ready_and_clusterctl_moves_it(lab, crds_installed):
    _init(lab, "LAB_BOOTSTRAP_KUBECONFIG")
    _init(lab, "LAB_WORKLOAD_KUBECONFIG")
    ns = f"lab-move-{uuid.uuid4().hex[:6]}"
    kubectl(lab, "LAB_BOOTSTRAP_KUBECONFIG", "create", "namespace", ns)
    _apply_cluster(lab, "LAB_BOOTSTRAP_KUBECONFIG", ns)
    wait_for("cluster ready", lambda: _cluster_ready(lab, "LAB_BOOTSTRAP_KUBECONFIG", ns), 90)
    machines = _get(lab, "LAB_BOOTSTRAP_KUBECONFIG", "machines.cluster.x-k8s.io", ns)["items"]
    assert len(machines) == 3 + 3 + 2  # control plane, etcd, workers
    assert all(m["status"]["nodeRef"]["name"] == m["metadata"]["name"] for m in machines)
    kcp = _get(lab, "LAB_BOOTSTRAP_KUBECONFIG", "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io", ns, "labc")
    assert kcp["status"]["readyReplicas"] == 3
    md = _get(lab, "LAB_BOOTSTRAP_KUBECONFIG", "machinedeployments.cluster.x-k8s.io", ns, "labc-md-0")
    assert md["status"]["readyReplicas"] == 2
    ec = _get(lab, "LAB_BOOTSTRAP_KUBECONFIG", "etcdadmclusters.etcdcluster.cluster.x-k8s.io", ns, "labc-etcd")
    assert ec["status"]["ready"] is True
    sec = _get(lab, "LAB_BOOTSTRAP_KUBECONFIG", "secret", ns, "labc-kubeconfig")
    kc = yaml.safe_load(base64.b64decode(sec["data"]["value"]))
    assert kc["clusters"][0]["cluster"]["server"] == yaml.safe_load(open(lab["LAB_WORKLOAD_KUBECONFIG"]))["clusters"][0]["cluster"]["server"]
    nodes = json.loads(kubectl(lab, "LAB_WORKLOAD_KUBECONFIG", "get", "nodes", "-o", "json").stdout)["items"]
    node_names = {n["metadata"]["name"] for n in nodes}
    assert {m["metadata"]["name"] for m in machines if "etcd" not in m["metadata"]["name"]} <= node_names
    # the VMs are real simulator VMs cloned with the machine template's sizing
    si = vsphere(lab)
    try:
        worker = next(m for m in machines if m["metadata"]["name"].startswith("labc-md-0-"))
        vm = vsphere_seed.find_by_path(si, f"/SDDC-Datacenter/vm/{worker['metadata']['name']}")
        assert vm is not None and vm.config.hardware.numCPU == 3 and vm.config.hardware.memoryMB == 4096
        assert worker["spec"]["providerID"] == f"vsphere://{vm.config.uuid}"
        cpm = next(m for m in machines if "cluster.x-k8s.io/control-plane" in m["metadata"].get("labels", {}))
        cp = vsphere_seed.find_by_path(si, f"/SDDC-Datacenter/vm/{cpm['metadata']['name']}")
        assert cp is not None and cp.config.hardware.memoryMB == 8192
    finally:
        vsphere_seed.disconnect(si)

    kubectl(lab, "LAB_WORKLOAD_KUBECONFIG", "create", "namespace", ns)
    clusterctl(lab, "move", "--kubeconfig", lab["LAB_BOOTSTRAP_KUBECONFIG"], "--to-kubeconfig",
               lab["LAB_WORKLOAD_KUBECONFIG"], "-n", ns)
    assert _get(lab, "LAB_BOOTSTRAP_KUBECONFIG", "clusters.cluster.x-k8s.io", ns)["items"] == []
    assert _get(lab, "LAB_BOOTSTRAP_KUBECONFIG", "machines.cluster.x-k8s.io", ns)["items"] == []
    moved = _get(lab, "LAB_WORKLOAD_KUBECONFIG", "machines.cluster.x-k8s.io", ns)["items"]
    assert sorted(m["metadata"]["name"] for m in moved) == sorted(m["metadata"]["name"] for m in machines)
    for kind in ("kubeadmcontrolplanes.controlplane.cluster.x-k8s.io", "machinedeployments.cluster.x-k8s.io",
                 "etcdadmclusters.etcdcluster.cluster.x-k8s.io", "vsphereclusters.infrastructure.cluster.x-k8s.io",
                 "vspheremachinetemplates.infrastructure.cluster.x-k8s.io"):
        assert _get(lab, "LAB_WORKLOAD_KUBECONFIG", kind, ns)["items"], kind
    for s in ("labc-kubeconfig", "labc-vsphere-credentials"):
        assert _get(lab, "LAB_WORKLOAD_KUBECONFIG", "secret", ns, s) is not None, s
    # capi-sim watches the workload cluster too: the moved cluster stays ready, without duplicate VMs
    wait_for("moved cluster ready", lambda: _cluster_ready(lab, "LAB_WORKLOAD_KUBECONFIG", ns), 60)
    time.sleep(3)
    si = vsphere(lab)
    try:
        names = [vm.name for vm in si.content.viewManager.CreateContainerView(
            si.content.rootFolder, [__import__("pyVmomi").vim.VirtualMachine], True).view]
        for m in machines:
            assert names.count(m["metadata"]["name"]) == 1
    finally:
        vsphere_seed.disconnect(si)


def test_capi_sim_fault_injection(lab, crds_installed):
    _init(lab, "LAB_BOOTSTRAP_KUBECONFIG")
    ns = f"lab-fault-{uuid.uuid4().hex[:6]}"
    kubectl(lab, "LAB_BOOTSTRAP_KUBECONFIG", "create", "namespace", ns)
    _apply_cluster(lab, "LAB_BOOTSTRAP_KUBECONFIG", ns, {"lab.eksa.anywhere/fault": "machine-never-ready"})

    def md_stuck():
        md = _get(lab, "LAB_BOOTSTRAP_KUBECONFIG", "machinedeployments.cluster.x-k8s.io", ns, "labc-md-0")
        st = (md or {}).get("status") or {}
        return st.get("replicas") == 2 and st.get("readyReplicas") == 1 and md
    wait_for("one worker machine stuck", md_stuck, 90)
    c = _get(lab, "LAB_BOOTSTRAP_KUBECONFIG", "clusters.cluster.x-k8s.io", ns, "labc")
    conds = {x["type"]: x for x in c["status"]["conditions"]}
    assert conds["ControlPlaneInitialized"]["status"] == "True"
    assert conds["WorkersAvailable"]["status"] == "False" and "not ready" in conds["WorkersAvailable"]["message"]
    stuck = [m for m in _get(lab, "LAB_BOOTSTRAP_KUBECONFIG", "machines.cluster.x-k8s.io", ns)["items"]
             if not (m.get("status") or {}).get("nodeRef")]
    assert len(stuck) == 1

    ns2 = f"lab-fail-{uuid.uuid4().hex[:6]}"
    kubectl(lab, "LAB_BOOTSTRAP_KUBECONFIG", "create", "namespace", ns2)
    _apply_cluster(lab, "LAB_BOOTSTRAP_KUBECONFIG", ns2, {"lab.eksa.anywhere/fault": "failure",
                                                          "lab.eksa.anywhere/failure-message": "boom from the lab"})

    def failed():
        cl = _get(lab, "LAB_BOOTSTRAP_KUBECONFIG", "clusters.cluster.x-k8s.io", ns2, "labc")
        cs = {x["type"]: x for x in ((cl or {}).get("status") or {}).get("conditions") or []}
        return cs.get("Ready", {}).get("message") == "boom from the lab" and cl
    cl = wait_for("failure message", failed, 60)
    assert cl["status"]["initialization"]["controlPlaneInitialized"] is False
    # deleting a cluster destroys its VMs (finalizer handled by capi-sim)
    kubectl(lab, "LAB_BOOTSTRAP_KUBECONFIG", "delete", "clusters.cluster.x-k8s.io", "labc", "-n", ns2, "--timeout=60s")


def test_build_says_what_it_builds_and_how_long_it_takes(tmp_path, monkeypatch, capsys):
    """The one-time build announces itself (10-15 minutes on 2 cores), then a line per component with its elapsed time;
    a cached build prints nothing. The go builds are replaced by stand-ins: this checks the lines, not the compiler."""
    sys.path.insert(0, str(LAB_DIR))
    import lab as labmod  # pylint: disable=import-outside-toplevel

    monkeypatch.setenv("LAB_CACHE_DIR", str(tmp_path))

    def fake_build(name, out):
        out.mkdir(parents=True)
        for binary in labmod._targets()[name][1]:  # noqa: SLF001
            (out / binary).write_text("#!/bin/sh\n")
        return 61.0 if name == "k8s" else 2.0

    monkeypatch.setattr(labmod, "_build_target", fake_build)
    labmod.build()
    err = capsys.readouterr().err.splitlines()
    assert "one-time build that takes about 10-15 minutes on 2 cores" in err[0]
    names = list(labmod._targets())  # noqa: SLF001
    built = [line for line in err if ": built in " in line]
    assert len(built) == len(names)
    assert built[0].startswith(f"lab: [1/{len(names)}] kubernetes ") and "built in 1m01s" in built[0]
    assert all(f"[{i}/{len(names)}]" in line for i, line in enumerate(built, 1))
    assert json.loads((tmp_path / "build-times.json").read_text())["k8s"] == 61.0
    labmod.build()  # everything cached now: silent
    assert capsys.readouterr().err == ""


def test_pool_of_workload_api_servers(lab):
    """`lab.py grow N`: N extra real API servers on the one etcd (a prefix each), listed by env and status."""
    env = dict(os.environ, LAB_STATE_DIR=lab["LAB_STATE_DIR"])
    state = json.loads((Path(lab["LAB_STATE_DIR"]) / "state.json").read_text())
    want = max(1, len(state.get("pool") or []))  # never shrinks what another test grew
    run([sys.executable, str(LAB_DIR / "lab.py"), "grow", str(want)], env=env, timeout=300)
    values = json.loads(run([sys.executable, str(LAB_DIR / "lab.py"), "env", "--json"], env=env).stdout)
    assert int(values["LAB_WORKLOAD_API_SERVERS"]) == want
    status = run([sys.executable, str(LAB_DIR / "lab.py"), "status"], env=env).stdout
    pool = dict(lab, LAB_POOL_KUBECONFIG=values["LAB_WORKLOAD_2_KUBECONFIG"])
    assert oct(os.stat(pool["LAB_POOL_KUBECONFIG"]).st_mode & 0o777) == "0o600"
    server = yaml.safe_load(Path(pool["LAB_POOL_KUBECONFIG"]).read_text())["clusters"][0]["cluster"]["server"]
    assert "apiserver-workload-2" in status and server in status
    assert kubectl(pool, "LAB_POOL_KUBECONFIG", "version", "-o", "json").stdout.count("v1.34.4") >= 1
    name = "pool-" + uuid.uuid4().hex[:8]  # its own etcd prefix: what is written there is not on the workload API server
    kubectl(pool, "LAB_POOL_KUBECONFIG", "create", "configmap", name, "-n", "default")
    try:
        assert kubectl(lab, "LAB_WORKLOAD_KUBECONFIG", "get", "configmap", name, "-n", "default", check=False).returncode != 0
    finally:
        kubectl(pool, "LAB_POOL_KUBECONFIG", "delete", "configmap", name, "-n", "default", check=False)
