"""An existing cluster as the bootstrap cluster: the record of what a create puts there, and the clean-up deleting
exactly that (capi/bootstrap.py, modules bootstrap_record and in_cluster_kubeconfig)."""
import base64
import json
import os
import stat
from unittest.mock import MagicMock

import pytest
import yaml

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import bootstrap
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError
from ansible_collections.eksa.anywhere.plugins.modules import bootstrap_record, in_cluster_kubeconfig

CRD = "apiextensions.k8s.io/v1"
INV = "clusterctl.cluster.x-k8s.io/v1alpha3"
CORE_KINDS = ("Namespace", "ConfigMap", "Secret", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
              "CustomResourceDefinition", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
# a served kind by the CRD that brings it
CRD_OF = {(INV, "Provider"): "providers.clusterctl.cluster.x-k8s.io",
          ("cert-manager.io/v1", "Certificate"): "certificates.cert-manager.io",
          ("cluster.x-k8s.io/v1beta2", "Cluster"): "clusters.cluster.x-k8s.io"}


def obj(api_version, kind, name, namespace=None, labels=None, **extra):
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return dict({"apiVersion": api_version, "kind": kind, "metadata": meta}, **extra)


class FakeCluster(object):
    """An API server's objects; CRDs decide which custom kinds are served; a deleted namespace takes its objects."""

    def __init__(self, objects=()):
        self.objects = {}
        self.applied, self.deleted = [], []
        for o in objects:
            self.put(o)

    def put(self, o):
        self.objects[(o["apiVersion"], o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])] = o

    def serves(self, api_version, kind):
        if kind in CORE_KINDS:
            return True
        crd = CRD_OF.get((api_version, kind))
        return bool(crd and (CRD, "CustomResourceDefinition", None, crd) in self.objects)

    def get(self, api_version, kind, name, namespace=None):
        return self.objects.get((api_version, kind, namespace, name))

    def list(self, api_version, kind, namespace=None, label_selector=None):
        out = [o for (a, k, ns, n), o in sorted(self.objects.items(), key=lambda i: str(i[0]))
               if a == api_version and k == kind and (namespace is None or ns == namespace)]
        if label_selector:
            key, value = label_selector.split("=")
            out = [o for o in out if (o["metadata"].get("labels") or {}).get(key) == value]
        return out

    def apply(self, o):
        self.applied.append(o)
        self.put(o)
        return o

    def delete(self, api_version, kind, name, namespace=None, propagation="Background"):
        self.deleted.append("%s/%s%s" % (kind, namespace + "/" if namespace else "", name))
        self.objects.pop((api_version, kind, namespace, name), None)
        if kind == "Namespace":
            for key in [k for k in self.objects if k[2] == name]:
                del self.objects[key]


def provider(label, ptype, namespace, version="v1.13.5"):
    """One clusterctl provider as clusterctl init leaves it: namespace, inventory entry, CRD, RBAC - all labelled."""
    lab = {bootstrap.PROVIDER_LABEL: label, "clusterctl.cluster.x-k8s.io": ""}
    return [
        obj("v1", "Namespace", namespace, labels=lab),
        obj(INV, "Provider", label, namespace, labels=lab, type=ptype, providerName=label.split("-", 1)[-1], version=version),
        obj("apps/v1", "Deployment", label + "-controller-manager", namespace, labels=lab),
        obj(CRD, "CustomResourceDefinition", "things.%s.x-k8s.io" % label, labels=lab),
        obj("rbac.authorization.k8s.io/v1", "ClusterRole", label + "-manager-role", labels=lab),
        obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", label + "-manager-rolebinding", labels=lab),
    ]


def inventory_crd():
    return obj(CRD, "CustomResourceDefinition", "providers.clusterctl.cluster.x-k8s.io",
               labels={bootstrap.CORE_LABEL: "inventory"})


def cert_manager():
    lab = {bootstrap.CORE_LABEL: "cert-manager", "clusterctl.cluster.x-k8s.io": ""}
    return [obj("v1", "Namespace", "cert-manager", labels=lab),
            obj(CRD, "CustomResourceDefinition", "certificates.cert-manager.io", labels=lab),
            obj("rbac.authorization.k8s.io/v1", "Role", "cert-manager:leaderelection", "kube-system", labels=lab),
            obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "cert-manager-webhook", labels=lab)]


