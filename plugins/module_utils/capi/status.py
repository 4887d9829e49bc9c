# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Reading a Cluster API cluster's progress: etcd, control plane and workers, as EKS Anywhere waits for them.

Independent of AnsibleModule; shared by the capi_wait action, the move pre-checks and diagnostics.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import waiter
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.running import CAPI_API_VERSION, SYSTEM_NAMESPACE

CAPI = CAPI_API_VERSION
KCP = "controlplane.cluster.x-k8s.io/v1beta2"
ETCD = "etcdcluster.cluster.x-k8s.io/v1beta1"
NAMESPACE = SYSTEM_NAMESPACE
PHASES = ("etcd", "control-plane", "workers")

# what a cluster is made of: the kinds clusterctl move carries, and diagnostics collect
CAPI_KINDS = (
    ("cluster.x-k8s.io/v1beta2", "Cluster"),
    ("cluster.x-k8s.io/v1beta2", "Machine"),
    ("cluster.x-k8s.io/v1beta2", "MachineSet"),
    ("cluster.x-k8s.io/v1beta2", "MachineDeployment"),
    ("cluster.x-k8s.io/v1beta2", "MachineHealthCheck"),
    ("controlplane.cluster.x-k8s.io/v1beta2", "KubeadmControlPlane"),
    ("bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfig"),
    ("bootstrap.cluster.x-k8s.io/v1beta2", "KubeadmConfigTemplate"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "VSphereCluster"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "VSphereMachine"),
    ("infrastructure.cluster.x-k8s.io/v1beta1", "VSphereMachineTemplate"),
    ("etcdcluster.cluster.x-k8s.io/v1beta1", "EtcdadmCluster"),
    ("bootstrap.cluster.x-k8s.io/v1beta1", "EtcdadmConfig"),
    ("addons.cluster.x-k8s.io/v1beta2", "ClusterResourceSet"),
    ("v1", "Secret"),
)


# EKS Anywhere's defaults (eksctl anywhere create cluster flags)
DEFAULT_TIMEOUTS = {"etcd": 3600, "control-plane": 3600, "per-machine": 600}


class WaitFailed(Exception):
    def __init__(self, message, state=None):
        super(WaitFailed, self).__init__(message)
        self.message = message
        self.state = state or {}

    def __str__(self):
        return self.message


