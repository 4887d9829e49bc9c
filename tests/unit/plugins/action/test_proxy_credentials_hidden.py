"""Proxy credentials (user:password in spec.proxyConfiguration URLs) never appear in what Ansible shows of a result.

cluster_spec and cluster_context must hand the spec as written to the phases that follow (the nodes need the proxy
URL with its credentials), so their action plugins hide the whole result (``_ansible_no_log``) when it holds proxy
credentials; the JSON the callbacks receive is checked here with Ansible's own censoring.
"""
import json
import os
import sys
from unittest.mock import MagicMock

import pytest
import yaml

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'module_utils'))

from test_context import bundle_dir  # noqa: E402,F401  pylint: disable=unused-import

from ansible_collections.eksa.anywhere.plugins.action import cluster_context as context_action  # noqa: E402
from ansible_collections.eksa.anywhere.plugins.action import cluster_spec as spec_action  # noqa: E402
from ansible_collections.eksa.anywhere.plugins.module_utils.spec import bundles  # noqa: E402
from ansible_collections.eksa.anywhere.plugins.modules import cluster_spec  # noqa: E402

PROXY_PASSWORD = 'Pr0xy-S3cret-Value'
PROXY_URL = 'http://proxy-user:%s@10.0.0.9:3128' % PROXY_PASSWORD

DOCKER = '''apiVersion: anywhere.eks.amazonaws.com/v1alpha1
kind: Cluster
metadata: {name: dev}
spec:
  kubernetesVersion: "1.33"
  controlPlaneConfiguration: {count: 1}
  workerNodeGroupConfigurations: [{count: 1}]
  datacenterRef: {kind: DockerDatacenterConfig, name: dev}
  clusterNetwork:
    cniConfig: {cilium: {}}
    pods: {cidrBlocks: [192.168.0.0/16]}
    services: {cidrBlocks: [10.96.0.0/12]}
%s---
apiVersion: anywhere.eks.amazonaws.com/v1alpha1
kind: DockerDatacenterConfig
metadata: {name: dev}
'''
PROXY = '  proxyConfiguration:\n    httpProxy: "%s"\n    httpsProxy: "%s"\n    noProxy: [10.0.0.0/8]\n' % (PROXY_URL, PROXY_URL)


def callback_view(result):
    """The result as the callbacks (and so every output) receive it."""
    try:
        from ansible._internal._task import UnifiedTaskResult
    except ImportError:  # pragma: no cover - other ansible-core versions: their executor honours _ansible_no_log
        return {'censored': 'hidden'} if result.get('_ansible_no_log') else result
    utr = UnifiedTaskResult.from_action_result_dict(dict(result))
    return utr.as_result_dict(for_callback=True, censor_callback_result=bool(utr.no_log))


def action(cls, args, check_mode=False):
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = False
    task.async_val = 0
    return cls(task, MagicMock(), MagicMock(check_mode=check_mode, diff=False), loader=None, templar=None,
               shared_loader_obj=None)


def run_spec_action(run_module, args):
    plugin = action(spec_action.ActionModule, args)

    def execute_module(module_name=None, module_args=None, task_vars=None, **kwargs):
        assert module_name == 'eksa.anywhere.cluster_spec'
        result, failed = run_module(cluster_spec, module_args)
        return dict(result, failed=failed) if failed else result
    plugin._execute_module = execute_module
    return plugin.run(task_vars={})


@pytest.mark.parametrize('text', [DOCKER % PROXY], ids=['proxy-with-credentials'])
def test_cluster_spec_result_with_proxy_credentials_is_never_shown(run_module, tmp_path, text):
    path = tmp_path / 'dev.yaml'
    path.write_text(text)
    result = run_spec_action(run_module, {'path': str(path)})
    assert not result.get('failed'), result
    # the registered value keeps the spec as written: the nodes need the proxy's credentials
    assert result['spec']['cluster']['spec']['proxyConfiguration']['httpProxy'] == PROXY_URL
    shown = json.dumps(callback_view(result))
    assert PROXY_PASSWORD not in shown and 'proxy-user' not in shown
    assert result['_ansible_no_log'] is True


def test_cluster_spec_result_without_proxy_credentials_is_shown(run_module, tmp_path):
    path = tmp_path / 'dev.yaml'
    path.write_text(DOCKER % PROXY.replace('proxy-user:%s@' % PROXY_PASSWORD, ''))
    result = run_spec_action(run_module, {'path': str(path)})
    assert not result.get('failed') and '_ansible_no_log' not in result
    assert json.loads(json.dumps(callback_view(result)))['cluster_name'] == 'dev'


