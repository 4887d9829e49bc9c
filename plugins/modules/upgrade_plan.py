#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: upgrade_plan
short_description: Validate a changed EKS Anywhere spec against the running cluster and plan the upgrade
version_added: 0.2.0
description:
  - Like C(eksctl anywhere upgrade plan cluster) plus the checks C(eksctl anywhere upgrade cluster) runs before it
    changes anything. Changes nothing, in check mode or not.
  - "Validations, as EKS Anywhere v0.26 runs them: immutable fields of the Cluster (name, namespace, C(datacenterRef),
    control plane endpoint, C(clusterNetwork) pods/services/dns/nodes, the CNI plugin, C(proxyConfiguration), the etcd
    topology, the AWS IAM identity provider, C(gitOpsRef), the management cluster); the Kubernetes version one minor
    version up at a time and never down; each worker node group's version against the control plane's; the vSphere
    provider's new-spec checks (datacenter C(server), C(datacenter), C(network), C(insecure), C(thumbprint); machine
    configs' C(osFamily) and C(storagePolicyName)). Every problem names the object, the field, the previous and the new
    value and the EKS Anywhere source of the rule; all of them are reported at once. See C(docs/day2.md)."
  - "The plan: the spec fields that change; the machine and bootstrap templates that get new names (templates are
    immutable: a changed one gets the next C(-<n>) suffix); per group (control plane, etcd, each worker group) whether it
    rolls, scales, is added or removed, and how many machines are replaced, added and removed; the order of the rollout
    (control plane, then etcd, then the worker groups)."
  - Runs on the controller (action plugin), as M(eksa.anywhere.capi_manifests) does.
author: eksa.anywhere maintainers (@eksa-anywhere)
options:
  spec:
    description:
      - The new spec - M(eksa.anywhere.cluster_spec)'s RV(eksa.anywhere.cluster_spec#module:spec) result (or its whole
        result), a spec file path, YAML text or the list of objects.
    type: raw
    required: true
  current:
    description:
      - The running cluster's spec, in any form O(spec) takes.
      - When omitted, it is read from the EKS Anywhere objects on the management cluster (O(kubeconfig)) - the Cluster
        and the objects it refers to.
    type: raw
  bundle:
    description: The Bundles manifest (path, C(file://) or C(https://) URL, or mapping), as for M(eksa.anywhere.capi_manifests).
    type: raw
    required: true
  eksd_manifest:
    description: The EKS Distro release manifest, instead of the bundle entry's C(eksD.manifestUrl).
    type: str
  vsphere_facts:
    description:
      - The vSphere preflight's resolved facts (M(eksa.anywhere.vsphere_validate)'s C(resolved)), as the cluster's
        manifests were rendered with; without them the spec's own values are used and a template can look changed.
    type: dict
  previous:
    description:
      - The Cluster API objects the cluster runs with (a directory of manifests, a file, or a list of objects).
      - When omitted, they are read from the cluster's state Secret C(<state_namespace>/<cluster>-eksa-anywhere-state)
        on the management cluster (O(kubeconfig)), where create and upgrade keep them (M(eksa.anywhere.cluster_state)),
        so that a job in a new folder plans exactly as the create's folder would; a cluster without that Secret (made
        by an earlier version) falls back to C(<output_dir>/<cluster>/generated), where create and upgrade write them.
    type: raw
  output_dir:
    description: The folder holding C(<cluster>/generated); defaults to the current folder.
    type: path
  state_namespace:
    description: The namespace of the cluster's state Secret on the management cluster.
    type: str
    default: eksa-anywhere
    version_added: 0.3.0
  fail_on_problems:
    description: Fail when a validation refuses the new spec (the problems are returned either way).
    type: bool
    default: true
  timeout:
    description: Seconds for reading the bundle and the running cluster.
    type: int
    default: 30
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
notes:
  - The vSphere credentials are not compared here (the upgrade checks them against the cluster's Secret).
seealso:
  - module: eksa.anywhere.capi_manifests
  - module: eksa.anywhere.cluster_spec
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Not supported.
  action:
    support: full
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Load the changed spec
  eksa.anywhere.cluster_spec:
    path: mgmt.yaml
  register: loaded

- name: What would upgrading mgmt do?
  eksa.anywhere.upgrade_plan:
    spec: "{{ loaded.spec }}"
    bundle: /opt/eksa/bundles.yaml
    kubeconfig: mgmt/mgmt-eks-a-cluster.kubeconfig
  register: plan

- name: Show the plan
  ansible.builtin.debug:
    msg: "{{ plan.lines }}"

- name: Offline, from two spec files and the generated manifests
  eksa.anywhere.upgrade_plan:
    spec: mgmt-new.yaml
    current: mgmt/mgmt-eks-a-cluster.yaml
    bundle: /opt/eksa/bundles.yaml
    previous: mgmt/generated
"""

RETURN = r"""
problems:
  description: What the validations refuse, each with C(rule), C(kind), C(name), C(field), C(previous), C(new), C(message),
    C(source) (the EKS Anywhere source of the rule) and C(text).
  returned: always
  type: list
  elements: dict
  sample: [{rule: endpoint, kind: Cluster, name: mgmt, field: spec.controlPlaneConfiguration.endpoint.host,
            previous: 10.0.0.10, new: 10.0.0.11, message: spec.controlPlaneConfiguration.endpoint.host is immutable,
            source: pkg/validations/upgradevalidations/immutable_fields.go}]
plan:
  description: The plan - C(changes), C(templates), C(control_plane), C(etcd), C(worker_groups), C(order), C(machines),
    C(upgrade_needed), C(scale_only) (see C(docs/day2.md)).
  returned: when no problem
  type: dict
lines:
  description: The plan as lines to show.
  returned: when no problem
  type: list
  elements: str
  sample: ["Cluster/mgmt: spec.kubernetesVersion: 1.30 -> 1.31", "control_plane: roll (replicas 2 -> 2; 2 replaced, 0 added, 0 removed)"]
upgrade_needed:
  description: Whether anything changes.
  returned: when no problem
  type: bool
scale_only:
  description: Whether the upgrade only adds or removes machines (no template renamed, no machine replaced).
  returned: when no problem
  type: bool
current_from:
  description: Where the running cluster's spec came from - C(current) or C(cluster).
  returned: always
  type: str
previous_from:
  description: Where the Cluster API objects the cluster runs with came from - C(previous), C(state) (the state Secret,
    named) or C(output_dir) (the C(generated) folder, named).
  returned: when no problem
  type: str
  sample: state eksa-anywhere/mgmt-eksa-anywhere-state
previous_objects:
  description:
    - The Cluster API objects the cluster runs with, without Secrets - what M(eksa.anywhere.capi_manifests) takes as
      C(previous) to name the new templates as this plan does.
  returned: when no problem
  type: list
  elements: dict
cluster_name:
  description: The cluster's name.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.capi.plan import ARGUMENT_SPEC


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg='eksa.anywhere.upgrade_plan runs on the controller through its action plugin; '
                         'call it as a task, not as a standalone module')


if __name__ == '__main__':
    main()
