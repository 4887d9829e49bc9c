#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: eksa_cluster_info
short_description: What a cluster holds of EKS Anywhere clusters - itself, the clusters it manages
version_added: 0.2.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Reads the EKS Anywhere C(Cluster) of a name and lists the EKS Anywhere clusters whose management cluster it is, and
    the Cluster API clusters in the Cluster API namespace, so a day-2 workflow can refuse what EKS Anywhere refuses
    (deleting a management cluster that still manages workload clusters).
  - A missing kubeconfig or an API server that does not answer gives RV(reachable=false), not a failure.
options:
  name:
    description: The cluster's name.
    type: str
    required: true
  namespace:
    description: The namespace of the EKS Anywhere C(Cluster).
    type: str
    default: default
  capi_namespace:
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
- name: Does mgmt still manage workload clusters?
  eksa.anywhere.eksa_cluster_info:
    kubeconfig: mgmt/mgmt-eks-a-cluster.kubeconfig
    name: mgmt
  register: mgmt_info
"""

RETURN = r"""
reachable:
  description: Whether the API server answered.
  returned: always
  type: bool
exists:
  description: Whether the EKS Anywhere Cluster exists there.
  returned: always
  type: bool
management_cluster:
  description: The cluster's C(spec.managementCluster.name) (its own name for a self-managed cluster).
  returned: when RV(exists)
  type: str
managed_clusters:
  description: The EKS Anywhere clusters (C(namespace/name)) whose management cluster it is, itself excluded.
  returned: always
  type: list
  elements: str
capi_clusters:
  description: The Cluster API clusters in O(capi_namespace).
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import delete as capi_delete
from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import require_libs
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.running import API_VERSION


def main():
    module = AnsibleModule(
        argument_spec=k8s_argument_spec(name=dict(type="str", required=True), namespace=dict(type="str", default="default"),
                                        capi_namespace=dict(type="str", default="eksa-system")),
        supports_check_mode=True,
    )
    require_libs(module)
    p = module.params
    result = dict(changed=False, reachable=False, exists=False, managed_clusters=[], capi_clusters=[])
    if not p["host"] and p["kubeconfig"] and not os.path.exists(p["kubeconfig"]):
        module.exit_json(msg="kubeconfig %s does not exist" % p["kubeconfig"], **result)
    try:
        conn = k8s_client.connection_from_params(p)
    except k8s_client.K8sError as exc:
        module.exit_json(msg=str(exc), **result)
    client = k8s_client.K8sClient(conn, timeout=10)
    try:
        client.server_version()
        result["reachable"] = True
        if client.serves(API_VERSION, "Cluster"):
            cluster = client.get(API_VERSION, "Cluster", p["name"], p["namespace"])
            if cluster:
                result["exists"] = True
                result["management_cluster"] = ((cluster.get("spec") or {}).get("managementCluster") or {}).get("name") or p["name"]
        result["managed_clusters"] = capi_delete.managed_clusters(client, p["name"])
        result["capi_clusters"] = capi_delete.capi_clusters(client, p["capi_namespace"])
    except k8s_client.K8sError as exc:
        result["msg"] = str(exc)
    finally:
        client.close()
        conn.close()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
