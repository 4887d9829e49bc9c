"""The modules writing into a cluster's folder go through common/files.py: no link followed, explicit modes, bounded
reads, and one run at a time (cluster_lock, as the capi_manifests action takes it)."""
import base64
import os
import stat
import sys
from unittest.mock import MagicMock

import pytest
import yaml

from ansible_collections.eksa.anywhere.plugins.module_utils.common import files
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import state
from ansible_collections.eksa.anywhere.plugins.modules import (
    cluster_kubeconfig, cluster_state, clusterctl_init, kind_bootstrap, workload_kubeconfig,
)

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'module_utils'))

from test_clusterctl import versions_bundle  # noqa: E402,F401  pylint: disable=unused-import
from test_kind_bootstrap import SPEC, fake_kind  # noqa: E402,F401  pylint: disable=unused-import

KUBECONFIG = yaml.safe_dump({'apiVersion': 'v1', 'kind': 'Config',
                             'clusters': [{'name': 'w01', 'cluster': {'server': 'https://10.0.0.1:6443'}}]}).encode()


def mode(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


@pytest.fixture
def no_wait(monkeypatch):
    monkeypatch.setattr(files, 'DEFAULT_LOCK_TIMEOUT', 0)


class FakeClient(object):
    def __init__(self, objects=None):
        self.objects = objects or {}
        self.applied = []

    def get(self, api_version, kind, name, namespace=None):
        return self.objects.get((kind, name))

    def apply(self, obj):
        self.applied.append(obj)
        return obj


def fake_k8s(monkeypatch, module, client):
    monkeypatch.setattr(module, 'k8s_from_module', lambda *a, **k: (MagicMock(), client))


def stored_state(name='w01', spec=b'kind: Cluster\n'):
    secret = state.secret(name, 'eksa-anywhere', {'kubeconfig': KUBECONFIG, 'spec': spec})
    return FakeClient({('Secret', state.secret_name(name)): secret})


# ------------------------------------------------------------------------------------------ cluster_kubeconfig
def test_cluster_kubeconfig_private_whatever_the_umask(run_module, monkeypatch, tmp_path):
    fake_k8s(monkeypatch, cluster_kubeconfig, stored_state())
    dest = tmp_path / 'out' / 'w01' / 'w01-eks-a-cluster.kubeconfig'
    old = os.umask(0)
    try:
        result, failed = run_module(cluster_kubeconfig, {'name': 'w01', 'dest': str(dest),
                                                         'spec_dest': str(dest.parent / 'w01-eks-a-cluster.yaml')})
    finally:
        os.umask(old)
    assert not failed and result['changed'], result
    assert dest.read_bytes() == KUBECONFIG and mode(dest) == 0o600 and mode(dest.parent) == 0o700
    assert mode(dest.parent / 'w01-eks-a-cluster.yaml') == 0o600
    again, failed = run_module(cluster_kubeconfig, {'name': 'w01', 'dest': str(dest)})
    assert not failed and again['changed'] is False


def test_cluster_kubeconfig_refuses_a_link_at_the_cluster_folder(run_module, monkeypatch, tmp_path):
    fake_k8s(monkeypatch, cluster_kubeconfig, stored_state())
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    (tmp_path / 'out').mkdir()
    os.symlink(str(elsewhere), str(tmp_path / 'out' / 'w01'))
    result, failed = run_module(cluster_kubeconfig, {'name': 'w01',
                                                     'dest': str(tmp_path / 'out' / 'w01' / 'w01-eks-a-cluster.kubeconfig')})
    assert failed and 'symbolic link' in result['msg'] and str(tmp_path / 'out' / 'w01') in result['msg']
    assert os.listdir(str(elsewhere)) == []


def test_cluster_kubeconfig_never_reads_through_a_link_at_dest(run_module, monkeypatch, tmp_path):
    """A link at dest to a file already holding the kubeconfig: refused, not reported unchanged."""
    fake_k8s(monkeypatch, cluster_kubeconfig, stored_state())
    target = tmp_path / 'target'
    target.write_bytes(KUBECONFIG)
    target.chmod(0o600)
    dest = tmp_path / 'kube' / 'config'
    dest.parent.mkdir()
    os.symlink(str(target), str(dest))
    result, failed = run_module(cluster_kubeconfig, {'name': 'w01', 'dest': str(dest)})
    assert failed and 'symbolic link' in result['msg'] and result['path'] == str(dest)


def test_cluster_kubeconfig_waits_for_the_cluster_lock(run_module, monkeypatch, tmp_path, no_wait):
    fake_k8s(monkeypatch, cluster_kubeconfig, stored_state())
    folder = tmp_path / 'out' / 'w01'
    with files.cluster_lock(str(folder), what='another run'):
        result, failed = run_module(cluster_kubeconfig, {'name': 'w01', 'dest': str(folder / 'w01-eks-a-cluster.kubeconfig')})
    assert failed and 'in use by pid %d (another run' % os.getpid() in result['msg']
    assert not (folder / 'w01-eks-a-cluster.kubeconfig').exists()


def test_cluster_kubeconfig_check_mode_writes_nothing(run_module, monkeypatch, tmp_path):
    fake_k8s(monkeypatch, cluster_kubeconfig, stored_state())
    folder = tmp_path / 'out' / 'w01'
    result, failed = run_module(cluster_kubeconfig, {'name': 'w01', 'dest': str(folder / 'w01-eks-a-cluster.kubeconfig')},
                                check_mode=True)
    assert not failed and result['changed'] and not folder.exists()


# ------------------------------------------------------------------------------------------ workload_kubeconfig
def test_workload_kubeconfig_waits_for_the_cluster_lock(run_module, monkeypatch, tmp_path, no_wait):
    secret = {'data': {'value': base64.b64encode(KUBECONFIG).decode()}}
    fake_k8s(monkeypatch, workload_kubeconfig, FakeClient({('Secret', 'w01-kubeconfig'): secret}))
    folder = tmp_path / 'out' / 'w01'
    dest = folder / 'w01-eks-a-cluster.kubeconfig'
    with files.cluster_lock(str(folder), what='another run'):
        result, failed = run_module(workload_kubeconfig, {'name': 'w01', 'dest': str(dest)})
    assert failed and 'in use by pid %d (another run' % os.getpid() in result['msg'] and not dest.exists()
    result, failed = run_module(workload_kubeconfig, {'name': 'w01', 'dest': str(dest)})
    assert not failed and result['changed'] and dest.read_bytes() == KUBECONFIG and mode(dest) == 0o600


def test_workload_kubeconfig_outside_a_cluster_tree_leaves_the_folders_above_alone(run_module, monkeypatch, tmp_path):
    """A dest such as /tmp/x.kubeconfig: its folder's parent (here tmp_path, standing in for /) keeps its mode."""
    secret = {'data': {'value': base64.b64encode(KUBECONFIG).decode()}}
    fake_k8s(monkeypatch, workload_kubeconfig, FakeClient({('Secret', 'w01-kubeconfig'): secret}))
    shared = tmp_path / 'shared'
    shared.mkdir()
    os.chmod(str(shared), 0o1777)
    os.chmod(str(tmp_path), 0o755)
    dest = shared / 'w01.kubeconfig'
    result, failed = run_module(workload_kubeconfig, {'name': 'w01', 'dest': str(dest)})
    assert not failed and dest.read_bytes() == KUBECONFIG and mode(dest) == 0o600
    assert mode(shared) == 0o1777 and mode(tmp_path) == 0o755


# ------------------------------------------------------------------------------------------ cluster_state
def test_cluster_state_reads_the_kubeconfig_bounded_and_never_through_a_link(run_module, monkeypatch, tmp_path):
    client = FakeClient({('Namespace', 'eksa-anywhere'): {'kind': 'Namespace'}})
    fake_k8s(monkeypatch, cluster_state, client)
    folder = tmp_path / 'out' / 'w01'
    folder.mkdir(parents=True)
    target = tmp_path / 'target'
    target.write_bytes(KUBECONFIG)
    os.symlink(str(target), str(folder / 'w01-eks-a-cluster.kubeconfig'))
    result, failed = run_module(cluster_state, {'name': 'w01', 'kubeconfig_path': str(folder / 'w01-eks-a-cluster.kubeconfig')})
    assert failed and 'symbolic link' in result['msg'] and client.applied == []
    fifo = tmp_path / 'fifo'
    os.mkfifo(str(fifo))
    result, failed = run_module(cluster_state, {'name': 'w01', 'kubeconfig_path': str(fifo)})
    assert failed and 'FIFO' in result['msg'] and result['path'] == str(fifo)
    big = tmp_path / 'big.kubeconfig'
    big.write_bytes(b'#' * (cluster_state.MAX_KUBECONFIG_BYTES + 1))
    result, failed = run_module(cluster_state, {'name': 'w01', 'kubeconfig_path': str(big)})
    assert failed and 'larger than' in result['msg']
    os.unlink(str(folder / 'w01-eks-a-cluster.kubeconfig'))
    (folder / 'w01-eks-a-cluster.kubeconfig').write_bytes(KUBECONFIG)
    result, failed = run_module(cluster_state, {'name': 'w01', 'kubeconfig_path': str(folder / 'w01-eks-a-cluster.kubeconfig')})
    assert not failed and result['changed'] and result['stored_keys'] == ['kubeconfig']


# ------------------------------------------------------------------------------------------ kind_bootstrap
def test_kind_bootstrap_waits_for_the_cluster_lock_and_keeps_the_folders_private(run_module, fake_kind, tmp_path,  # noqa: F811
                                                                                  monkeypatch, no_wait):
    binary, log = fake_kind
    monkeypatch.setenv('FAKE_KIND_CLUSTERS', '')
    out = tmp_path / 'out'
    args = {'name': 'mgmt', 'spec': SPEC, 'node_image': 'kind/node:v1', 'output_dir': str(out), 'binary_path': binary,
            'wait_timeout': 1}
    with files.cluster_lock(str(out / 'mgmt'), what='another run'):
        result, failed = run_module(kind_bootstrap, args)
    assert failed and 'in use by pid %d (another run' % os.getpid() in result['msg']
    assert 'create cluster' not in log.read_text() and not (out / 'mgmt' / 'generated').exists()
    result, failed = run_module(kind_bootstrap, args)
    assert 'create cluster' in log.read_text()  # fails later: the stand-in makes no API server
    # the registry mirror's certs.d is 0755 for the node; the cluster's folders stay 0700
    assert mode(out / 'mgmt') == 0o700 and mode(out / 'mgmt' / 'generated') == 0o700
    assert mode(out / 'mgmt' / 'generated' / 'kind_tmp.yaml') == 0o600
    assert mode(out / 'mgmt' / 'generated' / 'kind-certs.d') == 0o755


# ------------------------------------------------------------------------------------------ clusterctl_init
def test_clusterctl_init_waits_for_the_cluster_lock(run_module, monkeypatch, tmp_path, versions_bundle, no_wait):  # noqa: F811
    fake_k8s(monkeypatch, clusterctl_init, FakeClient())
    monkeypatch.setattr(clusterctl_init.clusterctl, 'installed_providers', lambda client: {})
    repo = tmp_path / 'out' / 'mgmt' / 'generated' / 'clusterctl'
    with files.cluster_lock(str(tmp_path / 'out' / 'mgmt'), what='another run'):
        result, failed = run_module(clusterctl_init, {'versions_bundle': versions_bundle, 'repository_dir': str(repo),
                                                      'binary_path': str(tmp_path / 'no-clusterctl'), 'wait': False})
    assert failed and 'in use by pid %d (another run' % os.getpid() in result['msg'] and result['path'] == str(tmp_path / 'out' / 'mgmt')
    assert not repo.exists()
