"""capi_status and k8s_apply logic with an in-memory stand-in for the API server."""
import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import status as capi_status

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import apply as k8s_apply
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError


class FakeClient:
    """Objects keyed by (kind, namespace, name); every kind is served."""

    def __init__(self, objects=()):
        self.objects = {}
        self.version = 0
        for obj in objects:
            self.put(obj)

    def put(self, obj):
        self.version += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.version)
        self.objects[(obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"])] = obj
        return obj

    def serves(self, api_version, kind):
        return True

    def get(self, api_version, kind, name, namespace=None):
        return self.objects.get((kind, namespace, name))

    def list(self, api_version, kind, namespace=None, label_selector=None):
        return [o for (k, ns, dummy), o in sorted(self.objects.items()) if k == kind and (namespace is None or ns == namespace)]

    def resource(self, api_version, kind):
        if kind == "Missing":
            raise K8sError("the API server does not serve kind Missing")

        class Res:
            namespaced = kind not in ("Namespace", "CustomResourceDefinition")

            @staticmethod
            def path(name=None, namespace=None):
                return "/x"
        return Res()

    def apply(self, obj, dry_run=False, force=True):
        before = self.get(obj["apiVersion"], obj["kind"], obj["metadata"]["name"], obj["metadata"].get("namespace"))
        if before is not None and {k: v for k, v in before.items() if k != "metadata"} == {k: v for k, v in obj.items() if k != "metadata"}:
            return before
        import copy
        new = copy.deepcopy(obj)
        return new if dry_run else self.put(new)

    def request(self, *args, **kwargs):
        return {"metadata": {"resourceVersion": "1"}}

    def watch(self, *args, **kwargs):
        return iter(())

    def forget(self, *args):
        pass


def cluster(name="c1", failure=None):
    status = {"conditions": [{"type": "ControlPlaneInitialized", "status": "True"}, {"type": "Ready", "status": "True"}]}
    if failure:
        status["deprecated"] = {"v1beta1": {"failureReason": "Boom", "failureMessage": failure}}
    return {"apiVersion": capi_status.CAPI, "kind": "Cluster", "metadata": {"name": name, "namespace": "eksa-system"}, "status": status}


def kcp(ready, total=3):
    return {"kind": "KubeadmControlPlane", "metadata": {"name": "c1", "namespace": "eksa-system"}, "spec": {"replicas": total},
            "status": {"readyReplicas": ready, "conditions": [{"type": "Available", "status": "True" if ready == total else "False"}]}}


def md(ready, total=2, name="c1-md-0"):
    return {"kind": "MachineDeployment", "metadata": {"name": name, "namespace": "eksa-system"},
            "spec": {"clusterName": "c1", "replicas": total}, "status": {"readyReplicas": ready}}


def test_wait_reports_progress_and_finishes():
    client = FakeClient([cluster(), kcp(3), md(2)])
    lines = []
    state = capi_status.wait_cluster(client, "c1", external_etcd=False, progress=lines.append, sleep=0)
    assert lines == ["control-plane: 3/3 ready", "workers: 2/2 ready (c1-md-0 2/2)"]
    assert state["workers"]["done"]


def test_wait_times_out_naming_the_phase():
    client = FakeClient([cluster(), kcp(3), md(1)])
    with pytest.raises(capi_status.WaitFailed) as err:
        capi_status.wait_cluster(client, "c1", external_etcd=False, timeouts={"per-machine": 0}, sleep=0)
    assert "waiting for workers of cluster c1" in str(err.value) and "1/2" in str(err.value)


def _stuck_machine(name="c1-md-0-xyz"):
    return {"kind": "Machine", "metadata": {"name": name, "namespace": "eksa-system", "labels": {"cluster.x-k8s.io/cluster-name": "c1"}},
            "status": {"phase": "Provisioning", "conditions": [{"type": "Ready", "status": "False", "message": "waiting for VM IP"}]}}


def test_wait_timeout_names_the_machines_not_ready():
    other = _stuck_machine("c2-md-0-abc")
    other["metadata"]["labels"]["cluster.x-k8s.io/cluster-name"] = "c2"
    client = FakeClient([cluster(), kcp(3), md(1), _stuck_machine(), other])
    with pytest.raises(capi_status.WaitFailed) as err:
        capi_status.wait_cluster(client, "c1", external_etcd=False, timeouts={"per-machine": 0}, sleep=0)
    assert "not ready: Machine c1-md-0-xyz (Provisioning): waiting for VM IP" in str(err.value)
    assert "c2-md-0-abc" not in str(err.value)


def test_wait_detail_lists_machines_only_when_asked_and_not_when_done():
    client = FakeClient([cluster(), kcp(3), md(1), _stuck_machine()])
    details = []
    with pytest.raises(capi_status.WaitFailed):
        capi_status.wait_cluster(client, "c1", external_etcd=False, timeouts={"per-machine": 0}, sleep=0, detail=details.append)
    assert details == ["Machine c1-md-0-xyz (Provisioning): waiting for VM IP"]  # control plane was done: no detail for it


def test_wait_fails_at_once_on_a_cluster_failure():
    client = FakeClient([cluster(failure="no IP for the VM"), kcp(0)])
    with pytest.raises(capi_status.WaitFailed) as err:
        capi_status.wait_cluster(client, "c1", external_etcd=False, sleep=0)
    assert "no IP for the VM" in str(err.value)


def test_wait_without_cluster_says_to_apply_first():
    with pytest.raises(capi_status.WaitFailed, match="apply the cluster manifests first"):
        capi_status.wait_cluster(FakeClient(), "c1", external_etcd=False, sleep=0)


def test_machines_without_node_and_readiness():
    machine = {"kind": "Machine", "metadata": {"name": "m1", "namespace": "eksa-system", "labels": {"cluster.x-k8s.io/cluster-name": "c1"}},
               "status": {}}
    client = FakeClient([cluster(), machine])
    assert capi_status.machines_without_node(client, "c1") == ["m1"]
    assert capi_status.cluster_ready(client, "c1")[0]


NS = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "eksa-system"}}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "eksa-system"}, "data": {"a": "1"}}