def clusterctl_init(cluster, providers=(("cluster-api", "CoreProvider", "capi-system"),
                                        ("infrastructure-vsphere", "InfrastructureProvider", "capv-system"),
                                        ("bootstrap-kubeadm", "BootstrapProvider", "capi-kubeadm-bootstrap-system"))):
    """What clusterctl init adds: cert-manager and the inventory CRD when missing, then the providers."""
    if not cluster.serves("cert-manager.io/v1", "Certificate"):
        for o in cert_manager():
            cluster.put(o)
    cluster.put(inventory_crd())
    for args in providers:
        for o in provider(*args):
            cluster.put(o)


def keys(cluster):
    return set(cluster.objects)


# ---------------------------------------------------------------------------------------------- the record
def test_snapshot_of_an_empty_cluster():
    cluster = FakeCluster([obj("v1", "Namespace", "default")])
    assert bootstrap.snapshot(cluster) == {"namespaces": ["eksa-system"], "providers_before": [], "inventory_before": False,
                                           "cert_manager_before": False, "record_namespace_created": True}


def test_record_is_stored_before_anything_and_kept_by_a_rerun():
    cluster = FakeCluster()
    record, changed = bootstrap.ensure_record(cluster, "mgmt")
    assert changed and record["namespaces"] == ["eksa-system"]
    cm = cluster.get("v1", "ConfigMap", "mgmt-bootstrap", "eksa-anywhere")
    assert json.loads(cm["data"]["record"]) == record and cluster.get("v1", "Namespace", "eksa-anywhere")
    # the create goes on: eksa-system and the providers; a new job (new folder) must not take them for pre-existing
    cluster.put(obj("v1", "Namespace", "eksa-system"))
    clusterctl_init(cluster)
    again, changed = bootstrap.ensure_record(cluster, "mgmt")
    assert not changed and again == record


def test_record_in_check_mode_changes_nothing():
    cluster = FakeCluster()
    record, changed = bootstrap.ensure_record(cluster, "mgmt", check_mode=True)
    assert changed and record["record_namespace_created"] and not cluster.applied and not cluster.objects


def test_a_configmap_that_is_no_record_is_an_error():
    cluster = FakeCluster([obj("v1", "ConfigMap", "mgmt-bootstrap", "eksa-anywhere", data={"other": "x"})])
    with pytest.raises(K8sError, match="not a bootstrap record"):
        bootstrap.read_record(cluster, "mgmt")


# ---------------------------------------------------------------------------------------------- the plan
def test_plan_deletes_what_came_after_the_record_infrastructure_first_core_last():
    record = {"namespaces": ["eksa-system"], "providers_before": ["bootstrap-kubeadm"], "inventory_before": True,
              "cert_manager_before": False}
    installed = [{"name": "cluster-api", "type": "CoreProvider"}, {"name": "bootstrap-kubeadm", "type": "BootstrapProvider"},
                 {"name": "control-plane-kubeadm", "type": "ControlPlaneProvider"},
                 {"name": "infrastructure-vsphere", "type": "InfrastructureProvider"}]
    plan = bootstrap.cleanup_plan(record, installed, {"inventory": True, "cert_manager": True})
    assert plan == {"providers": ["infrastructure-vsphere", "control-plane-kubeadm", "cluster-api"], "cert_manager": True,
                    "inventory_crd": False, "namespaces": ["eksa-system"]}


def test_plan_keeps_the_inventory_crd_while_a_provider_from_before_remains():
    record = {"providers_before": ["cluster-api"], "inventory_before": False, "cert_manager_before": True}
    plan = bootstrap.cleanup_plan(record, [{"name": "cluster-api", "type": "CoreProvider"}], {"inventory": True})
    assert plan["inventory_crd"] is False and plan["providers"] == [] and plan["cert_manager"] is False
    assert bootstrap.empty_plan(plan)


# ---------------------------------------------------------------------------------------------- the clean-up
def before_and_create(initial, name="mgmt"):
    cluster = FakeCluster(initial)
    before = keys(cluster)
    bootstrap.ensure_record(cluster, name)
    if not cluster.get("v1", "Namespace", "eksa-system"):
        cluster.put(obj("v1", "Namespace", "eksa-system"))
    cluster.put(obj("v1", "Secret", "%s-vsphere-credentials" % name, "eksa-system"))
    clusterctl_init(cluster)
    return cluster, before


