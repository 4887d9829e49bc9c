#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: cluster_kubeconfig
short_description: Fetch a cluster's kubeconfig (and spec) from its durable state
version_added: 0.2.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Reads the Secret C(<name>-eksa-anywhere-state) that M(eksa.anywhere.cluster_state) stores (on the management
    cluster, or the cluster you gave as the state's location) and writes the cluster's admin kubeconfig to O(dest),
    mode 0600 in a folder 0700, and, with O(spec_dest), its spec as created.
  - What a later job (an AWX job in a new private data directory) uses to reach a cluster an earlier job created.
  - Idempotent; the content is never returned or logged.
options:
  name:
    description: The cluster's name.
    type: str
    required: true
  namespace:
    description: The namespace of the Secret.
    type: str
    default: eksa-anywhere
  dest:
    description: The kubeconfig file to write.
    type: path
    required: true
  spec_dest:
    description: Also write the spec as created to this file (mode 0600).
    type: path
  missing_ok:
    description: Return RV(found=false) instead of failing when there is no stored state yet.
    type: bool
    default: false
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
attributes:
  check_mode:
    description: Reports whether the files would change.
    support: full
  diff_mode:
    description: Not supported (the content is a secret).
    support: none
seealso:
  - module: eksa.anywhere.cluster_state
"""

EXAMPLES = r"""
- name: Fetch the kubeconfig of workload cluster w01 from its management cluster
  eksa.anywhere.cluster_kubeconfig:
    kubeconfig: mgmt/mgmt-eks-a-cluster.kubeconfig
    name: w01
    dest: w01/w01-eks-a-cluster.kubeconfig
"""

RETURN = r"""
found:
  description: Whether the state exists.
  returned: always
  type: bool
dest:
  description: The kubeconfig file written.
  returned: when found
  type: str
server:
  description: The API server URL of the cluster.
  returned: when found
  type: str
secret:
  description: Where the state is, C(<namespace>/<name>).
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import (
    FileError, cluster_root, file_mode, lock_for, read_file, write_private,
)
from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import k8s_from_module
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import state

try:
    import yaml
except ImportError:  # pragma: no cover - PyYAML is a requirement
    yaml = None


MAX_EXISTING_BYTES = 16 * 1024 * 1024


def _write(module, path, content):
    """changed; writes ``content`` to ``path`` (0600, folder 0700) unless it is already there.

    Through common/files.py: in a cluster's folder (``<root>/<name>/<name>-eks-a-cluster.kubeconfig``) no link is
    followed below ``<root>``, elsewhere none at the file's own name; the file in place is read bounded, never through
    a link.  FileError names the file.
    """
    path = os.path.abspath(path)
    root = cluster_root(path)
    current = read_file(path, limit=MAX_EXISTING_BYTES, root=root, missing_ok=True)
    if current == content and file_mode(path) == 0o600:
        return False
    if not module.check_mode:
        write_private(path, content, root=root)
    return True


def main():
    module = AnsibleModule(
        argument_spec=k8s_argument_spec(
            name=dict(type='str', required=True),
            namespace=dict(type='str', default=state.DEFAULT_NAMESPACE),
            dest=dict(type='path', required=True),
            spec_dest=dict(type='path'),
            missing_ok=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    where = '%s/%s' % (p['namespace'], state.secret_name(p['name']))
    stored = {}
    conn, client = k8s_from_module(module, what='cluster holding the state (the management or bootstrap cluster)')
    try:
        try:
            stored = state.decode(client.get('v1', 'Secret', state.secret_name(p['name']), p['namespace']))
        except K8sError as exc:
            module.fail_json(msg='cannot read the state of cluster %s, Secret %s: %s' % (p['name'], where, exc))
    finally:
        conn.close()
    if 'kubeconfig' not in stored:
        if p['missing_ok']:
            module.exit_json(changed=False, found=False, secret=where)
        module.fail_json(msg='no stored kubeconfig for cluster %s (Secret %s with key kubeconfig): create the cluster '
                         'first, or name the cluster holding its state' % (p['name'], where), found=False, secret=where)
    server = ''
    try:
        server = yaml.safe_load(stored['kubeconfig'])['clusters'][0]['cluster']['server']
    except Exception:  # pylint: disable=broad-except
        module.fail_json(msg='Secret %s key kubeconfig does not hold a kubeconfig' % where, found=True, secret=where)
    try:
        # one run at a time writes a cluster's folder (common/files.py cluster_lock), as capi_manifests does
        with lock_for(p['dest'], what='eksa.anywhere.cluster_kubeconfig', check_mode=module.check_mode):
            changed = _write(module, p['dest'], stored['kubeconfig'])
        if p['spec_dest'] and 'spec' in stored:
            with lock_for(p['spec_dest'], what='eksa.anywhere.cluster_kubeconfig', check_mode=module.check_mode):
                changed = _write(module, p['spec_dest'], stored['spec']) or changed
    except FileError as exc:
        module.fail_json(msg='cannot write the files of cluster %s: %s' % (p['name'], exc.message), path=exc.path,
                         found=True, secret=where)
    module.exit_json(changed=changed, found=True, dest=p['dest'], server=server, secret=where)


if __name__ == '__main__':
    main()
