"""Where a clusterctl move cut short stands, and how it is made whole (plugins/module_utils/capi/move.py).

The real path (a job killed while clusterctl move creates, and while it deletes) runs on the real controllers in
tests/integration/create; these cover every stage on plain objects, the "unpause only" one included."""
import copy

import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import move
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError

CAPI = "cluster.x-k8s.io/v1beta2"
NS = "eksa-system"
CRDS = [("cluster.x-k8s.io", "v1beta2", "Cluster"), ("cluster.x-k8s.io", "v1beta2", "Machine"),
        ("cluster.x-k8s.io", "v1beta2", "MachineSet")]


def crd(group, version, kind, scope="Namespaced"):
    return {"apiVersion": move.CRD_API, "kind": "CustomResourceDefinition",
            "metadata": {"name": "%ss.%s" % (kind.lower(), group), "labels": {move.CLUSTERCTL_LABEL: ""}},
            "spec": {"group": group, "scope": scope, "names": {"kind": kind},
                     "versions": [{"name": "v1beta1", "storage": False}, {"name": version, "storage": True}]}}


class Cluster(object):
    """A Kubernetes API with plain objects: get, list (label present or key=value), merge patch, delete."""

    def __init__(self, objects=()):
        self.objects = {}
        self.calls = []
        for c in CRDS:
            self.add(crd(*c))
        for obj in objects:
            self.add(obj)

    def add(self, obj):
        meta = obj["metadata"]
        self.objects[(obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"])] = copy.deepcopy(obj)

    def serves(self, api_version, kind):
        return True

    def get(self, api_version, kind, name, namespace=None):
        return self.objects.get((api_version, kind, namespace, name))

    def list(self, api_version, kind, namespace=None, label_selector=None):
        out = [o for (a, k, ns, _n), o in sorted(self.objects.items()) if a == api_version and k == kind
               and (namespace is None or ns == namespace)]
        if label_selector:
            key = label_selector.split("=")[0]
            out = [o for o in out if key in (o["metadata"].get("labels") or {})]
        return out

    def merge_patch(self, api_version, kind, name, namespace, patch):
        obj = self.get(api_version, kind, name, namespace)
        if obj is None:
            raise K8sError("not found", status=404)
        self.calls.append(("patch", kind, name, patch))
        for section, values in patch.items():
            target = obj.setdefault(section, {})
            for key, value in values.items():
                if isinstance(value, dict):
                    target.setdefault(key, {}).update(value)
                elif value is None:
                    target.pop(key, None)
                else:
                    target[key] = value
        if obj["metadata"].get("deletionTimestamp") and not obj["metadata"].get("finalizers"):
            self.objects.pop((api_version, kind, namespace, name))
        return obj

    def delete(self, api_version, kind, name, namespace=None, propagation="Background"):
        self.calls.append(("delete", kind, name))
        obj = self.get(api_version, kind, name, namespace)
        if obj is not None:
            if obj["metadata"].get("finalizers"):
                obj["metadata"]["deletionTimestamp"] = "now"
            else:
                self.objects.pop((api_version, kind, namespace, name))


def objects(name="c1", paused=False, machines=("m1", "m2")):
    labels = {"cluster.x-k8s.io/cluster-name": name}
    out = [{"apiVersion": CAPI, "kind": "Cluster", "spec": {"paused": True} if paused else {},
            "metadata": {"name": name, "namespace": NS, "finalizers": ["cluster.cluster.x-k8s.io"]}},
           {"apiVersion": CAPI, "kind": "MachineSet", "metadata": {"name": name + "-md-0", "namespace": NS, "labels": labels}}]
    for m in machines:
        out.append({"apiVersion": CAPI, "kind": "Machine",
                    "metadata": {"name": "%s-%s" % (name, m), "namespace": NS, "labels": labels, "finalizers": ["machine.cluster.x-k8s.io"]}})
    out.append({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name + "-kubeconfig", "namespace": NS}})
    return out


def test_paused_reads_the_field_and_the_annotation():
    assert move.paused({"spec": {"paused": True}})
    assert move.paused({"metadata": {"annotations": {"cluster.x-k8s.io/paused": ""}}})
    assert not move.paused({"spec": {}, "metadata": {}})
    assert not move.paused(None)


@pytest.mark.parametrize("src,dst,stage", [
    (objects(), [], "not-started"),
    (objects(paused=True), [], "creating"),  # paused, nothing created yet
    (objects(paused=True), objects(paused=True)[:2], "creating"),  # the Machines not created yet
    (objects(paused=True), objects(paused=True), "deleting"),  # all created, nothing deleted yet
    (objects(paused=True)[:1], objects(paused=True), "deleting"),  # the Machines and the MachineSet deleted already
    ([], objects(paused=True), "unpause"),
    ([], objects(), "done"),
])
def test_inspect_says_where_the_move_stands(src, dst, stage):
    assert move.inspect(Cluster(src), Cluster(dst), "c1", NS) == stage


def test_other_clusters_in_the_target_do_not_count():
    src, dst = Cluster(objects(paused=True)), Cluster(objects(paused=True)[:2] + objects("other"))
    assert move.inspect(src, dst, "c1", NS) == "creating"


def test_creating_unpauses_the_source_only():
    src, dst = Cluster(objects(paused=True)), Cluster(objects(paused=True)[:2])
    done = move.complete(src, dst, "c1", NS, "creating")
    assert not move.paused(src.get(CAPI, "Cluster", "c1", NS))
    assert move.paused(dst.get(CAPI, "Cluster", "c1", NS))
    assert len(src.objects) == len(Cluster(objects()).objects) and not dst.calls
    assert "for clusterctl move to run again" in done[0]


def test_deleting_finishes_as_clusterctl_then_unpauses_the_target():
    src = Cluster(objects(paused=True, machines=("m2",)))  # m1 already deleted from the source
    dst = Cluster(objects(paused=True))
    done = move.complete(src, dst, "c1", NS, "deleting")
    assert move.inspect(src, dst, "c1", NS) == "done"
    assert not [k for k in src.objects if k[1] != "CustomResourceDefinition"]
    deleted = [c for c in src.calls if c[0] == "delete"]
    assert deleted[-1] == ("delete", "Cluster", "c1")  # the Cluster last
    marks = [c for c in src.calls if c[0] == "patch" and "annotations" in c[3].get("metadata", {})]
    assert len(marks) == len(deleted)  # every deletion marked delete-for-move first: no controller deletes the VM
    assert all(move.DELETE_FOR_MOVE_ANNOTATION in c[3]["metadata"]["annotations"] for c in marks)
    assert not move.paused(dst.get(CAPI, "Cluster", "c1", NS))
    assert len(dst.objects) == len(Cluster(objects()).objects)
    assert "c1-m1" not in done[0] and "Machine/c1-m2" in done[0] and done[-1].endswith("in the target")


def test_deleting_leaves_what_the_target_does_not_hold():
    src = Cluster(objects(paused=True) + [{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c1-extra", "namespace": NS}}])
    dst = Cluster(objects(paused=True))
    move.complete(src, dst, "c1", NS, "deleting")
    assert src.get("v1", "Secret", "c1-extra", NS) is not None


def test_unpause_only_touches_the_target_and_check_mode_changes_nothing():
    src, dst = Cluster([]), Cluster(objects(paused=True))
    assert move.complete(src, dst, "c1", NS, "unpause", check_mode=True)
    assert move.paused(dst.get(CAPI, "Cluster", "c1", NS)) and not dst.calls
    move.complete(src, dst, "c1", NS, "unpause")
    assert not move.paused(dst.get(CAPI, "Cluster", "c1", NS)) and not src.calls
