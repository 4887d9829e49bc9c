#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cluster_state
short_description: Store a cluster's kubeconfig, spec and manifests durably, in a Secret on a cluster you name
version_added: 0.2.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Stores the new cluster's admin kubeconfig and its spec as created in the Secret
    C(<name>-eksa-anywhere-state) (namespace O(namespace), created when missing) on the cluster the C(k8s_auth)
    options name - the management cluster of a workload cluster, or the bootstrap cluster while one exists.
  - A job's working folder (an AWX job's private data directory) is thrown away when the job ends; the next job reads
    the Secret with M(eksa.anywhere.cluster_kubeconfig) to resume, to find there is nothing left to do, or to hand out
    the kubeconfig.
  - With O(manifests_path), also stores the Cluster API manifests the cluster runs with, without their Secrets (key
    C(manifests)), on the cluster that manages it (the cluster itself when self-managed, else its management cluster);
    M(eksa.anywhere.upgrade_plan) reads them there, so a day-2 job in a new folder needs no file of the create's.
  - With O(state=absent), removes the Secret (after the cluster is deleted).
  - Idempotent - changed only when the stored content differs. The content is never returned or logged.
options:
  name:
    description: The cluster's name.
    type: str
    required: true
  namespace:
    description: The namespace of the Secret.
    type: str
    default: eksa-anywhere
  kubeconfig_path:
    description: The cluster's admin kubeconfig file to store (key C(kubeconfig)).
    type: path
  spec_data:
    description: The cluster's spec as created, as YAML text (key C(spec)).
    type: str
  manifests_path:
    description:
      - The Cluster API manifests the cluster was created or last upgraded with (key C(manifests)) - the files
        M(eksa.anywhere.capi_manifests) wrote (its C(files) result), or a folder of them. Their Secrets are left out.
    type: list
    elements: path
    version_added: 0.3.0
  state:
    description: C(present) stores (merging with the keys already stored); C(absent) removes the Secret.
    type: str
    choices: [present, absent]
    default: present
    version_added: 0.3.0
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
attributes:
  check_mode:
    description: Reports whether the Secret would change.
    support: full
  diff_mode:
    description: Not supported (the content is a secret).
    support: none
seealso:
  - module: eksa.anywhere.cluster_kubeconfig
"""

EXAMPLES = r"""
- name: Store the kubeconfig and the spec on the management cluster
  eksa.anywhere.cluster_state:
    kubeconfig: mgmt/mgmt-eks-a-cluster.kubeconfig
    name: w01
    kubeconfig_path: w01/w01-eks-a-cluster.kubeconfig
    spec_data: "{{ lookup('ansible.builtin.file', 'w01/w01-eks-a-cluster.yaml') }}"

- name: Keep the Cluster API manifests with the cluster that manages it
  eksa.anywhere.cluster_state:
    kubeconfig: mgmt/mgmt-eks-a-cluster.kubeconfig
    name: w01
    manifests_path: "{{ rendered.files }}"

- name: Remove the state of a deleted cluster
  eksa.anywhere.cluster_state:
    kubeconfig: mgmt/mgmt-eks-a-cluster.kubeconfig
    name: w01
    state: absent
"""

RETURN = r"""
secret:
  description: Where the state is, C(<namespace>/<name>).
  returned: always
  type: str
  sample: eksa-anywhere/w01-eksa-anywhere-state
stored_keys:
  description: The keys stored (empty after O(state=absent)).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.capi.render import RenderError, load_objects, stored_manifests
from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import FileError, cluster_folder, cluster_root, read_file
from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import k8s_from_module
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import state

# a Secret holds at most 1 MiB: a larger kubeconfig could not be stored anyway
MAX_KUBECONFIG_BYTES = 1024 * 1024


def main():
    module = AnsibleModule(
        argument_spec=k8s_argument_spec(
            name=dict(type='str', required=True),
            namespace=dict(type='str', default=state.DEFAULT_NAMESPACE),
            kubeconfig_path=dict(type='path'),
            spec_data=dict(type='str', no_log=True),
            manifests_path=dict(type='list', elements='path'),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
        ),
        required_if=[('state', 'present', ('kubeconfig_path', 'spec_data', 'manifests_path'), True)],
        supports_check_mode=True,
    )
    p = module.params
    data = {}
    if p['kubeconfig_path']:
        path = p['kubeconfig_path']
        # a regular file only (a FIFO never blocks), bounded (common/files.py); in a cluster's folder
        # (<root>/<name>/<name>-eks-a-cluster.kubeconfig, which the collection writes) no link is followed
        root = cluster_root(path) if cluster_folder(path) else None
        try:
            data['kubeconfig'] = read_file(path, limit=MAX_KUBECONFIG_BYTES, root=root)
        except FileError as exc:
            module.fail_json(msg='cannot read the kubeconfig to store: %s' % exc.message, path=exc.path)
    if p['spec_data']:
        data['spec'] = p['spec_data'].encode('utf-8')
    if p['manifests_path']:
        try:
            objects = [o for path in p['manifests_path'] for o in load_objects(path)]
            data['manifests'] = stored_manifests(objects).encode('utf-8')
        except RenderError as exc:
            module.fail_json(msg='cannot store the manifests of %s: %s' % (p['manifests_path'], exc.message))
    where = '%s/%s' % (p['namespace'], state.secret_name(p['name']))
    changed, merged = False, data
    conn, client = k8s_from_module(module, what='cluster holding the state (the management or bootstrap cluster)')
    try:
        try:
            current = client.get('v1', 'Secret', state.secret_name(p['name']), p['namespace'])
            if p['state'] == 'absent':
                if current is not None and not module.check_mode:
                    client.delete('v1', 'Secret', state.secret_name(p['name']), p['namespace'])
                module.exit_json(changed=current is not None, secret=where, stored_keys=[])
            stored = state.decode(current)
            merged = dict(stored, **data)
            changed = merged != stored or current is None
            if changed and not module.check_mode:
                if client.get('v1', 'Namespace', p['namespace']) is None:
                    client.apply({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': p['namespace']}})
                client.apply(state.secret(p['name'], p['namespace'], merged))
        except K8sError as exc:
            module.fail_json(msg='cannot %s the state of cluster %s in Secret %s: %s (the cluster holding it must be '
                             'reachable; check its kubeconfig or K8S_AUTH_* credential)'
                             % ('store' if p['state'] == 'present' else 'remove', p['name'], where, exc))
    finally:
        conn.close()
    module.exit_json(changed=changed, secret=where, stored_keys=sorted(merged))


if __name__ == '__main__':
    main()
