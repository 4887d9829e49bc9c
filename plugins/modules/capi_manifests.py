#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: capi_manifests
short_description: Render an EKS Anywhere cluster spec into Cluster API manifests
version_added: 0.1.0
description:
  - Renders the normalized EKS Anywhere spec (M(eksa.anywhere.cluster_spec)) with one Kubernetes version's entry of a
    Bundles manifest into the Cluster API objects EKS Anywhere v0.26 writes, like C(eksctl anywhere create cluster)
    does before it applies them.
  - "vSphere: C(Cluster), C(VSphereCluster), C(VSphereMachineTemplate) (control plane, etcd, each worker group),
    C(KubeadmControlPlane) (kube-vip, audit policy, OIDC, proxy, registry mirror, NTP, kubelet configuration),
    C(EtcdadmCluster), per worker group C(KubeadmConfigTemplate) and C(MachineDeployment), C(MachineHealthCheck)s,
    C(VSphereFailureDomain)/C(VSphereDeploymentZone), the credentials C(Secret)s, the cloud provider's
    C(ClusterResourceSet) and C(ConfigMap). Docker: C(DockerCluster), C(DockerMachineTemplate) and the kubeadm objects."
  - API versions as EKS Anywhere v0.26 writes them - C(cluster.x-k8s.io/v1beta2), C(controlplane.cluster.x-k8s.io/v1beta2),
    C(bootstrap.cluster.x-k8s.io/v1beta2), C(addons.cluster.x-k8s.io/v1beta2), C(infrastructure.cluster.x-k8s.io/v1beta1),
    C(etcdcluster.cluster.x-k8s.io/v1beta1). Every object is in namespace C(eksa-system).
  - Writes C(<output_dir>/<cluster>/generated/<cluster>-capi-cluster.yaml), C(<cluster>-capi-workers.yaml) and
    C(<cluster>-capi-secrets.yaml) (directory mode 0700, files 0600), only when their content changes. The same inputs
    give byte-identical files.
  - Machine and bootstrap templates are immutable; they are named C(<cluster>-control-plane-<n>), C(<cluster>-etcd-<n>),
    C(<cluster>-<group>-<n>), and C(n) is bumped only when the template changes compared with O(previous).
  - Runs on the controller (action plugin); the templates are the collection's C(templates/capi/*.yaml.j2).
