# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""vsphere.trust: the spec first, then validate_certs / VMWARE_VALIDATE_CERTS (AWX's default never silently)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys

import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import normalize
from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere import trust

sys.path.insert(0, os.path.dirname(__file__))
from test_spec_rules import vsphere_objects  # noqa: E402  pylint: disable=wrong-import-position,import-error

AWX = {'VMWARE_VALIDATE_CERTS': 'False'}


def _spec(**dc):
    objects = vsphere_objects()
    for obj in objects:
        if obj['kind'] == 'VSphereDatacenterConfig':
            obj['spec'].pop('thumbprint', None)
            obj['spec'].pop('insecure', None)
            obj['spec'].update(dc)
    return normalize(objects)


def _decide(spec, option=None, environ=None):
    return trust.decide(spec['datacenter']['spec'], spec['datacenter_stated'], option, environ or {})


@pytest.mark.parametrize('dc, environ, option, insecure, warned', [
    ({}, {}, None, False, None),                                        # nothing said: verify
    ({}, AWX, None, True, 'OFF because of VMWARE_VALIDATE_CERTS=False'),  # AWX's default: off, loudly
    ({}, {}, False, True, 'OFF because of the validate_certs option'),
    ({}, AWX, True, False, None),                                       # the option beats the environment
    ({'thumbprint': 'AA:BB'}, AWX, None, False, 'thumbprint always wins'),
    ({'thumbprint': 'AA:BB'}, {}, False, False, 'thumbprint always wins'),
    ({'insecure': False}, AWX, None, False, 'sets insecure: false'),
    ({'insecure': True}, {}, True, True, None),                         # the spec's own choice (the loader warns)
    ({'insecure': True, 'thumbprint': 'AA:BB'}, {}, None, True, None),  # insecure clears the thumbprint, as EKS-A
])
def test_decide(dc, environ, option, insecure, warned):
    got, warnings = _decide(_spec(**dc), option, environ)
    assert got is insecure
    if warned:
        assert len(warnings) == 1 and warned in warnings[0]
    else:
        assert warnings == []


def test_stated_follows_the_written_spec():
    assert _spec()['datacenter_stated'] == {'insecure': False, 'thumbprint': False}
    assert _spec(insecure=False)['datacenter_stated'] == {'insecure': True, 'thumbprint': False}
    assert _spec(thumbprint='AA:BB')['datacenter_stated'] == {'insecure': False, 'thumbprint': True}


def test_without_stated_a_false_insecure_counts_as_unsaid():
    spec = _spec()
    assert trust.decide(spec['datacenter']['spec'], None, None, AWX)[0] is True


def test_not_a_boolean():
    with pytest.raises(ValueError, match='VMWARE_VALIDATE_CERTS=sometimes is not a boolean'):
        trust.validate_certs_setting(None, {'VMWARE_VALIDATE_CERTS': 'sometimes'})
