# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""eksa.anywhere.vsphere_validate with an in-memory vSphere."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
import sys
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.eksa.anywhere.plugins.modules import vsphere_validate

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'module_utils'))
from vsphere_fake import FakeClient  # noqa: E402  pylint: disable=wrong-import-position
from test_vsphere_checks import make_spec  # noqa: E402  pylint: disable=wrong-import-position

PASSWORD = 'S3cret-Pa55!'


@pytest.fixture
def fake(monkeypatch):
    made = {}

    def factory(host, port, **kwargs):
        client = made.get('client') or FakeClient()
        client.host, client.port = host, port
        client.username = kwargs['username']
        client.insecure = kwargs['insecure']
        made.update(kwargs, host=host, port=port, client=client)
        return client
    monkeypatch.setattr(vsphere_validate, 'VSphereClient', factory)
    monkeypatch.setattr(vsphere_validate.checks, 'is_ip_in_use', lambda host, port=80, timeout=0.5: False)
    for var in ('VMWARE_HOST', 'VMWARE_USER', 'VMWARE_PASSWORD', 'EKSA_VSPHERE_USERNAME', 'EKSA_VSPHERE_PASSWORD',
                'VMWARE_VALIDATE_CERTS'):
        monkeypatch.delenv(var, raising=False)
    return made


def args(**extra):
    base = {'spec': make_spec(), 'username': 'administrator@vsphere.local', 'password': PASSWORD,
            'eksd_release': 'kubernetes-1-19-eks-4'}
    base.update(extra)
    return base


def test_success(run_module, fake):
    result, failed = run_module(vsphere_validate, args())
    assert not failed, result
    assert result['messages'][-1] == u'\u2705 Vsphere Provider setup is valid'
    assert result['changed'] is False
    assert fake['host'] == 'vcenter.test' and fake['port'] == 443 and fake['password'] == PASSWORD
    assert fake['thumbprint'] == 'AA:BB' and fake['insecure'] is False
    assert PASSWORD not in json.dumps(result)


def test_credentials_from_eksa_env(run_module, fake, monkeypatch):
    monkeypatch.setenv('EKSA_VSPHERE_USERNAME', 'eksa-user')
    monkeypatch.setenv('EKSA_VSPHERE_PASSWORD', PASSWORD)
    monkeypatch.setenv('VMWARE_HOST', 'ignored-when-spec-has-server')
    a = args()
    del a['username'], a['password']
    result, failed = run_module(vsphere_validate, a)
    assert not failed, result
    assert fake['username'] == 'eksa-user' and fake['password'] == PASSWORD and fake['host'] == 'vcenter.test'


def test_hostname_option_and_port(run_module, fake):
    result, failed = run_module(vsphere_validate, args(hostname='other:8443'))
    assert not failed
    assert (fake['host'], fake['port']) == ('other', 8443)


def _unpinned(insecure=None):
    spec = make_spec()
    spec['datacenter']['spec']['thumbprint'] = ''
    spec['datacenter_stated'] = {'insecure': insecure is not None, 'thumbprint': False}
    if insecure is not None:
        spec['datacenter']['spec']['insecure'] = insecure
    return spec


_WARNED = []


def _warnings(dummy=None):
    """The module's warnings of this test (what module.warn was called with)."""
    return list(_WARNED)


@pytest.fixture(autouse=True)
def _collect_warnings(monkeypatch):
    # AnsibleModule.warn records where the running ansible-core routes it (module_utils or the controller's display,
    # once a controller-side plugin was imported in the same process): collect the calls themselves
    from ansible.module_utils import basic
    del _WARNED[:]
    original = basic.AnsibleModule.warn

    def warn(self, warning):
        _WARNED.append(warning)
        return original(self, warning)
    monkeypatch.setattr(basic.AnsibleModule, 'warn', warn)
    yield
    del _WARNED[:]


def test_thumbprint_wins_over_validate_certs_false(run_module, fake, monkeypatch, capfd):
    monkeypatch.setenv('VMWARE_VALIDATE_CERTS', 'False')
    result, failed = run_module(vsphere_validate, args())
    assert not failed, result
    assert fake['insecure'] is False and fake['thumbprint'] == 'AA:BB'
    assert any('stays on' in w and 'VMWARE_VALIDATE_CERTS=False in the environment' in w for w in _warnings(capfd))


def test_awx_default_turns_verification_off_only_with_a_warning(run_module, fake, monkeypatch, capfd):
    monkeypatch.setenv('VMWARE_VALIDATE_CERTS', 'False')
    result, failed = run_module(vsphere_validate, args(spec=_unpinned()))
    assert not failed, result
    assert fake['insecure'] is True
    assert any('verification is OFF' in w and 'VMWARE_VALIDATE_CERTS=False in the environment' in w and 'AWX' in w
               for w in _warnings(capfd))


