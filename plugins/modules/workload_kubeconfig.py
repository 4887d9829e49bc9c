#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: workload_kubeconfig
short_description: Write a Cluster API cluster's admin kubeconfig to a file (mode 0600)
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Reads the Secret C(<name>-kubeconfig) that Cluster API writes for a cluster and writes its kubeconfig to O(dest)
    with mode 0600, as EKS Anywhere writes C(<name>/<name>-eks-a-cluster.kubeconfig).
  - Idempotent; the kubeconfig's content is never returned or logged.
options:
  name:
    description: The cluster's name.
    type: str
    required: true
  namespace:
    description: The namespace of the cluster's Secret.
    type: str
    default: eksa-system
  dest:
    description: The file to write.
    type: path
    required: true
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
attributes:
  check_mode:
    description: Reports whether the file would change.
    support: full
  diff_mode:
    description: Not supported (the content is a secret).
    support: none
"""

EXAMPLES = r"""
- name: Write the workload cluster's kubeconfig
  eksa.anywhere.workload_kubeconfig:
    kubeconfig: mgmt/generated/mgmt.kind.kubeconfig
    name: mgmt
    dest: mgmt/mgmt-eks-a-cluster.kubeconfig
"""

RETURN = r"""
dest:
  description: The file written.
  returned: always
  type: str
server:
  description: The API server URL in the kubeconfig.
  returned: always
  type: str
"""

import base64

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import k8s_from_module
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec
from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import (
    FileError, cluster_root, file_mode, lock_for, read_file, write_private,
)
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError

try:
    import yaml
except ImportError:  # pragma: no cover - k8s_from_module reports it
    yaml = None


def main():
    module = AnsibleModule(
        argument_spec=k8s_argument_spec(
            name=dict(type="str", required=True),
            namespace=dict(type="str", default="eksa-system"),
            dest=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    conn, client = k8s_from_module(module, what="management cluster")
    try:
        secret_name = "%s-kubeconfig" % p["name"]
        try:
            secret = client.get("v1", "Secret", secret_name, p["namespace"])
        except K8sError as exc:
            module.fail_json(msg="cannot read Secret %s/%s: %s" % (p["namespace"], secret_name, exc))
        if not secret or "value" not in (secret.get("data") or {}):
            module.fail_json(msg="Secret %s/%s with the cluster's kubeconfig does not exist yet: wait for the control plane first"
                             % (p["namespace"], secret_name))
        content = base64.b64decode(secret["data"]["value"])
        try:
            server = yaml.safe_load(content)["clusters"][0]["cluster"]["server"]
        except (yaml.YAMLError, KeyError, IndexError, TypeError):
            module.fail_json(msg="Secret %s/%s does not hold a kubeconfig" % (p["namespace"], secret_name))
        dest = p["dest"]
        changed = True
        # <output_dir>/<cluster>/<file>: no link followed below <output_dir>; folders 0700, the kubeconfig 0600.
        # Elsewhere (e.g. /tmp/x.kubeconfig) the file's own folder is the trusted root: its mode is left alone.
        root = cluster_root(dest)
        try:
            # one run at a time writes a cluster's folder (common/files.py cluster_lock), as capi_manifests does
            with lock_for(dest, what="eksa.anywhere.workload_kubeconfig", check_mode=module.check_mode):
                old = read_file(dest, limit=16 * 1024 * 1024, root=root, missing_ok=True)
                changed = old != content or file_mode(dest) != 0o600
                if changed and not module.check_mode:
                    write_private(dest, content, root=root)
        except FileError as exc:
            module.fail_json(msg="cannot write the kubeconfig: %s" % exc.message, dest=dest)
        module.exit_json(changed=changed, dest=dest, server=server)
    finally:
        conn.close()


if __name__ == "__main__":
    main()