def test_apply_orders_namespaces_first_and_is_idempotent():
    client = FakeClient()
    first = k8s_apply.apply_objects(client, [CM, NS])
    assert first == [("Namespace eksa-system", "created"), ("ConfigMap eksa-system/cm", "created")]
    again = k8s_apply.apply_objects(client, [CM, NS])
    assert [state for dummy, state in again] == ["unchanged", "unchanged"]
    changed = dict(CM, data={"a": "2"})
    assert k8s_apply.apply_objects(client, [changed]) == [("ConfigMap eksa-system/cm", "configured")]


def test_apply_check_mode_changes_nothing():
    client = FakeClient()
    result = k8s_apply.apply_objects(client, [NS, CM], check_mode=True)
    assert [state for dummy, state in result] == ["created", "created"]
    assert client.objects == {}


def test_apply_adds_annotations_and_default_namespace():
    client = FakeClient()
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {}}
    k8s_apply.apply_objects(client, [obj], namespace="default", annotations={"a/b": "true"})
    stored = client.get("v1", "ConfigMap", "x", "default")
    assert stored["metadata"]["annotations"] == {"a/b": "true"}


def test_manifest_errors_are_clear(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [\n")
    with pytest.raises(k8s_apply.ApplyError, match="not valid YAML"):
        k8s_apply.load_manifest_files([str(bad)])
    with pytest.raises(k8s_apply.ApplyError, match="cannot read manifest"):
        k8s_apply.load_manifest_files([str(tmp_path / "missing.yaml")])
    with pytest.raises(k8s_apply.ApplyError, match="not an object"):
        k8s_apply.expand_lists(["just a string"])


def test_yaml_errors_in_kubeconfigs_and_manifests_never_quote_the_line(tmp_path, monkeypatch):
    """A broken kubeconfig or manifest is named by place: the pure-Python loader's str(exc) would quote a key or token."""
    import yaml
    from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
    monkeypatch.setattr(k8s_client, "SAFE_LOADER", yaml.SafeLoader)
    monkeypatch.setattr(k8s_apply, "SAFE_LOADER", yaml.SafeLoader)
    broken = "users:\n- name: admin\n  user:\n    client-key-data: [S2V5TWF0ZXJpYWw=\n"
    path = tmp_path / "kubeconfig"
    path.write_text(broken)
    with pytest.raises(K8sError) as err:
        k8s_client.load_kubeconfig(str(path))
    assert "S2V5TWF0ZXJpYWw" not in str(err.value) and "malformed YAML at line" in str(err.value)
    with pytest.raises(k8s_apply.ApplyError) as err:
        k8s_apply.load_manifest_text(broken, "secrets.yaml")
    assert "S2V5TWF0ZXJpYWw" not in str(err.value) and "secrets.yaml" in str(err.value)