def condition(obj, ctype):
    for cond in ((obj or {}).get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype:
            return cond
    return None


def is_true(obj, ctype):
    cond = condition(obj, ctype)
    return bool(cond) and cond.get("status") == "True"


def failure_message(cluster):
    status = (cluster or {}).get("status") or {}
    v1 = (status.get("deprecated") or {}).get("v1beta1") or {}
    if v1.get("failureMessage") or v1.get("failureReason"):
        return "%s: %s" % (v1.get("failureReason") or "Failed", v1.get("failureMessage") or "")
    if status.get("phase") == "Failed":
        return "the Cluster is in phase Failed"
    return None


def etcd_state(client, name, namespace=NAMESPACE):
    obj = client.get(ETCD, "EtcdadmCluster", "%s-etcd" % name, namespace) if client.serves(ETCD, "EtcdadmCluster") else None
    if obj is None:
        return None
    want = (obj.get("spec") or {}).get("replicas", 1)
    status = obj.get("status") or {}
    ready = want if status.get("ready") else min(status.get("replicas") or 0, max(want - 1, 0))
    return dict(ready=ready, total=want, done=bool(status.get("ready")))


def control_plane_state(client, name, namespace=NAMESPACE):
    obj = client.get(KCP, "KubeadmControlPlane", name, namespace)
    if obj is None:
        return dict(ready=0, total=0, done=False, missing=True)
    want = (obj.get("spec") or {}).get("replicas", 1)
    ready = ((obj.get("status") or {}).get("readyReplicas")) or 0
    return dict(ready=ready, total=want, done=ready >= want and is_true(obj, "Available"))


def workers_state(client, name, namespace=NAMESPACE):
    ready = total = 0
    groups = {}
    for md in client.list(CAPI, "MachineDeployment", namespace=namespace):
        if (md.get("spec") or {}).get("clusterName") != name:
            continue
        want = (md.get("spec") or {}).get("replicas", 1) or 0
        got = min((md.get("status") or {}).get("readyReplicas") or 0, want)
        groups[md["metadata"]["name"]] = "%d/%d" % (got, want)
        ready += got
        total += want
    return dict(ready=ready, total=total, done=ready >= total, groups=groups)


def machines_without_node(client, name, namespace=NAMESPACE):
    missing = []
    for machine in client.list(CAPI, "Machine", namespace=namespace, label_selector=_cluster_selector(name)):
        if ((machine.get("metadata") or {}).get("labels") or {}).get("cluster.x-k8s.io/cluster-name") != name:
            continue
        if not ((machine.get("status") or {}).get("nodeRef") or {}).get("name"):
            missing.append(machine["metadata"]["name"])
    return missing


def machines_not_ready(client, name, namespace=NAMESPACE):
    """One line per Machine of the cluster that is not Ready: its phase and the Ready condition's message."""
    lines = []
    for machine in client.list(CAPI, "Machine", namespace=namespace, label_selector=_cluster_selector(name)):
        if ((machine.get("metadata") or {}).get("labels") or {}).get("cluster.x-k8s.io/cluster-name") != name:
            continue
        if is_true(machine, "Ready"):
            continue
        cond = condition(machine, "Ready") or {}
        why = cond.get("message") or cond.get("reason") or "no Ready condition yet"
        lines.append("Machine %s (%s): %s" % (machine["metadata"]["name"], (machine.get("status") or {}).get("phase") or "Pending", why))
    return sorted(lines)


def cluster_ready(client, name, namespace=NAMESPACE):
    cluster = client.get(CAPI, "Cluster", name, namespace)
    if cluster is None:
        return False, "Cluster %s/%s does not exist" % (namespace, name)
    if not is_true(cluster, "ControlPlaneInitialized"):
        return False, "the control plane of %s is not initialized" % name
    if not (is_true(cluster, "Ready") or is_true(cluster, "Available")):
        cond = condition(cluster, "Available") or condition(cluster, "Ready") or {}
        return False, "Cluster %s is not ready: %s" % (name, cond.get("message") or cond.get("reason") or "no Ready condition")
    return True, "Cluster %s is ready" % name


def wait_cluster(client, name, namespace=NAMESPACE, timeouts=None, progress=None, external_etcd=True,
                 sleep=10, clock=time.monotonic, detail=None):
    """Wait for etcd, the control plane and the workers in turn; return the final state.

    One k8s.waiter.wait_until per phase, blocking on a watch of the cluster's Machines between checks, so any change
    is seen at once. progress gets a line each time the counts change; detail (when given, for -v) gets the Machines
    not yet ready. Raises WaitFailed naming the phase and what is not ready.
    """
    timeouts = dict(DEFAULT_TIMEOUTS, **(timeouts or {}))
    state = {}
    phases = [p for p in PHASES if external_etcd or p != "etcd"]
    block = waiter.watch_block(client, CAPI, "Machine", namespace=namespace, label_selector=_cluster_selector(name))
    for phase in phases:
        if phase == "workers":
            count = max(workers_state(client, name, namespace)["total"], 1)
            limit = timeouts["per-machine"] * count
        else:
            limit = timeouts[phase]

        def check(phase=phase):
            cluster = client.get(CAPI, "Cluster", name, namespace)
            if cluster is None:
                raise WaitFailed("the Cluster %s/%s does not exist: apply the cluster manifests first" % (namespace, name), state)
            failure = failure_message(cluster)
            if failure:
                raise WaitFailed("cluster %s failed while waiting for %s: %s" % (name, phase, failure), state)
            if phase == "etcd":
                current = etcd_state(client, name, namespace) or dict(ready=0, total=0, done=False)
            elif phase == "control-plane":
                current = control_plane_state(client, name, namespace)
            else:
                current = workers_state(client, name, namespace)
            state[phase] = current
            line = "%s: %d/%d ready" % (phase, current["ready"], current["total"])
            if current.get("groups"):
                line += " (%s)" % ", ".join("%s %s" % kv for kv in sorted(current["groups"].items()))
            return current["done"], line

        def report(line, phase=phase):
            if progress:
                progress(line)
            if detail and not state[phase]["done"]:
                for machine_line in machines_not_ready(client, name, namespace):
                    detail(machine_line)
        try:
            waiter.wait_until(check, limit, "%s of cluster %s" % (phase, name), progress=report, block=block,
                              sleep=sleep, clock=clock)
        except waiter.WaitTimeout as exc:
            stuck = machines_not_ready(client, name, namespace)
            raise WaitFailed("%s%s" % (exc, "; not ready: " + "; ".join(stuck[:10]) if stuck else ""), state)
    return state


def _cluster_selector(name):
    """The label Cluster API puts on every Machine of a cluster: the server filters, not us."""
    return "cluster.x-k8s.io/cluster-name=%s" % name
