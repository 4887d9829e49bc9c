# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Collect what a stuck Cluster API cluster looks like into a folder (no AnsibleModule here)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import status as capi_status
from ansible_collections.eksa.anywhere.plugins.module_utils.tools.clusterctl import belongs_to, provider_namespaces
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError, write_private_file

try:
    import yaml
except ImportError:  # pragma: no cover - the caller reports a missing PyYAML
    yaml = None

LOG_TAIL_LINES = 500


def not_ready(obj):
    """A line naming the object and its Ready/Available condition when that is not True, else None."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Ready", "Available") and cond.get("status") != "True":
            return "%s %s: %s=%s %s" % (obj.get("kind"), obj["metadata"]["name"], cond.get("type"), cond.get("status"),
                                        cond.get("message") or cond.get("reason") or "")
    return None


def _event_line(e):
    involved = e.get("involvedObject") or {}
    return "%s %s %s/%s: %s\n" % (e.get("lastTimestamp") or e.get("eventTime"), e.get("type"), involved.get("kind"),
                                  involved.get("name"), e.get("message"))


def _pod_logs(client, namespace, pod):
    """Each container's last lines, or why they could not be read (a pod never scheduled has none)."""
    out = []
    for container in (pod.get("spec") or {}).get("containers") or []:
        cname = container.get("name")
        path = "/api/v1/namespaces/%s/pods/%s/log" % (namespace, pod["metadata"]["name"])
        try:
            body = client.request("GET", path, params={"container": cname, "tailLines": LOG_TAIL_LINES})
            text = body.get("raw", "") if isinstance(body, dict) else str(body)
        except K8sError as exc:
            text = "(logs not reachable: %s)\n" % exc
        out.append("==> %s/%s [%s] <==\n%s" % (namespace, pod["metadata"]["name"], cname, text if text.endswith("\n") else text + "\n"))
    return "".join(out)


def provider_status(client, folder):
    """Provider Deployments' status and their pods' logs where the API server can reach them."""
    deployments = []
    logs = []
    for ns in provider_namespaces(client):
        for dep in client.list("apps/v1", "Deployment", namespace=ns):
            st = dep.get("status") or {}
            deployments.append(dict(name="%s/%s" % (ns, dep["metadata"]["name"]), replicas=st.get("replicas"),
                                    available=st.get("availableReplicas"), conditions=st.get("conditions")))
        for pod in client.list("v1", "Pod", namespace=ns):
            logs.append(_pod_logs(client, ns, pod))
    write_private_file(folder, "provider-deployments.json", json.dumps(deployments, indent=2, sort_keys=True))
    write_private_file(folder, "provider-logs.txt", "".join(logs) or "(no provider pods)\n")
    return deployments


def collect(client, name, namespace, folder):
    """Write the cluster's CAPI objects (Secrets by name only), its namespace's events and the providers' state.

    Returns the lines naming what is not ready."""
    summary = []
    for api_version, kind in capi_status.CAPI_KINDS:
        if not client.serves(api_version, kind):
            continue
        items = [i for i in client.list(api_version, kind, namespace=namespace) if belongs_to(i, name)]
        if kind == "Secret":
            names = sorted(i["metadata"]["name"] for i in items)
            write_private_file(folder, "secrets.txt", "\n".join(names) + "\n")
            continue
        for item in items:
            (item.get("metadata") or {}).pop("managedFields", None)
            line = not_ready(item)
            if line:
                summary.append(line)
        write_private_file(folder, "%s.yaml" % kind.lower(), yaml.safe_dump_all(items, default_flow_style=False))
    events = client.list("v1", "Event", namespace=namespace)
    events.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    write_private_file(folder, "events.txt", "".join(_event_line(e) for e in events))
    for dep in provider_status(client, folder):
        if (dep.get("available") or 0) < (dep.get("replicas") or 0) or dep.get("replicas") is None:
            summary.append("provider Deployment %s: %s/%s available" % (dep["name"], dep.get("available") or 0, dep.get("replicas") or 0))
    write_private_file(folder, "summary.txt", "\n".join(summary or ["every object reports Ready"]) + "\n")
    return summary
