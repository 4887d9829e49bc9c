"""Upgrade validations (EKS Anywhere's rules) and the upgrade plan, on the reference specs."""
import copy
import os

import pytest

from test_capi_support import BUNDLES, CREDS, load, reference_docs

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import plan as capi_plan
from ansible_collections.eksa.anywhere.plugins.module_utils.capi import render as capi_render
from ansible_collections.eksa.anywhere.plugins.module_utils.spec import upgrade
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import SpecError


def docs_of(name='cluster_main.yaml'):
    return reference_docs(name)


def obj(docs, kind, name=None):
    return [d for d in docs if d['kind'] == kind and (name is None or d['metadata']['name'] == name)][0]


def problems(old_docs, new_docs):
    return upgrade.validate_upgrade(load(old_docs), load(new_docs))


def one(found, field):
    assert [p.field for p in found] == [field], [str(p) for p in found]
    return found[0]


def test_same_spec_has_no_problem():
    assert problems(docs_of(), docs_of()) == []


@pytest.mark.parametrize('mutate, field, old, new', [
    (lambda d: obj(d, 'Cluster')['spec']['controlPlaneConfiguration']['endpoint'].update(host='1.2.3.5'),
     'spec.controlPlaneConfiguration.endpoint.host', '1.2.3.4', '1.2.3.5'),
    (lambda d: obj(d, 'Cluster')['spec']['clusterNetwork']['pods'].update(cidrBlocks=['10.0.0.0/16']),
     'spec.clusterNetwork.pods', {'cidrBlocks': ['192.168.0.0/16']}, {'cidrBlocks': ['10.0.0.0/16']}),
    (lambda d: obj(d, 'Cluster')['spec']['clusterNetwork']['services'].update(cidrBlocks=['10.97.0.0/16']),
     'spec.clusterNetwork.services', {'cidrBlocks': ['10.96.0.0/12']}, {'cidrBlocks': ['10.97.0.0/16']}),
    (lambda d: obj(d, 'VSphereDatacenterConfig')['spec'].update(server='other-server'),
     'spec.server', 'vsphere_server', 'other-server'),
    (lambda d: obj(d, 'VSphereDatacenterConfig')['spec'].update(datacenter='DC2'),
     'spec.datacenter', 'SDDC-Datacenter', 'DC2'),
    (lambda d: obj(d, 'VSphereDatacenterConfig')['spec'].update(network='/SDDC-Datacenter/network/other'),
     'spec.network', '/SDDC-Datacenter/network/sddc-cgw-network-1', '/SDDC-Datacenter/network/other'),
    (lambda d: obj(d, 'VSphereDatacenterConfig')['spec'].update(thumbprint='XYZ'), 'spec.thumbprint', 'ABCDEFG', 'XYZ'),
    (lambda d: obj(d, 'VSphereMachineConfig', 'test-wn')['spec'].update(storagePolicyName='Gold'),
     'spec.storagePolicyName', 'vSAN Default Storage Policy', 'Gold'),
    (lambda d: [mc['spec'].update(osFamily='bottlerocket', users=[dict(mc['spec']['users'][0], name='ec2-user')])
                for mc in d if mc['kind'] == 'VSphereMachineConfig'],
     'spec.osFamily', 'ubuntu', 'bottlerocket'),
])
def test_immutable_field_is_refused_naming_field_and_values(mutate, field, old, new):
    new_docs = docs_of()
    mutate(new_docs)
    found = problems(docs_of(), new_docs)
    assert field in [p.field for p in found], [str(p) for p in found]
    problem = [p for p in found if p.field == field][0]
    assert (problem.old, problem.new) == (old, new)
    text = str(problem)
    assert field in text and 'previous value' in text and 'EKS Anywhere' in text


def test_stacked_to_external_etcd_is_refused():
    found = problems(reference_docs('cluster_main_stacked_etcd.yaml'), docs_of())
    assert 'spec.externalEtcdConfiguration' in [p.field for p in found]
    assert 'stacked to external' in [p for p in found if p.field == 'spec.externalEtcdConfiguration'][0].message


def test_management_cluster_name_is_immutable():
    new_docs = docs_of()
    obj(new_docs, 'Cluster')['spec']['managementCluster'] = {'name': 'other'}
    problem = one(problems(docs_of(), new_docs), 'spec.managementCluster.name')
    assert problem.rule == 'management'


@pytest.mark.parametrize('old, new, ok', [
    ('1.19', '1.20', True), ('1.19', '1.19', True), ('1.19', '1.21', False), ('1.20', '1.19', False),
])
def test_one_minor_version_at_a_time(old, new, ok):
    old_docs, new_docs = docs_of(), docs_of()
    obj(old_docs, 'Cluster')['spec']['kubernetesVersion'] = old
    obj(new_docs, 'Cluster')['spec']['kubernetesVersion'] = new
    found = problems(old_docs, new_docs)
    if ok:
        assert found == []
    else:
        problem = one(found, 'spec.kubernetesVersion')
        assert (problem.old, problem.new) == (old, new)
        assert 'downgrade' in problem.message or 'one minor version at a time' in problem.message


