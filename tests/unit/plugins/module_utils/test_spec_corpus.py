# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""A corpus of invalid specs generated from the valid EKS Anywhere references.

Every field of every object of every loadable reference is retyped, gets an unknown sibling,
is dropped when EKS Anywhere requires it, or is corrupted; every document is duplicated, given
a wrong apiVersion/kind or moved to another namespace.  Each mutant must raise SpecError (never
another exception) with a problem naming the object and the field.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import os

import pytest
import yaml

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import SpecError, normalize

from conftest import SHARED_DIR

REFERENCE_DIR = os.path.join(SHARED_DIR, 'eksa-reference', 'vsphere')
LOADABLE = ['cluster_main.yaml', 'cluster_main_br.yaml', 'cluster_main_multiple_worker_node_groups.yaml',
            'cluster_main_stacked_etcd.yaml', 'cluster_with_networks.yaml']
# Retyping/extending long key lists would only repeat the same check on every element.
SKIP_RETYPE_UNDER = ('spec.users[0].sshAuthorizedKeys[',)

# (kind, dropped path, path of the expected error)
REQUIRED = [
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'endpoint', 'host'), 'spec.controlPlaneConfiguration.endpoint.host'),
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'endpoint'), 'spec.controlPlaneConfiguration.endpoint.host'),
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'count'), 'spec.controlPlaneConfiguration.count'),
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'machineGroupRef'), 'spec.controlPlaneConfiguration.machineGroupRef'),
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'machineGroupRef', 'name'), 'spec.controlPlaneConfiguration.machineGroupRef.name'),
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'machineGroupRef', 'kind'), 'spec.controlPlaneConfiguration.machineGroupRef.kind'),
    ('Cluster', ('spec', 'datacenterRef'), 'spec.datacenterRef'),
    ('Cluster', ('spec', 'datacenterRef', 'name'), 'spec.datacenterRef.name'),
    ('Cluster', ('spec', 'datacenterRef', 'kind'), 'spec.datacenterRef'),
    ('Cluster', ('spec', 'clusterNetwork', 'pods'), 'spec.clusterNetwork.pods.cidrBlocks'),
    ('Cluster', ('spec', 'clusterNetwork', 'services'), 'spec.clusterNetwork.services.cidrBlocks'),
    ('Cluster', ('spec', 'clusterNetwork', 'cni'), 'spec.clusterNetwork.cniConfig'),
    ('Cluster', ('spec', 'workerNodeGroupConfigurations'), 'spec.workerNodeGroupConfigurations'),
    ('Cluster', ('spec', 'workerNodeGroupConfigurations', 0, 'machineGroupRef'), 'spec.workerNodeGroupConfigurations[0].machineGroupRef'),
    ('Cluster', ('spec', 'externalEtcdConfiguration', 'count'), 'spec.externalEtcdConfiguration.count'),
    ('Cluster', ('spec', 'externalEtcdConfiguration', 'machineGroupRef'), 'spec.externalEtcdConfiguration.machineGroupRef'),
    ('Cluster', ('spec', 'kubernetesVersion'), 'spec.kubernetesVersion'),
    ('Cluster', ('metadata', 'name'), 'metadata.name'),
    ('VSphereDatacenterConfig', ('spec', 'server'), 'spec.server'),
    ('VSphereDatacenterConfig', ('spec', 'datacenter'), 'spec.datacenter'),
    ('VSphereDatacenterConfig', ('spec', 'network'), 'spec.network'),
    ('VSphereDatacenterConfig', ('metadata', 'name'), 'metadata.name'),
    ('VSphereMachineConfig', ('spec', 'datastore'), 'spec.datastore'),
    ('VSphereMachineConfig', ('spec', 'resourcePool'), 'spec.resourcePool'),
    ('VSphereMachineConfig', ('metadata', 'name'), 'metadata.name'),
]

