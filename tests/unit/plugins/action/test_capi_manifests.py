"""The capi_manifests action plugin: writes, idempotence, check mode, diff, masking, names, errors."""
import os
import stat
import sys
from unittest.mock import MagicMock

import pytest
import yaml

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'module_utils'))

from test_capi_support import BUNDLES, CREDS, full_featured_docs, load, reference_docs  # noqa: E402

from ansible_collections.eksa.anywhere.plugins.action.capi_manifests import ActionModule  # noqa: E402


def run(args, check_mode=False, diff=False):
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = 0
    action = ActionModule(task, MagicMock(), MagicMock(check_mode=check_mode, diff=diff), loader=None, templar=None,
                          shared_loader_obj=None)
    return action.run(task_vars={})


@pytest.fixture
def spec():
    return load(reference_docs('cluster_main.yaml'))


def args(spec, out, **extra):
    base = {'spec': spec, 'bundle': BUNDLES, 'output_dir': str(out), 'credentials': dict(CREDS)}
    base.update(extra)
    return base


def test_writes_files_modes_and_summary(spec, tmp_path):
    result = run(args(spec, tmp_path))
    assert not result.get('failed'), result
    assert result['changed'] is True
    gen = tmp_path / 'test' / 'generated'
    assert result['path'] == str(gen)
    assert stat.S_IMODE(os.stat(gen).st_mode) == 0o700
    assert [os.path.basename(f) for f in result['files']] == ['test-capi-cluster.yaml', 'test-capi-workers.yaml',
                                                              'test-capi-secrets.yaml']
    for path in result['files']:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert result['kinds']['VSphereMachineTemplate'] == 3
    assert result['kinds']['Secret'] == 3
    assert result['names'] == {'control_plane': 'test-control-plane-1', 'etcd': 'test-etcd-1',
                               'machine_deployments': {'test-md-0': {'machine_template': 'test-md-0-1',
                                                                     'config_template': 'test-md-0-1', 'replicas': 3}}}
    text = repr(result)
    assert CREDS['password'] not in text and CREDS['username'] not in text
    # credentials only in the secrets file, only inside Secrets
    import base64
    b64 = base64.b64encode(CREDS['password'].encode()).decode()
    for path in result['files']:
        content = open(path).read()
        if path.endswith('secrets.yaml'):
            assert b64 in content
            assert all(d['kind'] == 'Secret' for d in yaml.safe_load_all(content))
        else:
            assert b64 not in content and CREDS['password'] not in content


def test_rerun_unchanged_and_byte_identical(spec, tmp_path):
    first = run(args(spec, tmp_path))
    before = dict((p, open(p, 'rb').read()) for p in first['files'])
    second = run(args(spec, tmp_path))
    assert second['changed'] is False and second['changed_files'] == []
    assert dict((p, open(p, 'rb').read()) for p in second['files']) == before
    other = tmp_path / 'again'
    third = run(args(spec, other))
    assert [open(p, 'rb').read() for p in third['files']] == list(before.values())


def test_check_mode_writes_nothing(spec, tmp_path):
    result = run(args(spec, tmp_path), check_mode=True)
    assert result['changed'] is True
    assert not (tmp_path / 'test').exists()


def test_diff_shows_spec_edit_and_masks_secrets(spec, tmp_path):
    run(args(spec, tmp_path))
    edited = load(reference_docs('cluster_main.yaml'))
    edited['cluster']['spec']['workerNodeGroupConfigurations'][0]['count'] = 5
    result = run(args(edited, tmp_path, credentials={'username': 'other', 'password': 'N3w-Pass'}), diff=True)
    assert result['changed'] is True
    diffs = dict((os.path.basename(d['after_header']), d) for d in result['diff'])
    assert set(diffs) == {'test-capi-workers.yaml', 'test-capi-secrets.yaml'}
    assert 'replicas: 3' in diffs['test-capi-workers.yaml']['before']
    assert 'replicas: 5' in diffs['test-capi-workers.yaml']['after']
    text = repr(result)
    for secret in ('N3w-Pass', 'other', CREDS['password']):
        assert secret not in text
    import base64
    assert base64.b64encode(b'N3w-Pass').decode() not in text
    assert '********' in diffs['test-capi-secrets.yaml']['after']