def test_worker_version_skew():
    old_docs, new_docs = docs_of(), docs_of()
    obj(old_docs, 'Cluster')['spec']['kubernetesVersion'] = '1.20'
    obj(new_docs, 'Cluster')['spec']['kubernetesVersion'] = '1.21'
    obj(new_docs, 'Cluster')['spec']['workerNodeGroupConfigurations'][0]['kubernetesVersion'] = '1.20'
    assert problems(old_docs, new_docs) == []          # a group may stay one version behind
    # a group ahead of the control plane is refused by the spec's own validation (EKS Anywhere's wording)
    obj(new_docs, 'Cluster')['spec']['workerNodeGroupConfigurations'][0]['kubernetesVersion'] = '1.22'
    with pytest.raises(SpecError) as err:
        problems(old_docs, new_docs)
    assert 'cannot be greater than cluster KubernetesVersion 1.21' in str(err.value)
    # a group left 3 versions behind the upgraded control plane
    old_docs, new_docs = docs_of(), docs_of()
    obj(old_docs, 'Cluster')['spec']['kubernetesVersion'] = '1.22'
    obj(old_docs, 'Cluster')['spec']['workerNodeGroupConfigurations'][0]['kubernetesVersion'] = '1.20'
    obj(new_docs, 'Cluster')['spec']['kubernetesVersion'] = '1.23'
    obj(new_docs, 'Cluster')['spec']['workerNodeGroupConfigurations'][0]['kubernetesVersion'] = '1.20'
    with pytest.raises(SpecError) as err:  # the spec's own validation, before any upgrade rule
        problems(old_docs, new_docs)
    assert 'cannot be more than 2 minor versions greater than worker node group KubernetesVersion 1.20' in str(err.value)


def test_removing_a_worker_pin_while_upgrading_is_refused():
    old_docs, new_docs = docs_of(), docs_of()
    obj(old_docs, 'Cluster')['spec']['workerNodeGroupConfigurations'][0]['kubernetesVersion'] = '1.19'
    obj(new_docs, 'Cluster')['spec']['kubernetesVersion'] = '1.20'
    found = problems(old_docs, new_docs)
    assert any("can't simultaneously remove worker kubernetesVersion" in p.message for p in found)


def test_every_problem_is_listed_at_once():
    new_docs = docs_of()
    obj(new_docs, 'Cluster')['spec']['controlPlaneConfiguration']['endpoint']['host'] = '1.2.3.9'
    obj(new_docs, 'VSphereDatacenterConfig')['spec']['server'] = 'x'
    found = problems(docs_of(), new_docs)
    assert len(found) == 2
    message = upgrade.format_problems(found)
    assert '2 problems' in message and '1.2.3.9' in message and 'vsphere_server' in message


def test_every_rule_names_its_source():
    for rule, (what, source) in upgrade.RULES.items():
        assert what and source.startswith('pkg/'), rule


# ------------------------------------------------------------------------------------------------ plan
# the fixture bundle's 1.20 entry names an EKS-D manifest the fixtures do not carry: the 1.21 one stands in for it
EKSD_121 = os.path.join(os.path.dirname(BUNDLES), 'kubernetes-1-21-eks-4.yaml')


def plan_of(old_docs, new_docs):
    old_spec, new_spec = load(old_docs), load(new_docs)
    current = capi_render.render(old_spec, BUNDLES, credentials=CREDS)
    eksd = EKSD_121 if new_spec['cluster']['spec']['kubernetesVersion'] == '1.20' else None
    new = capi_render.render(new_spec, BUNDLES, credentials=CREDS, previous=current, eksd=eksd)
    return capi_plan.upgrade_plan(old_spec, new_spec, current, new)


def test_plan_of_the_same_spec_changes_nothing():
    plan = plan_of(docs_of(), docs_of())
    assert not plan['upgrade_needed'] and plan['templates'] == [] and plan['order'] == []
    assert plan['machines'] == {'replaced': 0, 'added': 0, 'removed': 0}
    assert capi_plan.summary_lines(plan) == ['No upgrade needed: the cluster already matches the spec']


def test_plan_of_a_scale_renames_nothing_and_replaces_nothing():
    new_docs = docs_of()
    obj(new_docs, 'Cluster')['spec']['workerNodeGroupConfigurations'][0]['count'] = 5
    obj(new_docs, 'Cluster')['spec']['controlPlaneConfiguration']['count'] = 1
    plan = plan_of(docs_of(), new_docs)
    assert plan['scale_only'] and plan['templates'] == []
    assert plan['worker_groups']['test-md-0']['action'] == 'scale'
    assert plan['control_plane']['action'] == 'scale'
    assert plan['machines'] == {'replaced': 0, 'added': 2, 'removed': 2}