# (kind, path, corrupt value, path of the expected error)
CORRUPT = [
    ('Cluster', ('metadata', 'name'), '1-starts-with-a-digit', 'metadata.name'),
    ('Cluster', ('metadata', 'name'), 'x' * 36, 'metadata.name'),
    ('Cluster', ('metadata', 'name'), 'under_score', 'metadata.name'),
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'count'), 0, 'spec.controlPlaneConfiguration.count'),
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'count'), -3, 'spec.controlPlaneConfiguration.count'),
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'endpoint', 'host'), '', 'spec.controlPlaneConfiguration.endpoint.host'),
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'endpoint', 'host'), 'not a host!', 'spec.controlPlaneConfiguration.endpoint.host'),
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'machineGroupRef', 'name'), 'missing-mc',
     'spec.controlPlaneConfiguration.machineGroupRef.name'),
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'machineGroupRef', 'kind'), 'DockerMachineConfig',
     'spec.controlPlaneConfiguration.machineGroupRef.kind'),
    ('Cluster', ('spec', 'datacenterRef', 'name'), 'missing-dc', 'spec.datacenterRef.name'),
    ('Cluster', ('spec', 'datacenterRef', 'kind'), 'TinkerbellDatacenterConfig', 'spec.datacenterRef.kind'),
    ('Cluster', ('spec', 'kubernetesVersion'), 'latest', 'spec.kubernetesVersion'),
    ('Cluster', ('spec', 'clusterNetwork', 'pods', 'cidrBlocks'), ['192.168.0.0/33'], 'spec.clusterNetwork.pods.cidrBlocks[0]'),
    ('Cluster', ('spec', 'clusterNetwork', 'pods', 'cidrBlocks'), ['192.168.0.0'], 'spec.clusterNetwork.pods.cidrBlocks[0]'),
    ('Cluster', ('spec', 'clusterNetwork', 'pods', 'cidrBlocks'), ['pods'], 'spec.clusterNetwork.pods.cidrBlocks[0]'),
    ('Cluster', ('spec', 'clusterNetwork', 'pods', 'cidrBlocks'), [], 'spec.clusterNetwork.pods.cidrBlocks'),
    ('Cluster', ('spec', 'clusterNetwork', 'pods', 'cidrBlocks'), ['10.0.0.0/16', '10.1.0.0/16'], 'spec.clusterNetwork.pods.cidrBlocks'),
    ('Cluster', ('spec', 'clusterNetwork', 'pods', 'cidrBlocks'), ['192.168.0.0/25'], 'spec.clusterNetwork.nodes.cidrMaskSize'),
    ('Cluster', ('spec', 'clusterNetwork', 'services', 'cidrBlocks'), ['10.96.0.0/40'], 'spec.clusterNetwork.services.cidrBlocks[0]'),
    ('Cluster', ('spec', 'clusterNetwork', 'services', 'cidrBlocks'), [], 'spec.clusterNetwork.services.cidrBlocks'),
    ('Cluster', ('spec', 'clusterNetwork', 'nodes'), {'cidrMaskSize': 16}, 'spec.clusterNetwork.nodes.cidrMaskSize'),
    ('Cluster', ('spec', 'clusterNetwork', 'nodes'), {'cidrMaskSize': 33}, 'spec.clusterNetwork.nodes.cidrMaskSize'),
    ('Cluster', ('spec', 'clusterNetwork', 'cni'), 'kindnetd', 'spec.clusterNetwork.cniConfig.kindnetd'),
    ('Cluster', ('spec', 'clusterNetwork', 'cni'), 'flannel', 'spec.clusterNetwork.cni'),
    ('Cluster', ('spec', 'clusterNetwork', 'cniConfig'), {'cilium': {}}, 'spec.clusterNetwork.cni'),
    ('Cluster', ('spec', 'workerNodeGroupConfigurations', 0, 'count'), -1, 'spec.workerNodeGroupConfigurations[0].count'),
    ('Cluster', ('spec', 'workerNodeGroupConfigurations', 0, 'machineGroupRef', 'name'), 'test-nope',
     'spec.workerNodeGroupConfigurations[0].machineGroupRef.name'),
    ('Cluster', ('spec', 'workerNodeGroupConfigurations', 0, 'autoscalingConfiguration'), {'minCount': 5, 'maxCount': 9},
     'spec.workerNodeGroupConfigurations[0].count'),
    ('Cluster', ('spec', 'workerNodeGroupConfigurations', 0, 'taints'), [{'key': 'a', 'effect': 'NoSchedule'}],
     'spec.workerNodeGroupConfigurations'),
    ('Cluster', ('spec', 'externalEtcdConfiguration', 'count'), 2, 'spec.externalEtcdConfiguration.count'),
    ('Cluster', ('spec', 'externalEtcdConfiguration', 'count'), 0, 'spec.externalEtcdConfiguration.count'),
    ('Cluster', ('spec', 'externalEtcdConfiguration', 'count'), -1, 'spec.externalEtcdConfiguration.count'),
    ('Cluster', ('spec', 'proxyConfiguration'), {'httpProxy': '10.0.0.1:3128'}, 'spec.proxyConfiguration.httpsProxy'),
    ('Cluster', ('spec', 'proxyConfiguration'), {'httpProxy': '10.0.0.1', 'httpsProxy': '10.0.0.1:3128'}, 'spec.proxyConfiguration.httpProxy'),
    ('Cluster', ('spec', 'registryMirrorConfiguration'), {'port': '443'}, 'spec.registryMirrorConfiguration.endpoint'),
    ('Cluster', ('spec', 'registryMirrorConfiguration'), {'endpoint': 'r.example.com', 'port': '0'}, 'spec.registryMirrorConfiguration.port'),
    ('Cluster', ('spec', 'eksaVersion'), 'v0.26', 'spec.eksaVersion'),
    ('Cluster', ('spec', 'controlPlaneConfiguration', 'certSans'), ['bad_san'], 'spec.controlPlaneConfiguration.certSans'),
    ('Cluster', ('spec', 'gitOpsRef'), {'kind': 'FluxConfig', 'name': 'flux'}, 'spec.gitOpsRef.name'),
    ('Cluster', ('spec', 'gitOpsRef'), {'kind': 'ArgoConfig', 'name': 'flux'}, 'spec.gitOpsRef.kind'),
    ('Cluster', ('spec', 'identityProviderRefs'), [{'kind': 'AWSIamConfig', 'name': 'iam'}], 'spec.identityProviderRefs[0].name'),
    ('VSphereDatacenterConfig', ('spec', 'network'), '/SDDC-Datacenter/vm/x', 'spec.network'),
    ('VSphereDatacenterConfig', ('spec', 'server'), '', 'spec.server'),
    ('VSphereDatacenterConfig', ('spec', 'failureDomains'), [{'name': 'fd-1'}], 'spec.failureDomains[0].computeCluster'),
    ('VSphereMachineConfig', ('spec', 'osFamily'), 'windows', 'spec.osFamily'),
    ('VSphereMachineConfig', ('spec', 'cloneMode'), 'instantClone', 'spec.cloneMode'),
    ('VSphereMachineConfig', ('spec', 'datastore'), '', 'spec.datastore'),
    ('VSphereMachineConfig', ('spec', 'networks'), ['/a/network/1', '/a/network/2', '/a/network/3'], 'spec.networks'),
]


