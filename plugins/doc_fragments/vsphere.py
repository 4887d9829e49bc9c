# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options shared by every module that talks to vCenter."""

    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - The vCenter server, C(host) or C(host:port).
      - When omitted, the O(port) and server of the spec's VSphereDatacenterConfig are used, then the
        E(VMWARE_HOST) environment variable (as AWX's VMware credential injects it).
    type: str
    aliases: [vcenter_server, server]
  port:
    description:
      - The HTTPS port of vCenter, or E(VMWARE_PORT).
    type: int
    default: 443
  username:
    description:
      - The vSphere user.
      - Falls back to E(EKSA_VSPHERE_USERNAME) (EKS Anywhere's variable), then E(VMWARE_USER) (AWX's).
    type: str
    aliases: [user, admin]
  password:
    description:
      - The vSphere password. Never logged.
      - Falls back to E(EKSA_VSPHERE_PASSWORD) (EKS Anywhere's variable), then E(VMWARE_PASSWORD) (AWX's).
    type: str
    aliases: [pass, pwd]
  validate_certs:
    description:
      - Verify vCenter's TLS certificate; falls back to E(VMWARE_VALIDATE_CERTS); verification is on when neither is set.
      - The spec decides first. Its C(thumbprint) always wins (the certificate is pinned and verified); its C(insecure)
        (true or false) wins when the spec states it. Only where the spec has no thumbprint and says nothing of
        C(insecure) does this option (or E(VMWARE_VALIDATE_CERTS), which AWX's VMware credential sets to C(False)
        unless its Verify SSL box is ticked) count, and turning verification off that way is a warning naming where
        it came from.
      - Where the spec overrides a C(false) here, a warning says so.
    type: bool
  ca_path:
    description:
      - A PEM file of the CA certificates to trust for vCenter, instead of the system's.
    type: path
  connect_timeout:
    description: Seconds to wait for the TCP and TLS connection to vCenter.
    type: float
    default: 20
"""
