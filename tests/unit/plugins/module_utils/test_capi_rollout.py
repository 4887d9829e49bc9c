"""capi.rollout: stage split, rollout states (observed generation, up to date, outdated machines), removed groups, wait."""
import pytest

from test_capi_support import reference_docs, render

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import rollout

CAPI = 'cluster.x-k8s.io/v1beta2'


@pytest.fixture(scope='module')
def objects():
    return render(reference_docs('cluster_main.yaml'))


def test_stages_split_every_object_once(objects):
    staged = [o for stage in rollout.STAGES for o in rollout.stage_objects(objects, stage)]
    assert sorted(id(o) for o in staged) == sorted(id(o) for o in objects)
    assert [o['kind'] for o in rollout.stage_objects(objects, 'control_plane')] == ['KubeadmControlPlane']
    assert [o['kind'] for o in rollout.stage_objects(objects, 'etcd')] == ['EtcdadmCluster']
    assert sorted(o['kind'] for o in rollout.stage_objects(objects, 'workers')) == ['MachineDeployment', 'MachineHealthCheck']
    infra = set(o['kind'] for o in rollout.stage_objects(objects, 'infrastructure'))
    assert {'VSphereMachineTemplate', 'KubeadmConfigTemplate', 'Secret', 'Cluster'} <= infra
    assert rollout.stage_objects(objects, 'cleanup') == []


class Client(object):
    def __init__(self, objs):
        self.objs = objs

    def get(self, api_version, kind, name, namespace=None):
        for o in self.objs:
            if o['kind'] == kind and o['metadata']['name'] == name:
                return o
        return None

    def list(self, api_version, kind, namespace=None, label_selector=None):
        out = [o for o in self.objs if o['kind'] == kind]
        if label_selector:
            key, value = label_selector.split('=')
            out = [o for o in out if (o['metadata'].get('labels') or {}).get(key) == value]
        return out


def kcp(generation, observed, replicas, up, ready, have):
    return {'kind': 'KubeadmControlPlane', 'metadata': {'name': 'test', 'generation': generation},
            'spec': {'replicas': replicas},
            'status': {'observedGeneration': observed, 'replicas': have, 'upToDateReplicas': up, 'readyReplicas': ready}}


@pytest.mark.parametrize('obj, done, text', [
    (kcp(2, 1, 3, 3, 3, 3), False, 'waiting for the controller'),
    (kcp(2, 2, 3, 1, 4, 4), False, '1/3 up to date, 4 machine(s)'),
    (kcp(2, 2, 3, 3, 3, 4), False, '3/3 up to date, 4 machine(s)'),  # an outdated machine left
    (kcp(2, 2, 3, 3, 3, 3), True, '3/3 up to date, 3 machine(s)'),
])
def test_control_plane_rolled_out_only_when_every_machine_is_new_and_no_old_is_left(objects, obj, done, text):
    state = rollout.stage_state(Client([obj]), 'test', 'control_plane', objects)
    assert state['done'] is done and text in state['line']


def machine(name, labels, infra):
    return {'kind': 'Machine', 'metadata': {'name': name, 'labels': labels}, 'spec': {'infrastructureRef': {'name': infra}}}


def vsm(name, template):
    return {'kind': 'VSphereMachine', 'metadata': {'name': name, 'labels': {'cluster.x-k8s.io/cluster-name': 'test'},
                                                   'annotations': {rollout.CLONED_FROM: template}}}


def test_etcd_members_must_all_come_from_the_new_template(objects):
    etcd = {'kind': 'EtcdadmCluster', 'metadata': {'name': 'test-etcd', 'generation': 3},
            'spec': {'replicas': 2, 'infrastructureTemplate': {'name': 'test-etcd-2'}},
            'status': {'observedGeneration': 3, 'ready': True}}
    lbl = {'cluster.x-k8s.io/etcd-cluster': 'test-etcd'}
    half = [etcd, machine('e1', lbl, 'e1'), machine('e2', lbl, 'e2'), vsm('e1', 'test-etcd-2'), vsm('e2', 'test-etcd-1')]
    state = rollout.stage_state(Client(half), 'test', 'etcd', objects)
    assert not state['done'] and '1/2 up to date' in state['line']
    half[-1] = vsm('e2', 'test-etcd-2')
    assert rollout.stage_state(Client(half), 'test', 'etcd', objects)['done']


def test_removed_groups_and_cleanup_state(objects):
    old_md = {'kind': 'MachineDeployment', 'metadata': {'name': 'test-md-9'}, 'spec': {'clusterName': 'test'}}
    other = {'kind': 'MachineDeployment', 'metadata': {'name': 'x-md-0'}, 'spec': {'clusterName': 'x'}}
    kept = {'kind': 'MachineDeployment', 'metadata': {'name': 'test-md-0'}, 'spec': {'clusterName': 'test'}}
    client = Client([old_md, other, kept])
    assert rollout.removed_groups(client, 'test', objects) == ['test-md-9']
    state = rollout.stage_state(client, 'test', 'cleanup', objects)
    assert not state['done'] and 'test-md-9: to delete' in state['line']
    leftover = machine('m1', {'cluster.x-k8s.io/cluster-name': 'test', 'cluster.x-k8s.io/deployment-name': 'test-md-9'}, 'm1')
    assert not rollout.stage_state(Client([kept, leftover]), 'test', 'cleanup', objects)['done']
    assert rollout.stage_state(Client([kept]), 'test', 'cleanup', objects)['done']


def test_wait_times_out_naming_the_stage_and_how_to_resume(objects):
    ticks = iter(range(0, 10000, 7))
    with pytest.raises(rollout.RolloutFailed) as err:
        rollout.wait_stage(Client([kcp(2, 2, 3, 1, 3, 4)]), 'test', 'control_plane', objects, timeout=20,
                           clock=lambda: next(ticks), sleeper=lambda s: None)
    assert 'control plane of cluster test' in err.value.message and 'run the same command again' in err.value.message
