#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: capi_cluster_info
short_description: Whether a management cluster holds a Cluster API cluster, and how ready it is
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Reads the Cluster API Cluster of a name and its control plane and workers, so a workflow can tell from real state
    which of its phases are done (for example, whether the cluster already manages itself after a move).
  - A missing kubeconfig or an API server that does not answer gives RV(reachable=false), not a failure.
options:
  name:
    description: The cluster's name.
    type: str
    required: true
  namespace:
    description: The namespace of the Cluster API objects.
    type: str
    default: eksa-system
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: Does the workload cluster manage itself already?
  eksa.anywhere.capi_cluster_info:
    kubeconfig: mgmt/mgmt-eks-a-cluster.kubeconfig
    name: mgmt
  register: workload_info
"""

RETURN = r"""
reachable:
  description: Whether the API server answered.
  returned: always
  type: bool
exists:
  description: Whether the Cluster object exists there.
  returned: always
  type: bool
ready:
  description: Whether the Cluster is ready.
  returned: always
  type: bool
paused:
  description:
    - Whether the Cluster is paused (C(spec.paused) or the C(cluster.x-k8s.io/paused) annotation) - as C(clusterctl move)
      leaves it in the cluster it moves from, and in the one it moves to until the move ends.
  returned: always
  type: bool
control_plane:
  description: Ready and total control plane machines.
  returned: when RV(exists)
  type: dict
workers:
  description: Ready and total worker machines.
  returned: when RV(exists)
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import move as capi_move
from ansible_collections.eksa.anywhere.plugins.module_utils.capi import status as capi_status

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import require_libs
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec


def main():
    module = AnsibleModule(
        argument_spec=k8s_argument_spec(name=dict(type="str", required=True), namespace=dict(type="str", default="eksa-system")),
        supports_check_mode=True,
    )
    require_libs(module)
    p = module.params
    result = dict(changed=False, reachable=False, exists=False, ready=False, paused=False)
    if not p["host"] and isinstance(p["kubeconfig"], str) and ":" not in p["kubeconfig"] and not os.path.exists(p["kubeconfig"]):
        module.exit_json(msg="kubeconfig %s does not exist" % p["kubeconfig"], **result)
    try:
        conn = k8s_client.connection_from_params(p)
    except k8s_client.K8sError as exc:
        module.exit_json(msg=str(exc), **result)
    for warning in conn.warnings:
        module.warn(warning)
    client = k8s_client.K8sClient(conn, timeout=10)
    try:
        client.server_version()
        result["reachable"] = True
        cluster = client.serves(capi_status.CAPI, "Cluster") and client.get(capi_status.CAPI, "Cluster", p["name"], p["namespace"])
        if cluster:
            result["exists"] = True
            result["paused"] = capi_move.paused(cluster)
            result["ready"] = capi_status.cluster_ready(client, p["name"], p["namespace"])[0]
            result["control_plane"] = capi_status.control_plane_state(client, p["name"], p["namespace"])
            result["workers"] = capi_status.workers_state(client, p["name"], p["namespace"])
    except k8s_client.K8sError as exc:
        result["msg"] = str(exc)
    finally:
        client.close()
        conn.close()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