def test_plan_of_a_memory_change_rolls_exactly_that_group():
    docs = reference_docs('cluster_main_multiple_worker_node_groups.yaml')
    new_docs = copy.deepcopy(docs)
    group = obj(new_docs, 'Cluster')['spec']['workerNodeGroupConfigurations'][0]
    mc = obj(new_docs, 'VSphereMachineConfig', group['machineGroupRef']['name'])
    users = [g for g in obj(new_docs, 'Cluster')['spec']['workerNodeGroupConfigurations']
             if g['machineGroupRef']['name'] == mc['metadata']['name']]
    mc['spec']['memoryMiB'] = mc['spec']['memoryMiB'] * 2
    plan = plan_of(docs, new_docs)
    rolled = sorted(n for n, g in plan['worker_groups'].items() if g['action'] == 'roll')
    assert rolled == sorted('test-%s' % g['name'] for g in users)
    assert plan['control_plane']['action'] == 'none'
    assert not plan['scale_only']
    for tpl in plan['templates']:
        assert tpl['new'] == tpl['previous'][:-1] + '2' and tpl['kind'] == 'VSphereMachineTemplate'
    assert plan['machines']['replaced'] == sum(g['count'] for g in users)


def test_plan_of_a_version_upgrade_rolls_control_plane_etcd_then_workers():
    new_docs = docs_of()
    obj(new_docs, 'Cluster')['spec']['kubernetesVersion'] = '1.20'
    plan = plan_of(docs_of(), new_docs)
    assert [o['group'] for o in plan['order']] == ['control_plane', 'etcd', 'worker_group/test-md-0']
    assert all(o['action'] == 'roll' for o in plan['order'])
    assert plan['control_plane']['version'][1] != plan['control_plane']['version'][0]
    assert plan['machines'] == {'replaced': 9, 'added': 0, 'removed': 0}
    assert any('spec.kubernetesVersion: 1.19 -> 1.20' in line for line in capi_plan.summary_lines(plan))


def test_plan_of_added_and_removed_groups():
    new_docs = docs_of()
    groups = obj(new_docs, 'Cluster')['spec']['workerNodeGroupConfigurations']
    groups[0] = dict(groups[0], name='md-1', count=2)
    plan = plan_of(docs_of(), new_docs)
    assert plan['worker_groups']['test-md-0']['action'] == 'remove'
    assert plan['worker_groups']['test-md-1']['action'] == 'add'
    assert plan['machines'] == {'replaced': 0, 'added': 2, 'removed': 3}


# ------------------------------------------------------------------------------------------------ the action plugin
def run_plan(args, check_mode=False):
    from unittest.mock import MagicMock
    from ansible_collections.eksa.anywhere.plugins.action.upgrade_plan import ActionModule
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = False
    task.async_val = 0
    action = ActionModule(task, MagicMock(), MagicMock(check_mode=check_mode, diff=False), loader=None, templar=None,
                          shared_loader_obj=None)
    return action.run(task_vars={})


def write_generated(tmp_path, docs):
    objects = capi_render.render(load(docs), BUNDLES, credentials=CREDS)
    capi_render.write_manifests(objects, str(tmp_path), 'test')
    return sorted(os.listdir(str(tmp_path / 'test' / 'generated')))


@pytest.mark.parametrize('check_mode', [False, True])
def test_action_plans_a_scale_and_writes_nothing(tmp_path, check_mode):
    before = write_generated(tmp_path, docs_of())
    gen = tmp_path / 'test' / 'generated'
    stamp = dict((n, (gen / n).read_bytes()) for n in before)
    new_docs = docs_of()
    obj(new_docs, 'Cluster')['spec']['workerNodeGroupConfigurations'][0]['count'] = 4
    result = run_plan({'spec': load(new_docs), 'current': load(docs_of()), 'bundle': BUNDLES,
                       'output_dir': str(tmp_path)}, check_mode=check_mode)
    assert not result.get('failed'), result
    assert result['changed'] is False and result['scale_only'] and result['upgrade_needed']
    assert result['plan']['worker_groups']['test-md-0']['added'] == 1
    assert dict((n, (gen / n).read_bytes()) for n in sorted(os.listdir(str(gen)))) == stamp