def test_cleanup_of_a_fresh_cluster_leaves_it_as_it_was():
    keep = [obj("v1", "Namespace", "default"), obj("v1", "Namespace", "team-a"), obj("v1", "ConfigMap", "keep", "team-a")]
    cluster, before = before_and_create(keep)
    changed, report = bootstrap.cleanup(cluster, "mgmt")
    assert changed and keys(cluster) == before
    assert report["providers"] == ["infrastructure-vsphere", "bootstrap-kubeadm", "cluster-api"]
    assert report["cert_manager"] and report["inventory_crd"] and report["namespaces"] == ["eksa-system"]
    assert report["record"] and report["record_namespace"]
    assert "CustomResourceDefinition/things.cluster-api.x-k8s.io" in report["objects"]
    assert "Role/kube-system/cert-manager:leaderelection" in report["objects"]
    # the core provider's CRDs go after the others'
    order = [d for d in cluster.deleted if d.startswith("CustomResourceDefinition/things.")]
    assert order[-1] == "CustomResourceDefinition/things.cluster-api.x-k8s.io"
    # idempotent: no record, nothing to do
    assert bootstrap.cleanup(cluster, "mgmt") == (False, dict(report, record=False, providers=[], cert_manager=False,
                                                              inventory_crd=False, namespaces=[], record_namespace=False,
                                                              objects=[]))


def test_cleanup_leaves_what_was_there_before():
    """A management cluster used as bootstrap: its providers, cert-manager, eksa-system and state namespace stay."""
    existing = FakeCluster()
    clusterctl_init(existing)
    existing.put(obj("v1", "Namespace", "eksa-system"))
    existing.put(obj("v1", "Namespace", "eksa-anywhere"))
    existing.put(obj("v1", "Secret", "old-eksa-anywhere-state", "eksa-anywhere"))
    cluster, before = before_and_create(list(existing.objects.values()))
    record = bootstrap.read_record(cluster, "mgmt")
    assert record["namespaces"] == [] and not record["record_namespace_created"] and record["cert_manager_before"] is True
    changed, report = bootstrap.cleanup(cluster, "mgmt")
    assert changed and report["providers"] == [] and report["namespaces"] == [] and not report["cert_manager"]
    assert not report["inventory_crd"] and not report["record_namespace"]
    # only the record went; the Secret the create put into the pre-existing eksa-system stays with it
    assert keys(cluster) == before | {("v1", "Secret", "eksa-system", "mgmt-vsphere-credentials")}


def test_cleanup_keeps_a_state_namespace_holding_the_durable_state():
    cluster, before = before_and_create([])
    cluster.put(obj("v1", "Secret", "mgmt-eksa-anywhere-state", "eksa-anywhere"))
    changed, report = bootstrap.cleanup(cluster, "mgmt")
    assert changed and not report["record_namespace"]
    assert cluster.get("v1", "Secret", "mgmt-eksa-anywhere-state", "eksa-anywhere")
    assert not cluster.get("v1", "ConfigMap", "mgmt-bootstrap", "eksa-anywhere")


def test_cleanup_in_check_mode_predicts_and_changes_nothing():
    cluster, dummy = before_and_create([])
    snapshot = dict(cluster.objects)
    changed, report = bootstrap.cleanup(cluster, "mgmt", check_mode=True)
    assert changed and report["providers"] and report["namespaces"] == ["eksa-system"]
    assert cluster.objects == snapshot and not cluster.deleted


def test_cleanup_waits_for_the_namespaces_then_fails_naming_them(monkeypatch):
    cluster, dummy = before_and_create([])
    real_delete = cluster.delete

    def stuck(api_version, kind, name, namespace=None, propagation="Background"):
        if kind == "Namespace" and name == "eksa-system":
            cluster.deleted.append("Namespace/eksa-system")
            return
        real_delete(api_version, kind, name, namespace, propagation)
    cluster.delete = stuck
    from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import waiter
    with pytest.raises(waiter.WaitTimeout, match="eksa-system"):
        bootstrap.cleanup(cluster, "mgmt", timeout=0)
    assert bootstrap.read_record(cluster, "mgmt") is not None  # kept: the next run finishes the job


# ---------------------------------------------------------------------------------------------- the modules
def test_module_refuses_to_clean_up_while_the_cluster_is_still_there(run_module, monkeypatch):
    cluster, dummy = before_and_create([])
    cluster.put(obj(CRD, "CustomResourceDefinition", "clusters.cluster.x-k8s.io"))
    cluster.put(obj("cluster.x-k8s.io/v1beta2", "Cluster", "mgmt", "eksa-system"))
    monkeypatch.setattr(bootstrap_record, "k8s_from_module", lambda *a, **k: (MagicMock(), cluster))
    result, failed = run_module(bootstrap_record, {"name": "mgmt", "state": "absent", "kubeconfig": "/x"})
    assert failed and "still manages Cluster eksa-system/mgmt" in result["msg"] and not cluster.deleted


