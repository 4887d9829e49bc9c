# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""An existing cluster used as the bootstrap cluster: what a create puts there, recorded durably, and taken away.

A kind bootstrap cluster is deleted at the end of the create. On an existing cluster (``bootstrap_kubeconfig``, or the
AWX job pod's own cluster with ``bootstrap_in_cluster``) the create instead records, BEFORE it changes anything, what
was there already, in a ConfigMap ``<name>-bootstrap`` of the state namespace (``eksa-anywhere``): the namespaces it is
about to create (``eksa-system``), the Cluster API providers (clusterctl's inventory), whether cert-manager and the
inventory CRD were there. A later job (AWX: a new private data directory) reads the same record, so a resumed create
never mistakes its own providers for ones that were there before.

At the end, :func:`cleanup_plan` lists exactly what the run added - the providers installed since the record (their
objects carry clusterctl's label ``cluster.x-k8s.io/provider=<provider>``), cert-manager (``clusterctl.cluster.x-k8s.io/core=
cert-manager``) and the inventory CRD when they were not there, the namespaces the run created - and :func:`cleanup`
deletes it, then the record (and the state namespace when the run created it and nothing else lives there).
Anything that was there before is left alone.

``clusterctl delete --all --include-crd --include-namespace`` is not used: it deletes the core provider's CRDs first
and then fails listing their kinds for the next provider (clusterctl v1.13), and it leaves cert-manager and the
inventory CRD behind. The label sweep here removes the same objects (namespaces, CRDs, RBAC, webhook configurations)
in a safe order.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import waiter
from ansible_collections.eksa.anywhere.plugins.module_utils.tools.clusterctl import INVENTORY_API

RECORD_NAMESPACE = "eksa-anywhere"
RECORD_KEY = "record"
RECORD_LABEL = "anywhere.eks.amazonaws.com/bootstrap-record"
# the namespaces a create makes on its bootstrap cluster
CREATED_NAMESPACES = ("eksa-system",)
PROVIDER_LABEL = "cluster.x-k8s.io/provider"
CORE_LABEL = "clusterctl.cluster.x-k8s.io/core"
CERT_MANAGER_API = "cert-manager.io/v1"
CAPI_API = "cluster.x-k8s.io/v1beta2"
# clusterctl's provider types, deleted in this order (the core provider's CRDs last: the others' objects refer to them)
TYPE_ORDER = ("InfrastructureProvider", "BootstrapProvider", "ControlPlaneProvider", "CoreProvider")
# what a provider (or cert-manager) consists of, swept by label: admission first, then the namespaces (their
# Deployments, Services, Roles go with them), RBAC, then the CRDs (their objects are gone by then)
SWEEP_KINDS = (
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
    ("v1", "Namespace"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
)
INVENTORY_CRD = "providers.clusterctl.cluster.x-k8s.io"


def record_name(name):
    return "%s-bootstrap" % name


# ---------------------------------------------------------------------------------------------- the record
def providers(client):
    """[{name, type}] of clusterctl's inventory (Provider objects; name is the provider's label, e.g.
    ``infrastructure-vsphere``), empty when there is none."""
    if not client.serves(INVENTORY_API, "Provider"):
        return []
    out = []
    for item in client.list(INVENTORY_API, "Provider"):
        meta = item.get("metadata") or {}
        out.append({"name": meta.get("name"), "type": item.get("type"), "namespace": meta.get("namespace")})
    return sorted(out, key=lambda p: p["name"] or "")


def snapshot(client, namespace=RECORD_NAMESPACE):
    """What is on the cluster before the create changes anything there: the record to store."""
    missing = [ns for ns in CREATED_NAMESPACES if not client.get("v1", "Namespace", ns)]
    return {
        "namespaces": missing,
        "providers_before": [p["name"] for p in providers(client)],
        "inventory_before": bool(client.serves(INVENTORY_API, "Provider")),
        "cert_manager_before": bool(client.serves(CERT_MANAGER_API, "Certificate")),
        "record_namespace_created": not client.get("v1", "Namespace", namespace),
    }


def record_configmap(name, record, namespace=RECORD_NAMESPACE):
    return {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": record_name(name), "namespace": namespace,
                     "labels": {RECORD_LABEL: name, "app.kubernetes.io/managed-by": "eksa.anywhere"}},
        "data": {RECORD_KEY: json.dumps(record, sort_keys=True)},
    }


def parse_record(configmap):
    """The record a ConfigMap holds (None when there is none); K8sError when it is not one of ours."""
    if not configmap:
        return None
    text = (configmap.get("data") or {}).get(RECORD_KEY)
    try:
        record = json.loads(text) if text else None
    except ValueError:
        record = None
    if not isinstance(record, dict):
        meta = configmap.get("metadata") or {}
        raise K8sError("ConfigMap %s/%s is not a bootstrap record of eksa.anywhere (no JSON %r key): remove or rename it"
                       % (meta.get("namespace"), meta.get("name"), RECORD_KEY))
    record.setdefault("namespaces", [])
    record.setdefault("providers_before", [])
    record.setdefault("inventory_before", True)
    record.setdefault("cert_manager_before", True)
    record.setdefault("record_namespace_created", False)
    return record


def read_record(client, name, namespace=RECORD_NAMESPACE):
    return parse_record(client.get("v1", "ConfigMap", record_name(name), namespace))


def ensure_record(client, name, namespace=RECORD_NAMESPACE, check_mode=False):
    """(record, changed): the stored record, else a snapshot stored now (before anything else is created)."""
    record = read_record(client, name, namespace)
    if record is not None:
        return record, False
    record = snapshot(client, namespace)
    if not check_mode:
        if record["record_namespace_created"]:
            client.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
        client.apply(record_configmap(name, record, namespace))
    return record, True


# ---------------------------------------------------------------------------------------------- the clean-up
def cleanup_plan(record, installed, served):
    """What to delete, from the record, the providers installed now and what the cluster serves.

    installed: providers() now; served: {'inventory': bool, 'cert_manager': bool}.
    Returns {providers: [names, infrastructure first, core last], cert_manager, inventory_crd, namespaces}.
    """
    before = set(record.get("providers_before") or [])
    rank = dict((t, i) for i, t in enumerate(TYPE_ORDER))
    mine = [p for p in installed if p["name"] and p["name"] not in before]
    mine.sort(key=lambda p: (rank.get(p["type"], len(TYPE_ORDER)), p["name"]))
    left = [p for p in installed if p["name"] in before]
    return {
        "providers": [p["name"] for p in mine],
        "cert_manager": bool(served.get("cert_manager")) and not record.get("cert_manager_before", True),
        # clusterctl's inventory CRD goes when this run brought it and no provider that was there before remains
        "inventory_crd": bool(served.get("inventory")) and not record.get("inventory_before", True) and not left,
        "namespaces": list(record.get("namespaces") or []),
    }


def empty_plan(plan):
    return not (plan["providers"] or plan["cert_manager"] or plan["inventory_crd"] or plan["namespaces"])


def sweep(client, selector):
    """Delete every object of SWEEP_KINDS labelled ``selector``; return ['Kind/[ns/]name'] deleted."""
    done = []
    for api_version, kind in SWEEP_KINDS:
        if not client.serves(api_version, kind):
            continue
        for item in client.list(api_version, kind, label_selector=selector):
            meta = item.get("metadata") or {}
            client.delete(api_version, kind, meta["name"], meta.get("namespace"))
            done.append("%s/%s%s" % (kind, meta["namespace"] + "/" if meta.get("namespace") else "", meta["name"]))
    return done


def existing_namespaces(client, names):
    return [ns for ns in names if client.get("v1", "Namespace", ns)]


def wait_namespaces_gone(client, names, timeout, sleep=1.0):
    """Wait until the namespaces are gone (the namespace controller empties them first)."""
    def check():
        left = existing_namespaces(client, names)
        return not left, "namespaces still terminating: %s" % ", ".join(left) if left else "namespaces deleted"
    if names:
        waiter.wait_until(check, timeout, "the namespaces to be deleted", sleep=sleep)


def record_namespace_unused(client, namespace, keep_name):
    """True when the namespace holds no Secret and no ConfigMap but the record and kube-root-ca.crt."""
    for item in client.list("v1", "ConfigMap", namespace=namespace):
        if item["metadata"]["name"] not in (keep_name, "kube-root-ca.crt"):
            return False
    for item in client.list("v1", "Secret", namespace=namespace):
        if item.get("type") != "kubernetes.io/service-account-token":
            return False
    return True


def cleanup(client, name, namespace=RECORD_NAMESPACE, check_mode=False, timeout=300):
    """Delete what the run recorded it created. Returns (changed, report): report names what was (or would be) deleted."""
    record = read_record(client, name, namespace)
    report = {"record": False, "providers": [], "cert_manager": False, "inventory_crd": False, "namespaces": [],
              "record_namespace": False, "objects": []}
    if record is None:
        return False, report
    served = {"inventory": client.serves(INVENTORY_API, "Provider"),
              "cert_manager": client.serves(CERT_MANAGER_API, "Certificate")}
    plan = cleanup_plan(record, providers(client), served)
    namespaces = existing_namespaces(client, plan["namespaces"])
    report.update(record=True, providers=plan["providers"], cert_manager=plan["cert_manager"],
                  inventory_crd=plan["inventory_crd"], namespaces=namespaces)
    unused = record["record_namespace_created"] and record_namespace_unused(client, namespace, record_name(name))
    report["record_namespace"] = bool(unused)
    if check_mode:
        return True, report
    swept = []
    for ns in namespaces:
        client.delete("v1", "Namespace", ns)
    for provider in plan["providers"]:
        swept += sweep(client, "%s=%s" % (PROVIDER_LABEL, provider))
    if plan["cert_manager"]:
        swept += sweep(client, "%s=cert-manager" % CORE_LABEL)
    if plan["inventory_crd"]:
        client.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", INVENTORY_CRD)
        swept.append("CustomResourceDefinition/%s" % INVENTORY_CRD)
    gone = list(namespaces) + [s.split("/", 1)[1] for s in swept if s.startswith("Namespace/")]
    wait_namespaces_gone(client, gone, timeout)
    client.delete("v1", "ConfigMap", record_name(name), namespace)
    if unused:
        client.delete("v1", "Namespace", namespace)
        wait_namespaces_gone(client, [namespace], timeout)
    report["objects"] = swept
    return True, report


def still_manages(client, name):
    """True when the cluster still holds the Cluster API Cluster of name (the move has not happened)."""
    return bool(client.serves(CAPI_API, "Cluster") and client.get(CAPI_API, "Cluster", name, "eksa-system"))
