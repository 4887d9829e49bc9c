# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""A ``clusterctl move`` cut short (a killed or canceled job), found and made whole again.

Independent of AnsibleModule: it takes two :class:`K8sClient` (the cluster moved from and the one moved to).

``clusterctl move`` pauses the source Clusters, creates every object in the target (owners first, the Clusters first of
all), deletes them from the source (the Clusters last, each marked ``clusterctl.cluster.x-k8s.io/delete-for-move`` so
that no controller deletes what it stands for) and unpauses the target Clusters. Cut short, it leaves:

- the Cluster in both, the source paused and complete, the target partial: creation was under way, nothing is deleted
  yet. clusterctl refuses to start on a paused Cluster; once the source is unpaused, ``clusterctl move`` runs again and
  updates what it already created (upstream supports a move restarted after an interrupt);
- the Cluster in both, every source object already in the target: the deletion was under way. Unpausing the source
  there would let its controllers replace what was deleted (a MachineSet whose Machines are gone makes new ones), so
  the move is finished as clusterctl would: what is left in the source is deleted the same way, then the target is
  unpaused;
- the Cluster in the target only, still paused: only the unpause was left.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import status as capi_status
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError

PAUSED_ANNOTATION = "cluster.x-k8s.io/paused"
DELETE_FOR_MOVE_ANNOTATION = "clusterctl.cluster.x-k8s.io/delete-for-move"
CLUSTERCTL_LABEL = "clusterctl.cluster.x-k8s.io"
CRD_API = "apiextensions.k8s.io/v1"


def paused(cluster):
    """Whether a Cluster object is paused, as clusterctl reads it (spec.paused or the annotation)."""
    meta = (cluster or {}).get("metadata") or {}
    return bool(((cluster or {}).get("spec") or {}).get("paused")) or PAUSED_ANNOTATION in (meta.get("annotations") or {})


def _moved_types(client):
    """The namespaced kinds clusterctl moves (its providers' CRDs, at their storage version), Clusters first."""
    kinds = []
    for crd in client.list(CRD_API, "CustomResourceDefinition", label_selector=CLUSTERCTL_LABEL):
        spec = crd.get("spec") or {}
        if spec.get("scope") != "Namespaced":
            continue
        for version in spec.get("versions") or []:
            if version.get("storage"):
                kinds.append(("%s/%s" % (spec["group"], version["name"]), spec["names"]["kind"]))
    kinds.sort(key=lambda kind: kind[1] != "Cluster")
    return kinds


def _objects(client, kinds, namespace, name):
    """(api_version, kind, object name) of the cluster's objects (its label or its name's prefix) in namespace."""
    found = []
    for api_version, kind in kinds:
        if not client.serves(api_version, kind):
            continue
        for obj in client.list(api_version, kind, namespace=namespace):
            meta = obj.get("metadata") or {}
            labels = meta.get("labels") or {}
            if labels.get("cluster.x-k8s.io/cluster-name") == name or meta.get("name") == name \
                    or meta.get("name", "").startswith(name + "-"):
                found.append((api_version, kind, meta["name"]))
    return found


def _set_paused(client, name, namespace, value):
    try:
        client.merge_patch(capi_status.CAPI, "Cluster", name, namespace, {"spec": {"paused": value}})
    except K8sError as exc:
        if exc.status != 404:
            raise


def _delete_for_move(client, api_version, kind, name, namespace):
    """Delete one source object as clusterctl does: marked, deleted, its finalizers removed (nothing behind it goes)."""
    try:
        obj = client.merge_patch(api_version, kind, name, namespace,
                                 {"metadata": {"annotations": {DELETE_FOR_MOVE_ANNOTATION: ""}}})
    except K8sError as exc:
        if exc.status == 404:
            return
        raise
    client.delete(api_version, kind, name, namespace)
    if (obj.get("metadata") or {}).get("finalizers"):
        try:
            client.merge_patch(api_version, kind, name, namespace, {"metadata": {"finalizers": None}})
        except K8sError as exc:
            if exc.status != 404:
                raise


def inspect(src, dst, name, namespace):
    """Where a move of cluster ``name`` stands: ``not-started``, ``creating`` (cut short while creating in the target),
    ``deleting`` (cut short while deleting from the source), ``unpause`` (only the target's unpause left) or ``done``."""
    in_src = src.serves(capi_status.CAPI, "Cluster") and src.get(capi_status.CAPI, "Cluster", name, namespace)
    in_dst = dst.serves(capi_status.CAPI, "Cluster") and dst.get(capi_status.CAPI, "Cluster", name, namespace)
    if not in_dst:
        return "not-started" if not paused(in_src) else "creating"
    if not in_src:
        return "unpause" if paused(in_dst) else "done"
    kinds = _moved_types(src)
    target = set(_objects(dst, kinds, namespace, name))
    missing = [obj for obj in _objects(src, kinds, namespace, name) if obj not in target]
    return "creating" if missing else "deleting"


def complete(src, dst, name, namespace, stage, check_mode=False):
    """Make a move cut short at ``stage`` (from :func:`inspect`) whole, or ready for ``clusterctl move`` to run again.
    Returns what was done, one line per step."""
    done = []
    if stage == "creating":
        done.append("unpaused Cluster %s/%s in the source, for clusterctl move to run again" % (namespace, name))
        if not check_mode:
            _set_paused(src, name, namespace, False)
    elif stage == "deleting":
        kinds = _moved_types(src) + [("v1", "ConfigMap"), ("v1", "Secret")]
        # only what the target holds too: what clusterctl created there and had still to delete here
        target = set(_objects(dst, kinds, namespace, name))
        left = [obj for obj in _objects(src, kinds, namespace, name) if obj in target]
        # the Clusters last, as clusterctl deletes them
        left.sort(key=lambda obj: obj[1] == "Cluster")
        done.append("deleted from the source what clusterctl move had not: %s"
                    % ", ".join("%s/%s" % (kind, obj) for _api, kind, obj in left))
        if not check_mode:
            for api_version, kind, obj in left:
                _delete_for_move(src, api_version, kind, obj, namespace)
    if stage in ("deleting", "unpause"):
        done.append("unpaused Cluster %s/%s in the target" % (namespace, name))
        if not check_mode:
            _set_paused(dst, name, namespace, False)
    return done
