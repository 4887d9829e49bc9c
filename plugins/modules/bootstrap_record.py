#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: bootstrap_record
short_description: What a create puts on an existing bootstrap cluster, recorded durably, and deleted at the end
version_added: 0.2.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - For an existing cluster used as the bootstrap cluster (C(bootstrap_kubeconfig), or the job pod's own cluster with
    C(bootstrap_in_cluster)), so that it is cleaned up at the end of the create as a kind bootstrap cluster is deleted.
  - With O(state=present) (before the create changes anything there), stores a record in the ConfigMap
    C(<name>-bootstrap) of O(namespace) - the namespaces the create is about to make (C(eksa-system)), the Cluster API
    providers of clusterctl's inventory, whether cert-manager and the inventory CRD are installed. A record already
    there (a resumed create, a new AWX job in a new folder) is kept as it is.
  - With O(state=absent) (after the move), deletes exactly what the run added - the providers installed since the
    record (every object labelled C(cluster.x-k8s.io/provider=<provider>) - namespaces, CRDs, RBAC, webhook
    configurations, clusterctl's own selection), cert-manager (C(clusterctl.cluster.x-k8s.io/core=cert-manager)) and the
    inventory CRD when they were not there, the namespaces the run created - waits for those namespaces to be gone,
    then deletes the record, and O(namespace) when the run created it and nothing else lives there (the cluster's
    durable state Secret keeps it). What was there before is left alone. Refused while the cluster still holds the
    Cluster API Cluster (the move has not happened).
  - Idempotent - without a record there is nothing to delete.
options:
  name:
    description: The EKS Anywhere cluster's name.
    type: str
    required: true
  state:
    description: C(present) records, C(absent) deletes what was recorded.
    type: str
    choices: [present, absent]
    default: present
  namespace:
    description: Where the record is kept (the durable state's namespace).
    type: str
    default: eksa-anywhere
  timeout:
    description: Seconds to wait, with O(state=absent), for the deleted namespaces to be gone.
    type: int
    default: 300
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
attributes:
  check_mode:
    description: Reports the record it would store, or what it would delete; changes nothing.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: Record what the create is about to put on the existing bootstrap cluster
  eksa.anywhere.bootstrap_record:
    kubeconfig: ~/.kube/bootstrap.kubeconfig
    name: mgmt

- name: Deleting bootstrap cluster (what this create put there)
  eksa.anywhere.bootstrap_record:
    kubeconfig: ~/.kube/bootstrap.kubeconfig
    name: mgmt
    state: absent
"""

RETURN = r"""
record:
  description:
    - The record (C(namespaces) the run creates, C(providers_before), C(inventory_before), C(cert_manager_before),
      C(record_namespace_created)); empty with O(state=absent) when there was none.
  returned: always
  type: dict
configmap:
  description: Where the record is, C(namespace/name).
  returned: always
  type: str
deleted:
  description:
    - With O(state=absent), what was (in check mode, would be) deleted - C(providers), C(cert_manager),
      C(inventory_crd), C(namespaces), C(record_namespace), C(record), and C(objects) (each C(Kind/[namespace/]name)).
  returned: with O(state=absent)
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import bootstrap
from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import k8s_from_module
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError, check_namespace
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.waiter import WaitTimeout


def main():
    module = AnsibleModule(
        argument_spec=k8s_argument_spec(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            namespace=dict(type="str", default=bootstrap.RECORD_NAMESPACE),
            timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    p = module.params
    where = "%s/%s" % (p["namespace"], bootstrap.record_name(p["name"]))
    result = dict(changed=False, record={}, configmap=where)
    try:
        check_namespace(p["namespace"])
    except K8sError as exc:
        module.fail_json(msg=str(exc), **result)
    conn, client = k8s_from_module(module, what="existing bootstrap cluster")
    try:
        if p["state"] == "present":
            try:
                record, changed = bootstrap.ensure_record(client, p["name"], p["namespace"], module.check_mode)
            except K8sError as exc:
                module.fail_json(msg="cannot record what the create puts on the bootstrap cluster (ConfigMap %s): %s"
                                 % (where, exc), **result)
            module.exit_json(changed=changed, record=record, configmap=where)
        try:
            if bootstrap.still_manages(client, p["name"]):
                module.fail_json(msg="refusing to clean up the bootstrap cluster: it still manages Cluster eksa-system/%s;"
                                 " move it to its own cluster first (clusterctl_move)" % p["name"], **result)
            record = bootstrap.read_record(client, p["name"], p["namespace"]) or {}
            changed, deleted = bootstrap.cleanup(client, p["name"], p["namespace"], module.check_mode, p["timeout"])
        except WaitTimeout as exc:
            module.fail_json(msg="cleaning up the bootstrap cluster: %s" % exc, **result)
        except K8sError as exc:
            module.fail_json(msg="cannot clean up what the create put on the bootstrap cluster (record %s): %s"
                             % (where, exc), **result)
        module.exit_json(changed=changed, record=record, configmap=where, deleted=deleted)
    finally:
        conn.close()


if __name__ == "__main__":
    main()
