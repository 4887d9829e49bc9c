#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: capi_delete
short_description: Delete a Cluster API cluster and wait until every machine is gone
version_added: 0.2.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Deletes the Cluster API C(Cluster) from the cluster that manages it (a bootstrap cluster for a self-managed cluster,
    its management cluster for a workload cluster) and waits until Cluster API deleted every C(Machine) of it (and so
    every VM) and the C(Cluster) object, as C(eksctl anywhere delete cluster) does.
  - With O(eksa_namespace), the EKS Anywhere C(Cluster) of that namespace is deleted first and the objects it refers to
    (datacenter and machine configs) last - a workload cluster's EKS Anywhere objects on its management cluster.
  - Idempotent - a cluster already gone reports C(changed=false).
options:
  name:
    description: The cluster's name.
    type: str
    required: true
  namespace:
    description: The namespace of the Cluster API objects.
    type: str
    default: eksa-system
  eksa_namespace:
    description: The namespace of the cluster's EKS Anywhere objects to delete too (a workload cluster's).
    type: str
  timeout:
    description: Seconds to wait for Cluster API to delete every machine.
    type: int
    default: 3600
  wait_sleep:
    description: Seconds between two looks.
    type: int
    default: 2
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
attributes:
  check_mode:
    description: Reports what would be deleted.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: Delete mgmt from its bootstrap cluster and wait
  eksa.anywhere.capi_delete:
    kubeconfig: mgmt/generated/mgmt.kind.kubeconfig
    name: mgmt

- name: Delete workload cluster w01 from its management cluster, EKS Anywhere objects included
  eksa.anywhere.capi_delete:
    kubeconfig: mgmt/mgmt-eks-a-cluster.kubeconfig
    name: w01
    eksa_namespace: default
"""

RETURN = r"""
machines:
  description: The cluster's machines when the module started (all deleted on success).
  returned: always
  type: list
  elements: str
eksa_deleted:
  description: The EKS Anywhere objects deleted (C(Kind/name)).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import delete as capi_delete
from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import k8s_from_module
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec


def main():
    module = AnsibleModule(
        argument_spec=k8s_argument_spec(
            name=dict(type="str", required=True),
            namespace=dict(type="str", default="eksa-system"),
            eksa_namespace=dict(type="str"),
            timeout=dict(type="int", default=3600),
            wait_sleep=dict(type="int", default=2),
        ),
        supports_check_mode=True,
    )
    p = module.params
    conn, client = k8s_from_module(module, what="management cluster")
    result = dict(changed=False, machines=[], eksa_deleted=[])
    try:
        result.update(capi_delete.delete_cluster(client, p["name"], p["namespace"], eksa_namespace=p["eksa_namespace"],
                                                 timeout=p["timeout"], sleep=p["wait_sleep"], check_mode=module.check_mode))
    except capi_delete.DeleteFailed as exc:
        module.fail_json(msg=exc.message, machines_left=exc.machines, **result)
    except k8s_client.K8sError as exc:
        module.fail_json(msg="deleting cluster %s: %s" % (p["name"], exc), **result)
    finally:
        client.close()
        conn.close()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