def load_reference(name):
    with open(os.path.join(REFERENCE_DIR, name)) as handle:
        objects = [o for o in yaml.safe_load_all(handle) if o]
    for obj in objects:
        if obj['kind'] == 'Cluster':
            obj['spec']['clusterNetwork'].pop('node', None)
    return objects


def _walk(value, path):
    """Yield (path tuple, value) for every node under ``value``."""
    yield path, value
    if isinstance(value, dict):
        for key in value:
            yield from _walk(value[key], path + (key,))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _walk(sub, path + (index,))


def dotted(path):
    out = ''
    for part in path:
        out += '[%d]' % part if isinstance(part, int) else ('.%s' % part if out else part)
    return out


def wrong_type(value):
    if isinstance(value, bool):
        return 'maybe'
    if isinstance(value, int):
        return 'not-a-number'
    if isinstance(value, str):
        return {'not': 'a string'}
    if isinstance(value, list):
        return 'not-a-list'
    return ['not-a-mapping']


def _set(obj, path, value):
    for part in path[:-1]:
        obj = obj[part] if isinstance(part, int) else obj.setdefault(part, {})
    obj[path[-1]] = value


def _delete(obj, path):
    for part in path[:-1]:
        obj = obj[part]
    del obj[path[-1]]


def _has(obj, path):
    for part in path[:-1]:
        if isinstance(part, int):
            if not isinstance(obj, list) or part >= len(obj):
                return False
        elif not isinstance(obj, dict) or part not in obj:
            return False
        obj = obj[part]
    return isinstance(obj, dict) and path[-1] in obj or isinstance(obj, list) and path[-1] < len(obj)