def test_action_refuses_an_immutable_change_listing_every_problem(tmp_path):
    write_generated(tmp_path, docs_of())
    new_docs = docs_of()
    obj(new_docs, 'Cluster')['spec']['controlPlaneConfiguration']['endpoint']['host'] = '1.2.3.9'
    obj(new_docs, 'Cluster')['spec']['kubernetesVersion'] = '1.21'
    result = run_plan({'spec': load(new_docs), 'current': load(docs_of()), 'bundle': BUNDLES, 'output_dir': str(tmp_path)})
    assert result['failed'] and 'plan' not in result
    assert sorted(p['field'] for p in result['problems']) == ['spec.controlPlaneConfiguration.endpoint.host',
                                                              'spec.kubernetesVersion']
    assert '1.2.3.4' in result['msg'] and '1.2.3.9' in result['msg'] and 'one minor version at a time' in result['msg']


def test_action_without_generated_manifests_says_what_to_give(tmp_path):
    result = run_plan({'spec': load(docs_of()), 'current': load(docs_of()), 'bundle': BUNDLES, 'output_dir': str(tmp_path)})
    assert result['failed'] and 'previous' in result['msg']


def test_action_without_current_or_kubeconfig_says_what_to_give(tmp_path, monkeypatch):
    monkeypatch.delenv('K8S_AUTH_KUBECONFIG', raising=False)
    result = run_plan({'spec': load(docs_of()), 'bundle': BUNDLES, 'output_dir': str(tmp_path)})
    assert result['failed'] and 'kubeconfig' in result['msg']


def test_running_objects_are_read_back_as_a_spec():
    from ansible_collections.eksa.anywhere.plugins.module_utils.spec import running
    docs = docs_of()
    store = {}
    for doc in docs:
        served = copy.deepcopy(doc)
        served['metadata'].update(uid='x', resourceVersion='1', annotations={'anywhere.eks.amazonaws.com/managed-by-cli': 'true'})
        served['status'] = {'ready': True}
        store[(doc['kind'], doc['metadata']['name'])] = served

    class Client(object):
        def get(self, api_version, kind, name, namespace=None):
            assert namespace == 'test-namespace'
            return store.get((kind, name))

    objects = running.read_running_objects(Client(), 'test', 'test-namespace')
    assert sorted((o['kind'], o['metadata']['name']) for o in objects) == sorted(store)
    assert all(set(o) <= {'apiVersion', 'kind', 'metadata', 'spec'} and set(o['metadata']) == {'name', 'namespace'}
               for o in objects)
    assert upgrade.validate_upgrade(load(objects), load(docs)) == []
    with pytest.raises(running.RunningSpecError) as err:
        running.read_running_objects(Client(), 'other', 'test-namespace')
    assert 'Cluster other' in err.value.message


# --- the manifests kept in the cluster's state Secret (a day-2 job in a new folder plans against them) --------------

def _rendered(docs):
    spec = load(docs)
    return spec, capi_render.render(spec, BUNDLES, credentials=CREDS)


def test_stored_manifests_leave_the_secrets_out_and_plan_as_the_folder_does():
    old_spec, current = _rendered(docs_of())
    assert any(o['kind'] == 'Secret' for o in current)
    text = capi_render.stored_manifests(current)
    assert '\nkind: Secret\n' not in text and CREDS['password'] not in text  # referenced by name only
    stored = capi_render.objects_from_stored(text.encode('utf-8'), 'Secret eksa-anywhere/test-eksa-anywhere-state')
    assert stored == [o for o in current if o['kind'] != 'Secret']
    new_docs = docs_of()
    obj(new_docs, 'Cluster')['spec']['workerNodeGroupConfigurations'][0]['count'] = 5
    new_spec = load(new_docs)
    new = capi_render.render(new_spec, BUNDLES, credentials=CREDS, previous=stored, eksd=None)
    assert capi_plan.upgrade_plan(old_spec, new_spec, stored, new) == \
        capi_plan.upgrade_plan(old_spec, new_spec, current,
                               capi_render.render(new_spec, BUNDLES, credentials=CREDS, previous=current,
                                                  eksd=None))


@pytest.mark.parametrize('data, says', [
    (b'kind: [unclosed', 'cannot be read'),
    (b'kind: ConfigMap\n', 'hold no KubeadmControlPlane'),
    (b'a' * (capi_render.MAX_STORED_MANIFESTS_BYTES + 1), 'larger than'),
])
def test_unusable_stored_manifests_are_refused_naming_the_secret(data, says):
    with pytest.raises(capi_render.RenderError) as err:
        capi_render.objects_from_stored(data, 'Secret eksa-anywhere/x-eksa-anywhere-state')
    assert says in err.value.message and 'eksa-anywhere/x-eksa-anywhere-state' in err.value.message
    assert err.value.field == 'previous'


def test_manifests_without_a_control_plane_are_not_stored():
    with pytest.raises(capi_render.RenderError):
        capi_render.stored_manifests([{'kind': 'ConfigMap', 'metadata': {'name': 'x'}}])
