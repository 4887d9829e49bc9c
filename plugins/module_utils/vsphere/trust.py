# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Whether the collection verifies vCenter's TLS certificate: the spec first, then validate_certs / VMWARE_VALIDATE_CERTS.

AWX's VMware credential type injects ``VMWARE_VALIDATE_CERTS=False`` unless its "Verify SSL" box is ticked, so that
variable must never turn verification off behind the user's back:

* the spec's ``thumbprint`` always wins (the certificate is pinned and verified);
* the spec's ``insecure`` (true or false) wins when the spec states it;
* only where the spec has no thumbprint and says nothing of ``insecure`` is ``validate_certs`` (the option, else
  ``VMWARE_VALIDATE_CERTS``) honoured, and turning verification off that way is a warning naming where it came from.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.module_utils.parsing.convert_bool import boolean

ENV_VARIABLE = 'VMWARE_VALIDATE_CERTS'
OPTION_SOURCE = 'the validate_certs option'
ENV_SOURCE = ('%s=%%s in the environment (AWX\'s VMware credential injects VMWARE_VALIDATE_CERTS=False unless its '
              '"Verify SSL" box is ticked)' % ENV_VARIABLE)


def validate_certs_setting(option=None, environ=None):
    """(value, source): the validate_certs option, else VMWARE_VALIDATE_CERTS, else (None, None)."""
    if option is not None:
        return bool(option), OPTION_SOURCE
    environ = os.environ if environ is None else environ
    value = environ.get(ENV_VARIABLE)
    if value is None or value == '':
        return None, None
    try:
        return boolean(value, strict=True), ENV_SOURCE % value
    except TypeError:
        raise ValueError('%s=%s is not a boolean: use true or false' % (ENV_VARIABLE, value))


def decide(dc_spec, spec_stated=None, validate_certs=None, environ=None):
    """(insecure, warnings) for the collection's own connections to vCenter.

    ``dc_spec`` is the normalized VSphereDatacenterConfig spec; ``spec_stated`` what its written form said (the
    normalized spec's ``datacenter_stated``; without it, an ``insecure: true`` or a thumbprint counts
    as stated and ``insecure: false`` as not). ``validate_certs`` is the module option (None when not given).
    """
    dc_spec = dc_spec if isinstance(dc_spec, dict) else {}
    if spec_stated is None:
        spec_stated = {'insecure': bool(dc_spec.get('insecure')), 'thumbprint': bool(dc_spec.get('thumbprint'))}
    value, source = validate_certs_setting(validate_certs, environ)
    if dc_spec.get('insecure'):
        return True, []  # the spec's own choice; the spec loader already warned
    if value is not False:
        return False, []
    if dc_spec.get('thumbprint'):
        return False, ['vCenter TLS verification stays on: %s is ignored because the spec\'s VSphereDatacenterConfig '
                       'pins a thumbprint (the spec\'s thumbprint always wins)' % source]
    if spec_stated.get('insecure'):
        return False, ['vCenter TLS verification stays on: %s is ignored because the spec\'s VSphereDatacenterConfig '
                       'sets insecure: false' % source]
    return True, ['vCenter TLS verification is OFF because of %s, and the spec\'s VSphereDatacenterConfig has neither '
                  'thumbprint nor insecure: set spec.thumbprint to pin vCenter\'s certificate (or spec.insecure: true to '
                  'say so in the spec), or verify it (validate_certs=true / tick "Verify SSL")' % source]