def test_template_suffix_bumped_only_on_change(spec, tmp_path):
    run(args(spec, tmp_path))
    edited = load(reference_docs('cluster_main.yaml'))
    edited['machine_configs']['test-wn']['spec']['numCPUs'] = 8
    result = run(args(edited, tmp_path))
    names = result['names']
    assert names['control_plane'] == 'test-control-plane-1'
    assert names['etcd'] == 'test-etcd-1'
    assert names['machine_deployments']['test-md-0']['machine_template'] == 'test-md-0-2'
    assert names['machine_deployments']['test-md-0']['config_template'] == 'test-md-0-1'
    again = run(args(edited, tmp_path))
    assert again['changed'] is False
    assert again['names'] == names


def test_spec_as_file_and_env_credentials(tmp_path, monkeypatch):
    path = tmp_path / 'spec.yaml'
    path.write_text(yaml.safe_dump_all(reference_docs('cluster_main.yaml')))
    monkeypatch.setenv('EKSA_VSPHERE_USERNAME', 'envuser')
    monkeypatch.setenv('EKSA_VSPHERE_PASSWORD', 'envpass')
    result = run({'spec': str(path), 'bundle': BUNDLES, 'output_dir': str(tmp_path)})
    assert not result.get('failed'), result
    assert 'envpass' not in repr(result)


@pytest.mark.parametrize('mutate, field, words', [
    (lambda s: s['cluster']['spec'].__setitem__('kubernetesVersion', '1.33'), 'spec.kubernetesVersion',
     ['1.33', 'not in the Bundles manifest', '1.18, 1.19, 1.20, 1.21, 1.29']),
    (lambda s: s['machine_configs']['test-cp']['spec']['users'][0].__setitem__('sshAuthorizedKeys', ['ssh-rsa AAAA-not-base64']),
     'VSphereMachineConfig/test-cp: spec.users[0].sshAuthorizedKeys[0]', ['does not parse']),
    (lambda s: s['cluster']['spec']['workerNodeGroupConfigurations'][0].__setitem__('kubernetesVersion', '1.17'),
     'spec.workerNodeGroupConfigurations[0].kubernetesVersion', ['1.17', 'not in the Bundles manifest', 'md-0']),
    (lambda s: s['cluster']['spec'].__setitem__('registryMirrorConfiguration',
                                                {'endpoint': 'mirror.example.com', 'authenticate': True}),
     'registry_username', ['authenticate', 'REGISTRY_USERNAME']),
])
def test_errors_name_field_and_write_nothing(spec, tmp_path, mutate, field, words):
    mutate(spec)
    result = run(args(spec, tmp_path))
    assert result['failed'] is True
    assert result['field'] == field
    for word in words:
        assert word in result['msg']
    assert 'Traceback' not in result['msg']
    assert not (tmp_path / 'test').exists()


def test_bundle_not_bundles_manifest(spec, tmp_path):
    other = tmp_path / 'not-bundles.yaml'
    other.write_text('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n')
    result = run(args(spec, tmp_path, bundle=str(other)))
    assert result['failed'] is True and result['field'] == 'bundle'
    assert 'not a Bundles manifest' in result['msg'] and 'ConfigMap' in result['msg']
    missing = run(args(spec, tmp_path, bundle=str(tmp_path / 'nope.yaml')))
    assert missing['failed'] is True and 'cannot read' in missing['msg']
    assert not (tmp_path / 'test').exists()


def test_missing_credentials(spec, tmp_path, monkeypatch):
    for var in ('EKSA_VSPHERE_USERNAME', 'EKSA_VSPHERE_PASSWORD', 'VMWARE_USER', 'VMWARE_PASSWORD'):
        monkeypatch.delenv(var, raising=False)
    result = run({'spec': spec, 'bundle': BUNDLES, 'output_dir': str(tmp_path)})
    assert result['failed'] is True and result['field'] == 'credentials.username'


def test_bad_option(spec, tmp_path):
    from ansible.errors import AnsibleActionFail
    with pytest.raises(AnsibleActionFail, match='bogus'):  # Ansible reports it as the task's failure
        run(args(spec, tmp_path, bogus=1))
    result = run(args(spec, tmp_path, timeout='soon'))
    assert result['failed'] is True and 'timeout' in result['msg']


def test_full_featured_docs_write(tmp_path):
    result = run(args(load(full_featured_docs()), tmp_path))
    assert not result.get('failed'), result
    assert result['kinds']['MachineDeployment'] == 2


