#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: in_cluster_kubeconfig
short_description: A kubeconfig file for the cluster the job runs in, from the pod's service account
version_added: 0.2.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - For a job running in a pod (an AWX container group), writes a self-contained kubeconfig for the pod's own cluster,
    as the Kubernetes client's in-cluster configuration sees it - the server from E(KUBERNETES_SERVICE_HOST) and
    E(KUBERNETES_SERVICE_PORT), the service account's CA and token from
    C(/var/run/secrets/kubernetes.io/serviceaccount/) - so that the tools needing a kubeconfig file (clusterctl) can use
    that cluster as the bootstrap cluster.
  - The file is written with mode 0600 (its folder 0700, no link followed below the cluster's folder). Idempotent - rewritten only when
    its content would change (the kubelet rotates the token file).
options:
  dest:
    description: Where to write the kubeconfig (the create writes C(<output_dir>/<name>/generated/<name>.bootstrap.kubeconfig)).
    type: path
    required: true
  name:
    description: The name of the kubeconfig's cluster, user and context entries.
    type: str
    default: in-cluster
  token_file:
    description: The service account token file.
    type: path
    default: /var/run/secrets/kubernetes.io/serviceaccount/token
  ca_file:
    description: The service account's CA bundle.
    type: path
    default: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
attributes:
  check_mode:
    description: Reports whether the file would change, writes nothing.
    support: full
  diff_mode:
    description: Not supported.
    support: none
notes:
  - The token is never returned nor logged; the file holds it, readable by its owner only.
"""

EXAMPLES = r"""
- name: A kubeconfig for the job pod's cluster (AWX container group)
  eksa.anywhere.in_cluster_kubeconfig:
    dest: mgmt/generated/mgmt.bootstrap.kubeconfig
"""

RETURN = r"""
dest:
  description: The kubeconfig written.
  returned: always
  type: str
server:
  description: The API server the kubeconfig names.
  returned: success
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import (
    FileError, cluster_root, file_mode, lock_for, read_file, write_private,
)
from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import require_libs
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client

try:
    import yaml
except ImportError:  # pragma: no cover - require_libs reports it
    yaml = None

MAX_EXISTING_BYTES = 1024 * 1024


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            name=dict(type="str", default="in-cluster"),
            token_file=dict(type="path", default=k8s_client.SERVICE_TOKEN_FILE),
            ca_file=dict(type="path", default=k8s_client.SERVICE_CA_FILE),
        ),
        supports_check_mode=True,
    )
    require_libs(module)
    p = module.params
    dest = os.path.abspath(p["dest"])
    result = dict(changed=False, dest=dest)
    try:
        config = k8s_client.in_cluster_kubeconfig(p["name"], p["token_file"], p["ca_file"])
    except k8s_client.K8sError as exc:
        module.fail_json(msg="bootstrap_in_cluster: this job does not run in a pod with a service account (%s); give"
                         " bootstrap_kubeconfig instead" % exc, **result)
    token = (config["users"][0]["user"] or {}).get("token")
    if token:
        module.no_log_values.add(token)
    result["server"] = config["clusters"][0]["cluster"]["server"]
    content = yaml.safe_dump(config, default_flow_style=False).encode("utf-8")
    root = cluster_root(dest)
    try:
        with lock_for(dest, what="eksa.anywhere.in_cluster_kubeconfig", check_mode=module.check_mode):
            current = read_file(dest, limit=MAX_EXISTING_BYTES, root=root, missing_ok=True)
            if current != content or file_mode(dest) != 0o600:
                result["changed"] = True
                if not module.check_mode:
                    write_private(dest, content, root=root)
    except FileError as exc:
        module.fail_json(msg="cannot write the in-cluster kubeconfig: %s" % exc.message, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
