#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: capi_diagnostics
short_description: Collect a Cluster API cluster's objects, conditions, events and provider status into a folder
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Writes, into C(<dest>/diagnostics-<time>/) (mode 0700, files 0600), the cluster's Cluster API objects with their conditions,
    the events of their namespace, the status of the provider Deployments, and a C(summary.txt) of what is not ready.
  - Secrets are listed by name only; their data is never written.
  - Used by the create workflow when a phase fails; useful on its own when a cluster is stuck.
options:
  name:
    description: The cluster's name.
    type: str
    required: true
  namespace:
    description: The namespace of the Cluster API objects.
    type: str
    default: eksa-system
  dest:
    description: The folder under which C(diagnostics-<time>/) is created.
    type: path
    required: true
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
attributes:
  check_mode:
    description: Collects nothing, reports where it would write.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: Collect diagnostics
  eksa.anywhere.capi_diagnostics:
    kubeconfig: mgmt/generated/mgmt.kind.kubeconfig
    name: mgmt
    dest: mgmt/generated
"""

RETURN = r"""
path:
  description: The diagnostics folder.
  returned: always
  type: str
summary:
  description: One line per object that is not ready, with its condition message.
  returned: always
  type: list
  elements: str
"""

import json
import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils import capi_status
from ansible_collections.eksa.anywhere.plugins.module_utils._module_support import k8s_from_module
from ansible_collections.eksa.anywhere.plugins.module_utils.args_k8s import k8s_argument_spec
from ansible_collections.eksa.anywhere.plugins.module_utils.clusterctl import provider_namespaces
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s_client import K8sError, write_private_file

try:
    import yaml
except ImportError:  # pragma: no cover - k8s_from_module reports it
    yaml = None


def _not_ready(obj):
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") in ("Ready", "Available") and cond.get("status") != "True":
            return "%s %s: %s=%s %s" % (obj.get("kind"), obj["metadata"]["name"], cond.get("type"), cond.get("status"),
                                        cond.get("message") or cond.get("reason") or "")
    return None


def collect(client, name, namespace, folder):
    summary = []
    for api_version, kind in capi_status.CAPI_KINDS:
        if not client.serves(api_version, kind):
            continue
        items = client.list(api_version, kind, namespace=namespace)
        if kind == "Secret":
            names = sorted(i["metadata"]["name"] for i in items)
            write_private_file(folder, "secrets.txt", "\n".join(names) + "\n")
            continue
        for item in items:
            (item.get("metadata") or {}).pop("managedFields", None)
            line = _not_ready(item)
            if line:
                summary.append(line)
        write_private_file(folder, "%s.yaml" % kind.lower(), yaml.safe_dump_all(items, default_flow_style=False))
    events = client.list("v1", "Event", namespace=namespace)
    events.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    write_private_file(folder, "events.txt", "".join(
        "%s %s %s/%s: %s\n" % (e.get("lastTimestamp") or e.get("eventTime"), e.get("type"), (e.get("involvedObject") or {}).get("kind"),
                               (e.get("involvedObject") or {}).get("name"), e.get("message")) for e in events))
    deployments = []
    for ns in provider_namespaces(client):
        for dep in client.list("apps/v1", "Deployment", namespace=ns):
            st = dep.get("status") or {}
            deployments.append(dict(name="%s/%s" % (ns, dep["metadata"]["name"]), replicas=st.get("replicas"),
                                    available=st.get("availableReplicas"), conditions=st.get("conditions")))
    write_private_file(folder, "provider-deployments.json", json.dumps(deployments, indent=2, sort_keys=True))
    write_private_file(folder, "summary.txt", "\n".join(summary or ["every object reports Ready"]) + "\n")
    return summary


def main():
    module = AnsibleModule(
        argument_spec=k8s_argument_spec(
            name=dict(type="str", required=True),
            namespace=dict(type="str", default="eksa-system"),
            dest=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    folder = os.path.join(p["dest"], "diagnostics-%s" % time.strftime("%Y%m%dT%H%M%S"))
    if module.check_mode:
        module.exit_json(changed=False, path=folder, summary=[])
    conn, client = k8s_from_module(module, what="management cluster")
    try:
        os.makedirs(folder, 0o700)
        summary = collect(client, p["name"], p["namespace"], folder)
    except (K8sError, OSError) as exc:
        module.fail_json(msg="cannot collect diagnostics: %s" % exc, path=folder)
    finally:
        conn.close()
    module.exit_json(changed=True, path=folder, summary=summary)


if __name__ == "__main__":
    main()
