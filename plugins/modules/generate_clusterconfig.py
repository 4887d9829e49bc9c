#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: generate_clusterconfig
short_description: Write an EKS Anywhere cluster spec template to fill in
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Does what C(eksctl anywhere generate clusterconfig NAME -p PROVIDER) does, and writes the result to a file.
  - "For O(provider=vsphere): a Cluster with 2 control plane machines, 3 external etcd machines and 2 workers in
    worker group C(md-0), a VSphereDatacenterConfig and the VSphereMachineConfigs C(<name>-cp), C(<name>) and
    C(<name>-etcd) (25 GiB disk, 2 CPUs, 8192 MiB, Bottlerocket with user C(ec2-user)); pods C(192.168.0.0/16),
    services C(10.96.0.0/12), Cilium, and an empty control plane endpoint host to fill in."
  - For O(provider=docker), a Cluster with 1 control plane machine, 1 etcd machine and 1 worker, and a DockerDatacenterConfig.
  - An existing O(dest) is left alone unless O(force=true), so a filled-in spec is never overwritten by a re-run.
options:
  name:
    description:
      - Name of the cluster. It must start with a letter, contain only letters, digits and C(-), and be at most 35 characters long.
    type: str
    required: true
    aliases: [cluster_name]
  provider:
    description: The infrastructure provider of the template.
    type: str
    choices: [vsphere, docker]
    default: vsphere
  kubernetes_version:
    description: The Kubernetes version (C(MAJOR.MINOR)) written into the Cluster.
    type: str
    default: "1.33"
  dest:
    description:
      - Where to write the template. The parent directory must exist.
      - When omitted, nothing is written and the template is only returned in RV(content).
    type: path
  force:
    description:
      - Overwrite O(dest) when it exists with other content.
      - With the default V(false) an existing file is left untouched and reported as such.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    description: Reports whether O(dest) would be written, and writes nothing.
    support: full
  diff_mode:
    description: Shows the file before and after.
    support: full
notes:
  - Fill in the blanks (endpoint host, vCenter server, datacenter, network, datastore, folder, resource pool, SSH key),
    then check the result with M(eksa.anywhere.cluster_spec).
seealso:
  - module: eksa.anywhere.cluster_spec
"""

EXAMPLES = r"""
- name: Write a vSphere cluster spec template
  eksa.anywhere.generate_clusterconfig:
    name: mgmt
    provider: vsphere
    dest: ./mgmt.yaml
    mode: "0644"

- name: Get a docker template without writing it
  eksa.anywhere.generate_clusterconfig:
    name: dev
    provider: docker
  register: template

- name: Show it
  ansible.builtin.debug:
    msg: "{{ template.content }}"
"""

RETURN = r"""
content:
  description: The template, a multi-document YAML text.
  returned: always
  type: str
objects:
  description: The objects of the template, in order.
  returned: always
  type: list
  elements: dict
dest:
  description: The file written, or that would be written.
  returned: when O(dest) is given
  type: str
  sample: /home/user/mgmt.yaml
skipped_existing:
  description: True when O(dest) exists with other content and was left alone because O(force=false).
  returned: when O(dest) is given
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import PUBLIC_MODE, FileError, read_file, write_file
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.generate import (
    DEFAULT_KUBERNETES_VERSION,
    GenerateError,
    cluster_config_objects,
    render_yaml,
)

try:
    import yaml  # noqa: F401  pylint: disable=unused-import
    HAS_YAML = True
except ImportError:
    HAS_YAML = False


MAX_EXISTING_BYTES = 8 * 1024 * 1024


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["cluster_name"]),
            provider=dict(type="str", default="vsphere", choices=["vsphere", "docker"]),
            kubernetes_version=dict(type="str", default=DEFAULT_KUBERNETES_VERSION),
            dest=dict(type="path"),
            force=dict(type="bool", default=False),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    params = module.params
    try:
        objects = cluster_config_objects(params["name"], params["provider"], params["kubernetes_version"])
    except GenerateError as exc:
        module.fail_json(msg="cannot generate a cluster config: %s" % to_native(exc))
    content = render_yaml(objects)
    result = dict(changed=False, content=content, objects=objects)

    dest = params["dest"]
    if not dest:
        module.exit_json(**result)

    # atomic_move needs a folder to put its temporary file in; results and messages name the file absolutely
    dest = os.path.abspath(dest)
    result["dest"] = dest
    result["skipped_existing"] = False
    parent = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(parent):
        module.fail_json(msg="cannot write %s: the directory %s does not exist; create it first" % (dest, parent), **result)
    before = None
    try:  # the same rules as the write: a link, FIFO or folder at dest is refused, never read through
        raw = read_file(dest, limit=MAX_EXISTING_BYTES, root=parent, missing_ok=True)
    except FileError as exc:
        module.fail_json(msg="cannot use dest: %s" % exc.message, **result)
    if raw is not None:
        before = raw.decode("utf-8", errors="replace")
    if before is not None and before != content and not params["force"]:
        result["skipped_existing"] = True
        module.warn("%s exists with other content (a filled-in spec?): left alone; set force=true to overwrite it" % dest)
    elif before != content:
        result["changed"] = True
        if module._diff:
            result["diff"] = dict(before=before or "", after=content, before_header=dest, after_header=dest)
        if not module.check_mode:
            # a new random name in dest's folder (O_EXCL, no link followed), mode 0644 whatever the umask, renamed over dest
            try:
                write_file(dest, content, mode=PUBLIC_MODE)
            except FileError as exc:
                module.fail_json(msg="cannot write %s: %s" % (dest, exc.message), **result)
            except (IOError, OSError) as exc:
                module.fail_json(msg="cannot write %s: %s" % (dest, to_native(exc)), **result)

    if not module.check_mode and os.path.isfile(dest) and not os.path.islink(dest):
        file_args = module.load_file_common_arguments(params, path=dest)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