def _cpi_credentials(result):
    import base64
    secrets = [d for d in yaml.safe_load_all(open([f for f in result['files'] if f.endswith('secrets.yaml')][0])) if d]
    resource_set = [d for d in secrets if d['metadata']['name'].endswith('-cloud-provider-vsphere-credentials')][0]
    inner = yaml.safe_load(resource_set['stringData']['data'])
    capv = [d for d in secrets if d['type'] == 'Opaque'][0]

    def decode(value):
        return base64.b64decode(value).decode()
    return ({k.rsplit('.', 1)[1]: decode(v) for k, v in inner['data'].items()},
            {k: decode(v) for k, v in capv['data'].items()})


def test_cloud_provider_user_defaults_to_the_main_user(spec, tmp_path, monkeypatch):
    for var in ('EKSA_VSPHERE_CP_USERNAME', 'EKSA_VSPHERE_CP_PASSWORD'):
        monkeypatch.delenv(var, raising=False)
    cpi, capv = _cpi_credentials(run(args(spec, tmp_path)))
    assert cpi == capv == {'username': CREDS['username'], 'password': CREDS['password']}


def test_cloud_provider_user_from_env_or_option(spec, tmp_path, monkeypatch):
    monkeypatch.setenv('EKSA_VSPHERE_CP_USERNAME', 'cpi@vsphere.local')
    monkeypatch.setenv('EKSA_VSPHERE_CP_PASSWORD', 'Cp1-Secret')
    result = run(args(spec, tmp_path))
    assert 'Cp1-Secret' not in repr(result)
    cpi, capv = _cpi_credentials(result)
    assert cpi == {'username': 'cpi@vsphere.local', 'password': 'Cp1-Secret'}
    assert capv == {'username': CREDS['username'], 'password': CREDS['password']}  # CAPV keeps the main user
    creds = dict(CREDS, cp_username='opt-cpi', cp_password='Opt-Pass')
    cpi, dummy = _cpi_credentials(run(args(spec, tmp_path / 'o', credentials=creds)))
    assert cpi == {'username': 'opt-cpi', 'password': 'Opt-Pass'}


def test_cloud_provider_user_without_password_is_refused(spec, tmp_path, monkeypatch):
    monkeypatch.setenv('EKSA_VSPHERE_CP_USERNAME', 'cpi@vsphere.local')
    monkeypatch.delenv('EKSA_VSPHERE_CP_PASSWORD', raising=False)
    result = run(args(spec, tmp_path))
    assert result['failed'] is True and result['field'] == 'credentials.cp_password'
    assert 'EKSA_VSPHERE_CP_PASSWORD' in result['msg']


def test_broken_previous_secrets_file_never_quoted(spec, tmp_path, monkeypatch):
    """A previous output that does not parse is named by place, never quoted: it may hold the base64 password."""
    from ansible_collections.eksa.anywhere.plugins.module_utils.capi import render as capi_render
    monkeypatch.setattr(capi_render, 'SAFE_LOADER', yaml.SafeLoader)  # the pure-Python loader quotes the line in str(exc)
    first = run(args(spec, tmp_path))
    secrets = [f for f in first['files'] if f.endswith('secrets.yaml')][0]
    with open(secrets, 'a') as handle:
        handle.write('data: [c2VjcmV0cGFzc3dvcmQ=\n')
    result = run(args(spec, tmp_path))
    assert result['failed'] is True and result['field'] == 'previous'
    assert 'c2VjcmV0cGFzc3dvcmQ' not in repr(result)
    assert 'malformed YAML at line' in result['msg'] and 'remove the file' in result['msg']


def test_environment_credentials_are_resolved_by_the_plugin_not_the_renderer(spec, tmp_path, monkeypatch):
    """The action plugin fills EKSA_VSPHERE_*/REGISTRY_* in; the renderer itself reads no environment variable."""
    from ansible_collections.eksa.anywhere.plugins.action.capi_manifests import resolve_credentials
    from ansible_collections.eksa.anywhere.plugins.module_utils.capi import render as capi_render
    monkeypatch.setenv('EKSA_VSPHERE_USERNAME', 'env-user')
    monkeypatch.setenv('EKSA_VSPHERE_PASSWORD', 'env-pass')
    monkeypatch.setenv('REGISTRY_USERNAME', 'reg-user')
    monkeypatch.setenv('REGISTRY_PASSWORD', 'reg-pass')
    creds, registry = resolve_credentials({'credentials': None})
    assert (creds['username'], creds['password'], registry) == ('env-user', 'env-pass',
                                                                {'username': 'reg-user', 'password': 'reg-pass'})
    creds, registry = resolve_credentials({'credentials': {'username': 'opt'}, 'registry_password': 'opt-pass'})
    assert creds['username'] == 'opt' and registry['password'] == 'opt-pass'
    with pytest.raises(capi_render.RenderError) as err:
        capi_render.render(spec, BUNDLES)  # variables set, but no credentials passed in
    assert err.value.field == 'credentials.username'
    result = run({'spec': spec, 'bundle': BUNDLES, 'output_dir': str(tmp_path)})
    assert not result.get('failed'), result
    assert 'env-pass' not in repr(result)


