#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cluster_spec
short_description: Read, default and validate an EKS Anywhere cluster spec
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Reads a multi-document EKS Anywhere cluster spec (C(anywhere.eks.amazonaws.com/v1alpha1) objects C(Cluster),
    C(VSphereDatacenterConfig), C(VSphereMachineConfig), C(DockerDatacenterConfig), C(GitOpsConfig), C(FluxConfig),
    C(OIDCConfig), C(AWSIamConfig)), the same file C(eksctl anywhere create cluster -f) reads.
  - Parses it strictly against the EKS Anywhere v0.26 CRD schemas (unknown fields and wrong types are refused, naming
    the field and suggesting a close valid name), applies EKS Anywhere's defaults and runs its validations.
  - Returns the normalized spec the other modules and roles of the collection build on.
  - Every problem is reported at once, each naming the file, the object (C(Kind/name)) and the field path.
  - Changes nothing, on the controller or elsewhere.
  - When the proxy URLs of C(spec.proxyConfiguration) hold credentials (C(http://user:password@proxy:3128)), the whole
    result is hidden from the output (as with C(no_log)); the registered value keeps the spec as written for the phases
    that follow. The credentials of a refused inline spec are masked in its errors.
options:
  path:
    description:
      - Path of the cluster spec file (multi-document YAML) on the host the module runs on.
      - Mutually exclusive with O(data).
    type: path
  data:
    description:
      - The cluster spec given inline, either as YAML text or as already-parsed objects (a list of mappings, or one mapping).
      - Mutually exclusive with O(path).
    type: raw
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module never changes anything; it runs the same in check mode.
  diff_mode:
    support: none
  action:
    support: full
    description: An action plugin runs the module and hides its result when the spec's proxy URLs hold credentials.
  platform:
    platforms: posix
notes:
  - Defaults applied as EKS Anywhere does; the first worker node group is named C(md-0), the legacy C(clusterNetwork.cni)
    becomes C(clusterNetwork.cniConfig), a relative vSphere network becomes C(/<datacenter>/network/<name>),
    C(insecure=true) clears the thumbprint, registry mirror port C(443), every object goes in the Cluster's namespace
    (C(default) when unset), machine configs get C(memoryMiB=8192) (at least 2048, at least 8192 for etcd), C(numCPUs=2),
    C(diskGiB=25), C(osFamily=bottlerocket) and user C(ec2-user) (Bottlerocket) or C(capv).
  - Credentials are never part of the spec. EKS Anywhere reads them from environment variables, which the modules of
    this collection that talk to vSphere or AWS accept too (see C(docs/credentials.md)).
    E(EKSA_VSPHERE_USERNAME) and E(EKSA_VSPHERE_PASSWORD) are the vCenter credentials;
    E(EKSA_VSPHERE_CP_USERNAME) and E(EKSA_VSPHERE_CP_PASSWORD) optional separate ones for the vSphere cloud provider
    (default the former); E(EKSA_AWS_ACCESS_KEY_ID), E(EKSA_AWS_SECRET_ACCESS_KEY), E(EKSA_AWS_SESSION_TOKEN) and
    E(EKSA_AWS_REGION) the AWS credentials for curated packages; E(EKSA_REGISTRY_MIRROR_CA) the CA bundle of a registry
    mirror and E(REGISTRY_USERNAME) and E(REGISTRY_PASSWORD) its credentials when C(authenticate=true);
    E(EKSA_GITHUB_TOKEN) the GitHub token for GitOps with Flux and GitHub; E(EKSA_GIT_PRIVATE_KEY),
    E(EKSA_GIT_SSH_KEY_PASSPHRASE) and E(EKSA_GIT_KNOWN_HOSTS) the SSH key, its passphrase and known hosts for a
    generic Git repository; E(EKSA_LICENSE) the license token.
  - Requires the PyYAML Python library on the host that runs the module.
requirements:
  - PyYAML
seealso:
  - module: eksa.anywhere.generate_clusterconfig
  - name: EKS Anywhere vSphere cluster spec reference
    description: The fields of the vSphere cluster spec.
    link: https://anywhere.eks.amazonaws.com/docs/getting-started/vsphere/vsphere-spec/
"""

EXAMPLES = r"""
- name: Read and validate a cluster spec
  eksa.anywhere.cluster_spec:
    path: ./mgmt.yaml
  register: mgmt

- name: Use the normalized spec
  ansible.builtin.debug:
    msg: >-
      {{ mgmt.cluster_name }} runs Kubernetes {{ mgmt.kubernetes_version }} on {{ mgmt.provider }},
      control plane machines {{ mgmt.spec.control_plane_machine_config }}

- name: Validate a spec given inline
  eksa.anywhere.cluster_spec:
    data: "{{ lookup('ansible.builtin.file', 'dev.yaml') }}"
"""

RETURN = r"""
spec:
  description:
    - The normalized spec, with EKS Anywhere's defaults applied inside the objects.
  returned: success
  type: dict
  contains:
    source:
      description: The file the spec was read from, or C(inline).
      type: str
      sample: ./mgmt.yaml
    provider:
      description: The infrastructure provider, from the Cluster's C(datacenterRef).
      type: str
      sample: vsphere
    cluster:
      description: The Cluster object.
      type: dict
    datacenter:
      description: The VSphereDatacenterConfig or DockerDatacenterConfig the Cluster references.
      type: dict
    machine_configs:
      description: The VSphereMachineConfig objects by name (empty for docker).
      type: dict
    control_plane_machine_config:
      description: Name of the control plane machines' VSphereMachineConfig (null for docker).
      type: str
    etcd_machine_config:
      description: Name of the external etcd machines' VSphereMachineConfig, null with stacked etcd or docker.
      type: str
    worker_machine_configs:
      description: The VSphereMachineConfig name of each worker node group, by group name.
      type: dict
      sample: {md-0: mgmt}
    gitops:
      description: The GitOpsConfig or FluxConfig the Cluster references, or null.
      type: dict
    oidc:
      description: The OIDCConfig the Cluster references, or null.
      type: dict
    awsiam:
      description: The AWSIamConfig the Cluster references, or null.
      type: dict
    objects:
      description: Every object of the spec, in file order, defaulted.
      type: list
      elements: dict
cluster_name:
  description: The name of the Cluster.
  returned: success
  type: str
  sample: mgmt
provider:
  description: The infrastructure provider.
  returned: success
  type: str
  sample: vsphere
kubernetes_version:
  description: The Kubernetes version of the Cluster, as written (C(1.30), never C(1.3)).
  returned: success
  type: str
  sample: "1.30"
warnings:
  description: The warnings about the spec, emitted as task warnings, each naming the file, object and field.
  returned: when the spec has warnings
  type: list
  elements: str
errors:
  description: Every problem of an invalid spec.
  returned: failure
  type: list
  elements: dict
  contains:
    file:
      description: The spec file, or C(inline).
      type: str
    kind:
      description: The kind of the object at fault, when known.
      type: str
    name:
      description: The name of the object at fault, when known.
      type: str
    path:
      description: The field path in the object (for example C(spec.clusterNetwork.node)).
      type: str
    message:
      description: What is wrong and what would be valid.
      type: str
"""

import json
import re

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import HAS_YAML, SpecError, load_spec

# the user information of a URL (``user:password@``) in the inline spec, whatever its form (text or objects)
_USERINFO = re.compile(r'://([^/?#@\s"\']+)@')


def _inline_userinfo(data):
    """The ``user:password`` (and the password) of every URL of the inline spec: masked if the spec is refused."""
    if data is None:
        return []
    text = data if isinstance(data, str) else json.dumps(data, default=str)
    found = set()
    for userinfo in _USERINFO.findall(text):
        found.add(userinfo)
        if ':' in userinfo and userinfo.split(':', 1)[1]:
            found.add(userinfo.split(':', 1)[1])
    return sorted(found, key=lambda item: -len(item))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path'),
            data=dict(type='raw'),
        ),
        mutually_exclusive=[('path', 'data')],
        required_one_of=[('path', 'data')],
        supports_check_mode=True,
    )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib('PyYAML'))

    warnings = []
    try:
        spec = load_spec(path=module.params['path'], data=module.params['data'], warnings=warnings)
    except SpecError as exc:
        # the invocation (the inline spec) and the messages of a refused spec never show a proxy's credentials
        module.no_log_values.update(_inline_userinfo(module.params['data']))
        for warning in exc.warnings:
            module.warn(str(warning))
        module.fail_json(msg=str(exc), errors=[e.to_dict() for e in exc.errors])

    for warning in warnings:
        module.warn(str(warning))
    cluster = spec['cluster']
    module.exit_json(
        changed=False,
        spec=spec,
        cluster_name=cluster['metadata']['name'],
        provider=spec['provider'],
        kubernetes_version=cluster['spec'].get('kubernetesVersion'),
    )


if __name__ == '__main__':
    main()
