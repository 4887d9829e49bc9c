#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: capi_diagnostics
short_description: Collect a Cluster API cluster's objects, conditions, events and provider status into a folder
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Writes, into C(<dest>/diagnostics-<time>/) (mode 0700, files 0600), the cluster's Cluster API objects with their conditions,
    the events of their namespace, the status of the provider Deployments, the last lines of the provider pods' logs where the
    API server can reach them (C(provider-logs.txt)), and a C(summary.txt) of what is not ready.
  - Secrets are listed by name only; their data is never written.
  - Used by the create workflow when a phase fails; useful on its own when a cluster is stuck.
options:
  name:
    description: The cluster's name.
    type: str
    required: true
  namespace:
    description: The namespace of the Cluster API objects.
    type: str
    default: eksa-system
  dest:
    description: The folder under which C(diagnostics-<time>/) is created.
    type: path
    required: true
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
attributes:
  check_mode:
    description: Collects nothing, reports where it would write.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: Collect diagnostics
  eksa.anywhere.capi_diagnostics:
    kubeconfig: mgmt/generated/mgmt.kind.kubeconfig
    name: mgmt
    dest: mgmt/generated
"""

RETURN = r"""
path:
  description: The diagnostics folder.
  returned: always
  type: str
summary:
  description: One line per object that is not ready, with its condition message, and per provider Deployment not fully available.
  returned: always
  type: list
  elements: str
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import k8s_from_module
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec
from ansible_collections.eksa.anywhere.plugins.module_utils.capi.diagnostics import collect
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError


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
    folder = os.path.join(p["dest"], "diagnostics-%s" % time.strftime("%Y%m%dT%H%M%S"))
    if module.check_mode:
        module.exit_json(changed=False, path=folder, summary=[])
    conn, client = k8s_from_module(module, what="management cluster")
    try:
        os.makedirs(folder, 0o700)
        summary = collect(client, p["name"], p["namespace"], folder)
    except (K8sError, OSError) as exc:
        module.fail_json(msg="cannot collect diagnostics: %s" % exc, path=folder)
    finally:
        conn.close()
    module.exit_json(changed=True, path=folder, summary=summary)


if __name__ == "__main__":
    main()
