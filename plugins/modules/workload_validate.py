#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: workload_validate
short_description: EKS Anywhere's validations before a workload cluster is created on a management cluster
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Runs, against the management cluster, the checks C(eksctl anywhere create cluster -f w.yaml --kubeconfig mgmt.kubeconfig)
    runs for a workload cluster (EKS Anywhere v0.26 createvalidations), under their names and in their order -
    C(validate cluster name) (no Cluster API cluster of that name there),
    C(validate gitops) (a spec with GitOps - its config name is free there and its spec is the management cluster's),
    C(validate identity providers' name) (a spec with identity providers - their names are free there),
    C(validate management cluster has eksa crds),
    C(validate management cluster name is valid) (C(spec.managementCluster.name) is an EKS Anywhere Cluster there that
    manages itself),
    C(validate management cluster eksaVersion compatibility) (the workload's C(eksaVersion) is not newer than the
    management cluster's) and
    C(validate management cluster bundle supports kubernetes version) (the Bundles the management cluster runs, when it
    holds one, has a versionsBundle for the workload's C(kubernetesVersion)).
  - A cluster of the same name that an earlier run of the same create left on the management cluster (its EKS Anywhere
    Cluster names the same management cluster) is not a conflict - RV(resume) is true and the create carries on.
  - Fails, changing nothing, when a check fails (C(❌ Validation failed) with each failure and its remediation), or when the
    spec is not a workload cluster's (its C(spec.managementCluster.name) is its own name).
options:
  spec:
    description: The normalized spec (RV(eksa.anywhere.cluster_context#module:spec)).
    type: dict
    required: true
  capi_namespace:
    description: The namespace of the Cluster API objects on the management cluster.
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
notes:
  - The O(kubeconfig) is the management cluster's (C(-e management_kubeconfig=PATH) of eksa.anywhere.create_cluster).
"""

EXAMPLES = r"""
- name: Validate a workload cluster against its management cluster
  eksa.anywhere.workload_validate:
    kubeconfig: mgmt/mgmt-eks-a-cluster.kubeconfig
    spec: "{{ ctx.spec }}"
  register: workload_checks
"""

RETURN = r"""
messages:
  description: EKS Anywhere's lines, in order (C(✅ validate cluster name) ... or C(❌ Validation failed) and the failures).
  returned: always
  type: list
  elements: str
checks:
  description: Each check with C(name), C(status) (V(passed) or V(failed)), C(message) and C(remediation).
  returned: always
  type: list
  elements: dict
management:
  description: The management cluster's name (C(spec.managementCluster.name)).
  returned: always
  type: str
resume:
  description: Whether an earlier run of this create left the cluster on the management cluster.
  returned: always
  type: bool
management_eksa_version:
  description: The management cluster's C(spec.eksaVersion) (empty when it has none).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import k8s_from_module
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec
from ansible_collections.eksa.anywhere.plugins.module_utils.spec import workload
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import proxy_credentials


def main():
    module = AnsibleModule(
        argument_spec=k8s_argument_spec(spec=dict(type="dict", required=True),
                                        capi_namespace=dict(type="str", default="eksa-system")),
        supports_check_mode=True,
    )
    p = module.params
    # credentials in the spec's proxy URLs are masked in every output of this module (invocation, results, errors)
    module.no_log_values.update(proxy_credentials(p["spec"] or {}))
    cluster = (p["spec"] or {}).get("cluster")
    if not isinstance(cluster, dict) or not (cluster.get("metadata") or {}).get("name"):
        module.fail_json(msg="spec must be the normalized spec (the spec returned by eksa.anywhere.cluster_context)")
    name = cluster["metadata"]["name"]
    if not workload.is_workload(cluster):
        module.fail_json(msg="%s is not a workload cluster: its spec.managementCluster.name is its own name. Set "
                             "spec.managementCluster.name to the management cluster's name to create a workload cluster "
                             "on it, or leave management_kubeconfig out to create a self-managed (management) cluster."
                             % name)
    conn, client = k8s_from_module(module, what="management cluster")
    try:
        client.server_version()
        result = workload.check_create(client, p["spec"], p["capi_namespace"])
    except k8s_client.K8sError as exc:
        module.fail_json(msg="cannot read the management cluster: %s" % exc)
    finally:
        client.close()
        conn.close()
    for line in result["messages"]:
        module.log(line)
    failed = result.pop("failed")
    errors = result.pop("errors")
    if failed:
        module.fail_json(msg=u"\u274c Validation failed: %s. Nothing was changed." % "; ".join(errors), changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
