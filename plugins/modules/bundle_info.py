#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: bundle_info
short_description: Read one Kubernetes version's entry of an EKS Anywhere Bundles manifest
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Loads a Bundles manifest (EKS Anywhere's release format; a path or URL) and returns the versionsBundle of a Kubernetes
    version - the component manifests, images and EKS-D release the create workflow uses.
  - Fails with the versions the manifest offers when the wanted one is not there.
options:
  bundle:
    description: Path or URL of the Bundles manifest.
    type: str
    required: true
  kubernetes_version:
    description: The Kubernetes version, C(MAJOR.MINOR).
    type: str
    required: true
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: Read the bundle for Kubernetes 1.33
  eksa.anywhere.bundle_info:
    bundle: ./bundles.yaml
    kubernetes_version: "1.33"
  register: bundle
"""

RETURN = r"""
versions_bundle:
  description: The versionsBundle entry of the Kubernetes version.
  returned: always
  type: dict
kube_versions:
  description: The Kubernetes versions the manifest offers.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.bundles import BundleError, kube_versions, load_bundles, versions_bundle


def main():
    module = AnsibleModule(
        argument_spec=dict(bundle=dict(type="str", required=True), kubernetes_version=dict(type="str", required=True)),
        supports_check_mode=True,
    )
    try:
        bundles, dummy = load_bundles(module.params["bundle"])
        vb = versions_bundle(bundles, module.params["kubernetes_version"])
    except BundleError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, versions_bundle=vb, kube_versions=kube_versions(bundles))


if __name__ == "__main__":
    main()