def test_generated_link_refused_and_target_untouched(spec, tmp_path):
    """<cluster>/generated as a link: neither the manifests (secrets included) nor the diff's "before" go through it."""
    outside = tmp_path / 'outside'
    outside.mkdir()
    os.chmod(str(outside), 0o755)
    (outside / 'test-capi-secrets.yaml').write_text('kind: Secret\nstringData: {password: old-outside}\n')
    out = tmp_path / 'out'
    (out / 'test').mkdir(parents=True)
    os.symlink(str(outside), str(out / 'test' / 'generated'))
    result = run(args(spec, out), diff=True)
    assert result['failed'] is True and str(out / 'test' / 'generated') in result['msg']
    assert 'symbolic link' in result['msg'] and 'old-outside' not in repr(result)
    assert sorted(os.listdir(str(outside))) == ['test-capi-secrets.yaml']
    assert stat.S_IMODE(os.stat(str(outside)).st_mode) == 0o755


def test_umask_000_still_private(spec, tmp_path):
    old = os.umask(0)
    try:
        result = run(args(spec, tmp_path / 'new' / 'out'))
    finally:
        os.umask(old)
    assert not result.get('failed'), result
    for folder in (tmp_path / 'new' / 'out' / 'test', tmp_path / 'new' / 'out' / 'test' / 'generated'):
        assert stat.S_IMODE(os.stat(str(folder)).st_mode) == 0o700, folder
    for path in result['files']:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_concurrent_run_fails_naming_the_holder(spec, tmp_path, monkeypatch):
    from ansible_collections.eksa.anywhere.plugins.module_utils.common import files
    monkeypatch.setattr(files, 'DEFAULT_LOCK_TIMEOUT', 0)
    with files.cluster_lock(str(tmp_path / 'test'), what='another capi_manifests'):
        result = run(args(spec, tmp_path))
    assert result['failed'] is True
    assert 'in use by pid %d (another capi_manifests' % os.getpid() in result['msg']
    assert not (tmp_path / 'test' / 'generated').exists()
    again = run(args(spec, tmp_path))
    assert not again.get('failed') and again['changed']


def test_credentials_are_the_cluster_contexts(monkeypatch):
    """The plugin asks spec/context.py (one variable table, one order); a cloud provider user without a password is
    a RenderError naming the field."""
    from ansible_collections.eksa.anywhere.plugins.action import capi_manifests as plugin
    from ansible_collections.eksa.anywhere.plugins.module_utils.capi import render as capi_render
    from ansible_collections.eksa.anywhere.plugins.module_utils.spec import context
    asked = []
    real = context.vsphere_credentials

    def spy(*args, **kwargs):
        asked.append(args)
        return real(*args, **kwargs)
    monkeypatch.setattr(context, 'vsphere_credentials', spy)
    for name in ('EKSA_VSPHERE_USERNAME', 'EKSA_VSPHERE_PASSWORD', 'REGISTRY_USERNAME', 'REGISTRY_PASSWORD'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('VMWARE_USER', 'awx-user')
    monkeypatch.setenv('VMWARE_PASSWORD', 'awx-pass')
    creds, registry = plugin.resolve_credentials({'credentials': None})
    assert asked and (creds['username'], creds['password']) == ('awx-user', 'awx-pass')
    assert registry == {'username': None, 'password': None}
    monkeypatch.setenv('EKSA_VSPHERE_CP_USERNAME', 'cp-user')
    with pytest.raises(capi_render.RenderError) as err:
        plugin.resolve_credentials({'credentials': None})
    assert err.value.field == 'credentials.cp_password'