def _object_ids(objects):
    return ['%s/%s' % (o['kind'], o['metadata']['name']) for o in objects]


def build_corpus():
    cases = []
    for ref in LOADABLE:
        objects = load_reference(ref)
        for index, obj in enumerate(objects):
            label = '%s:%s/%s' % (ref, obj['kind'], obj['metadata']['name'])
            for path, value in _walk(obj, ()):
                if not path or any(dotted(path).startswith(p) for p in SKIP_RETYPE_UNDER):
                    continue
                expected = 'kind' if path == ('kind',) else dotted(path)
                cases.append(pytest.param(ref, index, 'set', path, wrong_type(value), expected, id='%s:retype:%s' % (label, dotted(path))))
                if isinstance(value, dict):
                    bogus = path + ('bogusField',)
                    cases.append(pytest.param(ref, index, 'set', bogus, 'x', dotted(bogus), id='%s:unknown:%s' % (label, dotted(bogus))))
            for kind, path, expected in REQUIRED:
                if obj['kind'] == kind and _has(obj, path):
                    cases.append(pytest.param(ref, index, 'drop', path, None, expected, id='%s:drop:%s' % (label, dotted(path))))
            for kind, path, bad, expected in CORRUPT:
                if obj['kind'] == kind:
                    if path[-1] == 'cniConfig' and 'cni' not in obj['spec'].get('clusterNetwork', {}):
                        continue
                    if path[1] == 'externalEtcdConfiguration' and 'externalEtcdConfiguration' not in obj['spec']:
                        continue
                    if path[-1] == 'taints' and len(obj['spec']['workerNodeGroupConfigurations']) > 1:
                        continue  # another, untainted group keeps the cluster valid
                    cases.append(pytest.param(ref, index, 'set', path, bad, expected, id='%s:corrupt:%s=%r' % (label, dotted(path), bad)))
            cases.append(pytest.param(ref, index, 'duplicate', None, None, 'metadata.name', id='%s:duplicate' % label))
            cases.append(pytest.param(ref, index, 'set', ('apiVersion',), 'anywhere.eks.amazonaws.com/v1', 'apiVersion',
                                      id='%s:apiVersion' % label))
            cases.append(pytest.param(ref, index, 'set', ('kind',), obj['kind'].lower(), 'kind', id='%s:kind' % label))
            if obj['kind'] != 'Cluster':
                cases.append(pytest.param(ref, index, 'set', ('metadata', 'namespace'), 'elsewhere', 'metadata.namespace',
                                          id='%s:namespace' % label))
    return cases


CORPUS = build_corpus()


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 200


@pytest.mark.parametrize('ref,index,action,path,value,expected', CORPUS)
def test_invalid_spec_rejected(shared_dir, ref, index, action, path, value, expected):
    objects = load_reference(ref)
    target = objects[index]
    kind, name = target['kind'], target['metadata']['name']
    if action == 'set':
        _set(target, path, copy.deepcopy(value))
    elif action == 'drop':
        _delete(target, path)
    else:
        objects.append(copy.deepcopy(target))
    with pytest.raises(SpecError) as info:
        normalize(objects, source=ref)
    errors = info.value.errors
    assert errors
    for error in errors:
        assert str(error).startswith(ref + ': ')
    if path is not None and path[-1] in ('kind', 'apiVersion') and len(path) == 1:
        assert any((e.path or '').endswith(expected) for e in errors), '\n'.join(map(str, errors))
        return
    if path == ('metadata', 'name'):
        kinds = {kind, 'Cluster'}  # a renamed/unnamed object also leaves the Cluster's reference dangling
        assert any(e.kind in kinds and (e.path or '').startswith(expected.split('[')[0].rsplit('.', 1)[0]) for e in errors), \
            '\n'.join(map(str, errors))
        return
    matching = [e for e in errors if e.kind == kind and e.path == expected]
    if not matching and kind != 'Cluster':
        # a broken machine/datacenter config may be reported where the Cluster references it
        matching = [e for e in errors if e.path == expected]
    assert matching, 'expected %s/%s %s in:\n%s' % (kind, name, expected, '\n'.join(map(str, errors)))
    assert matching[0].message
