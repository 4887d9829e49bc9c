# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Argument spec of the vSphere connection (doc fragment: eksa.anywhere.vsphere)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

VSPHERE_ARG_SPEC = dict(
    hostname=dict(type="str", aliases=["vcenter_server", "server"], fallback=(env_fallback, ["VMWARE_HOST"])),
    port=dict(type="int", default=443, fallback=(env_fallback, ["VMWARE_PORT"])),
    username=dict(type="str", aliases=["user", "admin"], fallback=(env_fallback, ["EKSA_VSPHERE_USERNAME", "VMWARE_USER"])),
    password=dict(type="str", aliases=["pass", "pwd"], no_log=True,
                  fallback=(env_fallback, ["EKSA_VSPHERE_PASSWORD", "VMWARE_PASSWORD"])),
    validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["VMWARE_VALIDATE_CERTS"])),
    ca_path=dict(type="path"),
    connect_timeout=dict(type="float", default=20),
)


def vsphere_argument_spec(**extra):
    """The vSphere connection options plus the module's own."""
    spec = dict(VSPHERE_ARG_SPEC)
    spec.update(extra)
    return spec