author: eksa.anywhere maintainers (@eksa-anywhere)
options:
  spec:
    description:
      - The normalized spec - the RV(eksa.anywhere.cluster_spec#module:spec) result of M(eksa.anywhere.cluster_spec)
        (or that module's whole result), a path to a spec file, YAML text, or the list of spec objects.
    type: raw
    required: true
  bundle:
    description:
      - The Bundles manifest (C(anywhere.eks.amazonaws.com/v1alpha1) C(Bundles)) - a path, a C(file://) or
        C(https://) URL, or the parsed mapping. The entry of the spec's C(kubernetesVersion) is used; a version not
        in the manifest is an error listing those it has.
      - The EKS Distro release manifest is read from the entry's C(eksD.manifestUrl) (C(embed:///...) names a file
        next to the Bundles manifest).
    type: raw
    required: true
  eksd_manifest:
    description:
      - Path or URL of the EKS Distro release manifest, instead of the bundle entry's C(eksD.manifestUrl).
    type: str
  vsphere_facts:
    description:
      - The resolved facts of the vSphere preflight (its C(resolved) result, or the whole result holding it).
      - Per machine config, under C(machine_configs.<name>) - C(template), C(datastore), C(folder),
        C(resource_pool), C(network) or C(networks), C(clone_mode), C(disk_gib), C(storage_policy), C(tag_ids);
        at the top - C(datacenter) (path), C(thumbprint). Values absent here come from the spec.
      - The spec's C(thumbprint) wins, as EKS Anywhere renders it, and C(insecure) pins none; the facts' C(thumbprint) only
        fills in when the spec has none and the certificate is not trusted by a CA (C(self_signed) not false).
    type: dict
  credentials:
    description:
      - The vSphere credentials written into the C(Secret)s (CAPV's C(identityRef) and the cloud provider's).
      - Fall back to E(EKSA_VSPHERE_USERNAME)/E(EKSA_VSPHERE_PASSWORD), then E(VMWARE_USER)/E(VMWARE_PASSWORD).
      - They appear only inside the C(Secret) objects of the secrets file, never in the result or the diff.
    type: dict
    suboptions:
      username:
        description: The vSphere user.
        type: str
      password:
        description: The vSphere password.
        type: str
      cp_username:
        description:
          - The user of the vSphere cloud provider in the cluster (its C(cloud-provider-vsphere-credentials) Secret), as
            E(EKSA_VSPHERE_CP_USERNAME) sets it for EKS Anywhere.
          - Falls back to E(EKSA_VSPHERE_CP_USERNAME), then to O(credentials.username).
        type: str
      cp_password:
        description:
          - The password of O(credentials.cp_username); falls back to E(EKSA_VSPHERE_CP_PASSWORD).
          - Required when a separate cloud provider user is given.
        type: str
  output_dir:
    description:
      - The directory holding C(<cluster>/generated/). Defaults to the current working directory.
    type: path
  previous:
    description:
      - The previous output, to keep or bump template names - a directory of manifests, a manifest file, or a
        list of objects.
      - Defaults to the existing C(<output_dir>/<cluster>/generated/) directory, so a re-run keeps the names and
        a changed template gets the next suffix.
    type: raw
  timeout:
    description: Seconds to wait when downloading the Bundles or EKS-D manifest.
    type: int
    default: 30
notes:
  - Check mode renders and reports what would change without writing. With C(--diff), the diff of each changed file
    is returned, with every C(Secret) value masked.
  - Fields the templates cannot express (an C(AWSIamConfig), C(etcdEncryption), an authenticated registry mirror,
    C(hostOSConfiguration.certBundles), a worker group on another Kubernetes version) fail naming the field;
    nothing is written on any error.
  - See C(docs/compatibility.md) for the differences from EKS Anywhere's own output.
seealso:
  - module: eksa.anywhere.cluster_spec
attributes:
  check_mode:
    support: full
    description: Renders without writing.
  diff_mode:
    support: full
    description: Shows the change of each generated file, secrets masked.
  action:
    support: full
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Load the spec
  eksa.anywhere.cluster_spec:
    path: mgmt.yaml
  register: loaded

- name: Render the Cluster API manifests
  eksa.anywhere.capi_manifests:
    spec: "{{ loaded.spec }}"
    bundle: /opt/eksa/bundles.yaml
    output_dir: "{{ playbook_dir }}"
    credentials:
      username: "{{ vsphere_username }}"
      password: "{{ vsphere_password }}"
  register: manifests

- name: With the vSphere preflight's resolved paths
  eksa.anywhere.capi_manifests:
    spec: "{{ loaded.spec }}"
    bundle: https://example.com/eks-anywhere/bundles.yaml
    vsphere_facts: "{{ preflight.resolved }}"

- name: Show what was written
  ansible.builtin.debug:
    msg: "{{ manifests.files }} ({{ manifests.kinds }})"
"""

RETURN = r"""
path:
  description: The directory the manifests are written to, C(<output_dir>/<cluster>/generated).
  returned: success
  type: str
  sample: /home/me/mgmt/generated
files:
  description: The manifest files (written, or that would be written in check mode), in apply order.
  returned: success
  type: list
  elements: str
  sample: [/home/me/mgmt/generated/mgmt-capi-cluster.yaml, /home/me/mgmt/generated/mgmt-capi-workers.yaml,
           /home/me/mgmt/generated/mgmt-capi-secrets.yaml]
changed_files:
  description: The files whose content changed (or would change in check mode).
  returned: success
  type: list
  elements: str
kinds:
  description: How many objects of each kind were rendered.
  returned: success
  type: dict
  sample: {Cluster: 1, KubeadmControlPlane: 1, MachineDeployment: 1, Secret: 4, VSphereMachineTemplate: 3}
objects:
  description: Each rendered object's apiVersion, kind, name and namespace (no content, no secret values).
  returned: success
  type: list
  elements: dict
  sample: [{apiVersion: cluster.x-k8s.io/v1beta2, kind: Cluster, name: mgmt, namespace: eksa-system}]
names:
  description: The template names in use - C(control_plane), C(etcd) (null with stacked etcd) and, per
    MachineDeployment, its C(machine_template), C(config_template) and C(replicas).
  returned: success
  type: dict
  sample: {control_plane: mgmt-control-plane-1, etcd: mgmt-etcd-1,
           machine_deployments: {mgmt-md-0: {machine_template: mgmt-md-0-1, config_template: mgmt-md-0-1, replicas: 3}}}
cluster_name:
  description: The cluster's name.
  returned: success
  type: str
  sample: mgmt
namespace:
  description: The namespace of every namespaced object.
  returned: success
  type: str
  sample: eksa-system
field:
  description: On failure, the spec, bundle or option field at fault.
  returned: failure
  type: str
  sample: spec.kubernetesVersion
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.capi.render import ARGUMENT_SPEC


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg='eksa.anywhere.capi_manifests runs on the controller through its action plugin; '
                         'call it as a task, not as a standalone module')


if __name__ == '__main__':
    main()