def test_module_records_then_cleans_up(run_module, monkeypatch):
    cluster = FakeCluster([obj("v1", "Namespace", "default")])
    before = keys(cluster)
    monkeypatch.setattr(bootstrap_record, "k8s_from_module", lambda *a, **k: (MagicMock(), cluster))
    result, failed = run_module(bootstrap_record, {"name": "mgmt", "kubeconfig": "/x"})
    assert not failed and result["changed"] and result["configmap"] == "eksa-anywhere/mgmt-bootstrap"
    cluster.put(obj("v1", "Namespace", "eksa-system"))
    clusterctl_init(cluster)
    result, failed = run_module(bootstrap_record, {"name": "mgmt", "kubeconfig": "/x", "state": "absent"})
    assert not failed and result["changed"] and result["deleted"]["namespaces"] == ["eksa-system"]
    assert keys(cluster) == before
    result, failed = run_module(bootstrap_record, {"name": "mgmt", "kubeconfig": "/x", "state": "absent"})
    assert not failed and not result["changed"]


# ---------------------------------------------------------------------------------------------- in-cluster
@pytest.fixture
def service_account(tmp_path):
    folder = tmp_path / "serviceaccount"
    folder.mkdir()
    (folder / "token").write_text("sa-token-value\n")
    (folder / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    return folder


def test_in_cluster_kubeconfig_from_the_service_account(service_account):
    env = {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    token, ca = str(service_account / "token"), str(service_account / "ca.crt")
    config = k8s_client.in_cluster_kubeconfig("mgmt-bootstrap", token, ca, env)
    cluster = config["clusters"][0]["cluster"]
    assert cluster["server"] == "https://10.96.0.1:443"
    assert base64.b64decode(cluster["certificate-authority-data"]) == (service_account / "ca.crt").read_bytes()
    assert config["users"][0]["user"] == {"token": "sa-token-value"}  # no "bearer " prefix of the library's loader
    assert config["current-context"] == "mgmt-bootstrap"


def test_in_cluster_kubeconfig_ipv6_service_host(service_account):
    env = {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"}
    config = k8s_client.in_cluster_kubeconfig("x", str(service_account / "token"), str(service_account / "ca.crt"), env)
    assert config["clusters"][0]["cluster"]["server"] == "https://[fd00::1]:6443"


def test_in_cluster_kubeconfig_outside_a_pod_is_an_error(service_account):
    with pytest.raises(K8sError, match="in-cluster configuration"):
        k8s_client.in_cluster_kubeconfig("x", str(service_account / "token"), str(service_account / "ca.crt"), {})


def test_in_cluster_kubeconfig_module_writes_0600_idempotent_check_mode(run_module, monkeypatch, service_account, tmp_path):
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    dest = tmp_path / "out" / "mgmt" / "generated" / "mgmt.bootstrap.kubeconfig"
    args = {"dest": str(dest), "token_file": str(service_account / "token"), "ca_file": str(service_account / "ca.crt")}
    result, failed = run_module(in_cluster_kubeconfig, args, check_mode=True)
    assert not failed and result["changed"] and not dest.exists()
    old = os.umask(0)
    try:
        result, failed = run_module(in_cluster_kubeconfig, args)
    finally:
        os.umask(old)
    assert not failed and result["changed"] and result["server"] == "https://10.96.0.1:443"
    assert "sa-token-value" not in json.dumps(result)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600 and stat.S_IMODE(dest.parent.stat().st_mode) == 0o700
    assert yaml.safe_load(dest.read_text())["users"][0]["user"]["token"] == "sa-token-value"
    again, failed = run_module(in_cluster_kubeconfig, args)
    assert not failed and again["changed"] is False
    (service_account / "token").write_text("rotated-token\n")  # the kubelet rotates the projected token
    rotated, failed = run_module(in_cluster_kubeconfig, args)
    assert not failed and rotated["changed"] and "rotated-token" in dest.read_text()


def test_in_cluster_kubeconfig_module_outside_a_pod_says_what_to_do(run_module, monkeypatch, tmp_path):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    result, failed = run_module(in_cluster_kubeconfig, {"dest": str(tmp_path / "k"), "token_file": str(tmp_path / "none")})
    assert failed and "give bootstrap_kubeconfig instead" in result["msg"]
