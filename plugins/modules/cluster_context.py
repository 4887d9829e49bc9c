#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: cluster_context
short_description: Resolve a cluster's context once - spec, bundle release, vSphere credentials and file layout
version_added: 0.2.0
description:
  - The first phase of the create workflow (playbook C(eksa.anywhere.create_cluster)) - everything
    the later phases need that comes from a file, a URL or the environment, resolved once and returned, so no later role
    or module reads the bundle or the environment again, or works out a path of its own.
  - "The normalized spec: read, defaulted and validated as M(eksa.anywhere.cluster_spec) does (or taken as given when
    already normalized)."
  - "The release: the Bundles manifest is read once (a path, a C(file://) or C(https://) URL, with O(bundle_ca_path)
    for a private CA); for the cluster's Kubernetes version and each other version a worker node group runs, the
    C(versionsBundle) with every manifest reference made absolute (relative references and C(embed:///) names resolved
    against the manifest's folder or URL; remote manifests downloaded once into C(<output_dir>/<name>/generated/bundle/),
    0600) and the release values the Cluster API templates need (the EKS Distro release manifest read once)."
  - "The vSphere credentials: each from its option, else EKS Anywhere's E(EKSA_VSPHERE_USERNAME),
    E(EKSA_VSPHERE_PASSWORD), E(EKSA_VSPHERE_CP_USERNAME), E(EKSA_VSPHERE_CP_PASSWORD), else AWX's E(VMWARE_USER),
    E(VMWARE_PASSWORD) (the vCenter itself: the spec's C(server), else E(VMWARE_HOST))."
  - "The file layout: every path of the cluster under C(<output_dir>/<name>/), from one function."
  - Runs on the controller (action plugin). The result carries the vSphere passwords, so it is never displayed (as
    with C(no_log)) when they are set; errors are shown.
author: eksa.anywhere maintainers (@eksa-anywhere)
options:
  spec:
    description:
      - The cluster spec - a path to the spec file, YAML text, its objects, or the normalized spec
        (RV(eksa.anywhere.cluster_spec#module:spec)).
    type: raw
    required: true
  bundle:
    description:
      - The Bundles manifest (C(anywhere.eks.amazonaws.com/v1alpha1) C(Bundles)) - a path, a C(file://) URL or an
        C(http(s)://) URL. A Kubernetes version not in it is an error listing those it has.
    type: str
    required: true
  bundle_ca_path:
    description: A PEM CA bundle to trust when downloading the Bundles manifest and what it references over HTTPS.
    type: path
  bundle_validate_certs:
    description: Verify the certificate of an HTTPS bundle server. Turning it off is for test set-ups only.
    type: bool
    default: true
  output_dir:
    description: The folder holding C(<name>/); defaults to the current working directory.
    type: path
  bootstrap_kubeconfig:
    description:
      - The kubeconfig of an existing cluster to use as the bootstrap cluster; RV(paths.bootstrap_kubeconfig) is the
        kind cluster's (C(<output_dir>/<name>/generated/<name>.kind.kubeconfig)) without it.
    type: path
  vsphere_username:
    description: The vSphere user; falls back to E(EKSA_VSPHERE_USERNAME), then E(VMWARE_USER).
    type: str
  vsphere_password:
    description: The vSphere password; falls back to E(EKSA_VSPHERE_PASSWORD), then E(VMWARE_PASSWORD).
    type: str
  vsphere_cp_username:
    description: The vSphere cloud provider's own user; falls back to E(EKSA_VSPHERE_CP_USERNAME) (none - the main user).
    type: str
  vsphere_cp_password:
    description: Its password; falls back to E(EKSA_VSPHERE_CP_PASSWORD). Required when that user differs from the main one.
    type: str
  timeout:
    description: Seconds to wait for each download.
    type: int
    default: 30
attributes:
  check_mode:
    support: full
    description: Resolves the same; downloads no component manifest (their URLs are returned).
  diff_mode:
    support: none
    description: Nothing to show.
  action:
    support: full
    description: Runs on the controller.
seealso:
  - module: eksa.anywhere.cluster_spec
  - module: eksa.anywhere.bundle_info
"""

EXAMPLES = r"""
- name: Resolve the cluster context
  eksa.anywhere.cluster_context:
    spec: ./mgmt.yaml
    bundle: https://bundles.example.com/eks-anywhere/bundles.yaml
    bundle_ca_path: /etc/pki/internal-ca.pem
    output_dir: "{{ playbook_dir }}"
  register: ctx

- name: Use it
  ansible.builtin.debug:
    msg: "{{ ctx.cluster_name }} on Kubernetes {{ ctx.kubernetes_version }}, kubeconfig {{ ctx.paths.kubeconfig }}"
"""

RETURN = r"""
spec:
  description: The normalized spec (as RV(eksa.anywhere.cluster_spec#module:spec)).
  returned: success
  type: dict
cluster_name:
  description: The cluster's name.
  returned: success
  type: str
provider:
  description: The provider, C(vsphere) or C(docker).
  returned: success
  type: str
kubernetes_version:
  description: The cluster's Kubernetes version.
  returned: success
  type: str
external_etcd:
  description: Whether etcd is external (unstacked).
  returned: success
  type: bool
paths:
  description: The file layout of the cluster.
  returned: success
  type: dict
  contains:
    dir:
      description: C(<output_dir>/<name>).
      type: str
    generated:
      description: C(<output_dir>/<name>/generated) - manifests, the kind kubeconfig, the clusterctl repository, diagnostics.
      type: str
    kubeconfig:
      description: The new cluster's kubeconfig, C(<name>-eks-a-cluster.kubeconfig).
      type: str
    spec_file:
      description: The defaulted spec written at the end, C(<name>-eks-a-cluster.yaml).
      type: str
    kind_kubeconfig:
      description: The kind bootstrap cluster's kubeconfig.
      type: str
    bootstrap_kubeconfig:
      description: The bootstrap cluster's kubeconfig (O(bootstrap_kubeconfig) or the kind one).
      type: str
    clusterctl_repository:
      description: The local clusterctl provider repository.
      type: str
    bundle_cache:
      description: Where remote manifests are downloaded.
      type: str
  sample: {dir: /home/me/mgmt, kubeconfig: /home/me/mgmt/mgmt-eks-a-cluster.kubeconfig}
versions_bundle:
  description: The cluster's versionsBundle, its manifest references absolute paths (or URLs in check mode).
  returned: success
  type: dict
release:
  description: The release values of the cluster's version (images, versions, etcd URL) - what M(eksa.anywhere.capi_manifests) takes as O(eksa.anywhere.capi_manifests#module:bundle).
  returned: success
  type: dict
versions_bundles:
  description: Per Kubernetes version (the cluster's and its worker groups'), the versionsBundle.
  returned: success
  type: dict
releases:
  description: Per Kubernetes version, the release values.
  returned: success
  type: dict
eksd_releases:
  description: The EKS-D release name of every Kubernetes version of the manifest (for the template tag checks).
  returned: success
  type: dict
kube_versions:
  description: The Kubernetes versions the manifest offers.
  returned: success
  type: list
  elements: str
downloaded:
  description: The URLs that were downloaded (each once).
  returned: success
  type: list
  elements: str
vsphere:
  description: The vSphere credentials and vCenter (vSphere clusters); C(source) names where the user came from.
  returned: success
  type: dict
field:
  description: On a bundle error, the field at fault.
  returned: failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        spec=dict(type='raw', required=True), bundle=dict(type='str', required=True), bundle_ca_path=dict(type='path'),
        bundle_validate_certs=dict(type='bool', default=True), output_dir=dict(type='path'),
        bootstrap_kubeconfig=dict(type='path'), vsphere_username=dict(type='str'),
        vsphere_password=dict(type='str', no_log=True), vsphere_cp_username=dict(type='str'),
        vsphere_cp_password=dict(type='str', no_log=True), timeout=dict(type='int', default=30),
    ), supports_check_mode=True)
    module.fail_json(msg='eksa.anywhere.cluster_context runs on the controller through its action plugin; '
                         'call it as a task, not as a standalone module')


if __name__ == '__main__':
    main()