def test_validate_certs_option_named_in_the_warning(run_module, fake, capfd):
    result, failed = run_module(vsphere_validate, args(spec=_unpinned(), validate_certs=False))
    assert not failed and fake['insecure'] is True
    assert any('the validate_certs option' in w for w in _warnings(capfd))


def test_spec_insecure_false_wins_over_the_environment(run_module, fake, monkeypatch, capfd):
    monkeypatch.setenv('VMWARE_VALIDATE_CERTS', 'false')
    result, failed = run_module(vsphere_validate, args(spec=_unpinned(insecure=False)))
    assert not failed, result
    assert fake['insecure'] is False
    assert any('sets insecure: false' in w for w in _warnings(capfd))


def test_validate_certs_unset_or_true_verifies(run_module, fake, monkeypatch, capfd):
    result, failed = run_module(vsphere_validate, args(spec=_unpinned()))
    assert not failed and fake['insecure'] is False and not _warnings(capfd)
    monkeypatch.setenv('VMWARE_VALIDATE_CERTS', 'True')
    result, failed = run_module(vsphere_validate, args(spec=_unpinned()))
    assert not failed and fake['insecure'] is False


def test_validate_certs_env_not_a_boolean(run_module, fake, monkeypatch):
    monkeypatch.setenv('VMWARE_VALIDATE_CERTS', 'maybe')
    result, failed = run_module(vsphere_validate, args(spec=_unpinned()))
    assert failed and 'VMWARE_VALIDATE_CERTS=maybe is not a boolean' in result['msg']


def test_failure_lists_everything_and_fails(run_module, fake, tmp_path):
    spec = make_spec(cp={'datastore': 'missing', 'template': 'absent'})
    rj, rx = tmp_path / 'r.json', tmp_path / 'r.xml'
    result, failed = run_module(vsphere_validate, args(spec=spec, report_json=str(rj), report_junit=str(rx)))
    assert failed
    assert result['msg'].startswith(u'\u274c Validation failed: ')
    assert 'template <absent> not found' in result['msg'] and 'datastore' in result['msg']
    assert u'\u274c Validation failed' in result['messages']
    for path in (rj, rx):
        assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    data = json.loads(rj.read_text())
    assert any(c['status'] == 'failed' for c in data['report'])
    suite = ET.parse(str(rx)).getroot().find('testsuite')
    assert int(suite.get('failures')) == 2
    assert PASSWORD not in rj.read_text() + rx.read_text() + json.dumps(result)


def test_check_mode_predicts_folder(run_module, fake):
    result, failed = run_module(vsphere_validate, args(spec=make_spec(cp={'folder': 'eksa/new'})), check_mode=True)
    assert not failed and result['changed'] is False
    assert fake['client'].created == []
    result, failed = run_module(vsphere_validate, args(spec=make_spec(cp={'folder': 'eksa/new'})))
    assert result['changed'] is True and result['created_folders'] == ['/SDDC-Datacenter/vm/eksa/new']


def test_bundle_option(run_module, fake, tmp_path):
    bundle = tmp_path / 'b.yaml'
    bundle.write_text('apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Bundles\nspec:\n  versionsBundles:\n'
                      '  - kubeVersion: "1.19"\n    eksD: {name: kubernetes-1-19-eks-7}\n')
    a = args(bundle=str(bundle))
    del a['eksd_release']
    result, failed = run_module(vsphere_validate, a)
    assert failed
    assert 'is missing tag eksdRelease:kubernetes-1-19-eks-7' in result['msg']


def test_not_vsphere_spec(run_module, fake):
    result, failed = run_module(vsphere_validate, args(spec={'provider': 'docker'}))
    assert failed and 'normalized spec of a vSphere cluster' in result['msg']


def test_no_server(run_module, fake):
    spec = make_spec()
    spec['datacenter']['spec']['server'] = ''
    result, failed = run_module(vsphere_validate, args(spec=spec))
    assert failed and result['msg'].startswith('no vCenter server')


@pytest.mark.parametrize('server', ['vcenter.test:99999', 'vcenter.test:abc', '[::1]:abc'])
def test_bad_server_address_fails_naming_it(run_module, fake, server):
    spec = make_spec()
    spec['datacenter']['spec']['server'] = server
    result, failed = run_module(vsphere_validate, args(spec=spec))
    assert failed and 'invalid vCenter address' in result['msg'] and repr(server) in result['msg']
    assert 'client' not in fake  # never connected to another port than the one given