def test_refused_inline_spec_never_shows_proxy_credentials(tmp_path, capsys, monkeypatch):
    """A refused inline spec: its invocation (the data option) and errors mask the proxy's credentials."""
    bad = (DOCKER % PROXY).replace('count: 1}\n  workerNodeGroupConfigurations', 'count: "x"}\n  workerNodeGroupConfigurations')
    monkeypatch.setattr(basic, '_ANSIBLE_ARGS', to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': {
        'data': bad, '_ansible_remote_tmp': str(tmp_path), '_ansible_keep_remote_files': False,
        '_ansible_inject_invocation': True}})))
    monkeypatch.setattr(basic, '_ANSIBLE_PROFILE', 'legacy', raising=False)
    with pytest.raises(SystemExit):
        cluster_spec.main()
    out = capsys.readouterr().out
    result = json.loads(out[out.index('{'):])
    assert result['failed'] is True and 'invocation' in result
    assert PROXY_PASSWORD not in out and 'proxy-user:' not in out


def test_cluster_context_result_with_proxy_credentials_is_never_shown(bundle_dir, monkeypatch):  # noqa: F811
    monkeypatch.setattr(bundles, 'download', lambda *a, **k: b'kind: ConfigMap\n')
    spec = {'provider': 'docker', 'cluster': {'metadata': {'name': 'mgmt'}, 'spec': {
        'kubernetesVersion': '1.33', 'workerNodeGroupConfigurations': [{'name': 'md-0'}],
        'proxyConfiguration': {'httpProxy': PROXY_URL, 'httpsProxy': PROXY_URL, 'noProxy': []}}}}
    result = action(context_action.ActionModule, {'spec': spec, 'bundle': str(bundle_dir / 'bundles.yaml'),
                                                  'output_dir': str(bundle_dir / 'out')}).run(task_vars={})
    assert not result.get('failed'), result
    assert result['spec']['cluster']['spec']['proxyConfiguration']['httpsProxy'] == PROXY_URL
    assert result['_ansible_no_log'] is True
    assert PROXY_PASSWORD not in json.dumps(callback_view(result))
    # without credentials in the proxy URLs (and no vSphere passwords), the context is shown
    spec['cluster']['spec']['proxyConfiguration'] = {'httpProxy': '10.0.0.9:3128', 'httpsProxy': '10.0.0.9:3128'}
    plain = action(context_action.ActionModule, {'spec': spec, 'bundle': str(bundle_dir / 'bundles.yaml'),
                                                 'output_dir': str(bundle_dir / 'out')}).run(task_vars={})
    assert not plain.get('failed') and '_ansible_no_log' not in plain


def test_cluster_context_refuses_a_link_at_generated(bundle_dir, monkeypatch):  # noqa: F811
    """The bundle cache goes below the output folder through common/files.py: a planted link fails naming it."""
    monkeypatch.setattr(bundles, 'download', lambda *a, **k: b'kind: ConfigMap\n')
    out = bundle_dir / 'out'
    (out / 'mgmt').mkdir(parents=True)
    (bundle_dir / 'elsewhere').mkdir()
    os.symlink(str(bundle_dir / 'elsewhere'), str(out / 'mgmt' / 'generated'))
    spec = {'provider': 'docker', 'cluster': {'metadata': {'name': 'mgmt'}, 'spec': {
        'kubernetesVersion': '1.33', 'workerNodeGroupConfigurations': [{'name': 'md-0'}]}}}
    result = action(context_action.ActionModule, {'spec': spec, 'bundle': str(bundle_dir / 'bundles.yaml'),
                                                  'output_dir': str(out)}).run(task_vars={})
    assert result['failed'] is True
    assert str(out / 'mgmt' / 'generated') in result['msg'] and 'symbolic link' in result['msg']
    assert os.listdir(str(bundle_dir / 'elsewhere')) == []


def test_docs_no_longer_admit_the_cluster_spec_limitation():
    root = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
    with open(os.path.join(root, 'docs', 'security.md')) as handle:
        text = handle.read()
    assert 'cluster_spec` returns the spec as written, so its registered result (shown by Ansible' not in text
    assert yaml is not None
