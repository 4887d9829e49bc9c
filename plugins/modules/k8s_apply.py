#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: k8s_apply
short_description: Server-side apply of Kubernetes manifests, idempotently and in dependency order
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Applies the objects of manifest files or inline definitions with server-side apply (field manager C(eksa-anywhere)).
  - Namespaces and CustomResourceDefinitions go first; the objects that follow wait for new CRDs to be Established.
  - Reports C(changed) only when the server's copy of an object changed.
options:
  src:
    description: Manifest files (multi-document YAML).
    type: list
    elements: path
    default: []
  definition:
    description: Objects to apply, as a list, one object, or YAML text.
    type: raw
  namespace:
    description: The namespace of namespaced objects that name none.
    type: str
  annotations:
    description: Annotations added to every object.
    type: dict
    default: {}
  labels:
    description: Labels added to every object.
    type: dict
    default: {}
  force_conflicts:
    description: Take over fields another field manager owns.
    type: bool
    default: true
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
attributes:
  check_mode:
    description: Each object is applied as a server-side dry run and compared with the server's copy.
    support: full
  diff_mode:
    description: Not supported; RV(objects) says which objects would be created or configured.
    support: none
"""

EXAMPLES = r"""
- name: Apply the rendered Cluster API manifests
  eksa.anywhere.k8s_apply:
    kubeconfig: mgmt/generated/mgmt.kind.kubeconfig
    src:
      - mgmt/generated/mgmt-eks-a-cluster.yaml

- name: Create a namespace
  eksa.anywhere.k8s_apply:
    definition:
      apiVersion: v1
      kind: Namespace
      metadata:
        name: eksa-system
"""

RETURN = r"""
objects:
  description: Each object (C(Kind namespace/name)) and what happened to it (created, configured, unchanged).
  returned: always
  type: list
  elements: dict
  sample: [{"object": "Namespace eksa-system", "result": "created"}]
counts:
  description: How many objects were created, configured and unchanged.
  returned: always
  type: dict
  sample: {"created": 1, "configured": 0, "unchanged": 12}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import apply as k8s_apply
from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import k8s_from_module
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError


def main():
    module = AnsibleModule(
        argument_spec=k8s_argument_spec(
            src=dict(type="list", elements="path", default=[]),
            definition=dict(type="raw"),
            namespace=dict(type="str"),
            annotations=dict(type="dict", default={}),
            labels=dict(type="dict", default={}),
            force_conflicts=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    p = module.params
    conn, client = k8s_from_module(module)
    try:
        try:
            objects = k8s_apply.load_manifest_files(p["src"])
            definition = p["definition"]
            if isinstance(definition, str):
                objects += k8s_apply.load_manifest_text(definition)
            elif isinstance(definition, dict):
                objects.append(definition)
            elif isinstance(definition, list):
                objects += definition
            elif definition is not None:
                module.fail_json(msg="definition must be a list of objects, one object or YAML text")
            results = k8s_apply.apply_objects(client, objects, namespace=p["namespace"], annotations=p["annotations"],
                                              labels=p["labels"], check_mode=module.check_mode, force=p["force_conflicts"])
        except (k8s_apply.ApplyError, K8sError) as exc:
            module.fail_json(msg=str(exc))
        counts = dict(created=0, configured=0, unchanged=0)
        for dummy, state in results:
            counts[state] += 1
        module.exit_json(changed=counts["created"] + counts["configured"] > 0, counts=counts,
                         objects=[dict(object=name, result=state) for name, state in results])
    finally:
        conn.close()


if __name__ == "__main__":
    main()
