# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Argument spec of the vSphere connection (doc fragment: eksa.anywhere.vsphere)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.basic import env_fallback

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.context import CREDENTIAL_VARIABLES

# the variables each option falls back to, in the order of the cluster context (option -> EKSA_VSPHERE_* -> VMWARE_*)
_ENV = dict((key, list(names)) for key, names in CREDENTIAL_VARIABLES.items())

VSPHERE_ARG_SPEC = dict(
    hostname=dict(type="str", aliases=["vcenter_server", "server"], fallback=(env_fallback, _ENV["hostname"])),
    port=dict(type="int", default=443, fallback=(env_fallback, ["VMWARE_PORT"])),
    username=dict(type="str", aliases=["user", "admin"], fallback=(env_fallback, _ENV["username"])),
    password=dict(type="str", aliases=["pass", "pwd"], no_log=True,
                  fallback=(env_fallback, _ENV["password"])),
    # no default and no fallback: vsphere.trust reads VMWARE_VALIDATE_CERTS itself, to know (and say) where it came from
    validate_certs=dict(type="bool"),
    ca_path=dict(type="path"),
    connect_timeout=dict(type="float", default=20),
)


def vsphere_argument_spec(**extra):
    """The vSphere connection options plus the module's own."""
    spec = copy.deepcopy(VSPHERE_ARG_SPEC)  # AnsibleModule may change the option dicts it is given
    spec.update(extra)
    return spec


def vsphere_cp_argument_spec():
    """The cloud provider user's options (EKS Anywhere's EKSA_VSPHERE_CP_USERNAME / EKSA_VSPHERE_CP_PASSWORD)."""
    return dict(
        cp_username=dict(type="str", fallback=(env_fallback, _ENV["cp_username"])),
        cp_password=dict(type="str", no_log=True, fallback=(env_fallback, _ENV["cp_password"])),
    )
