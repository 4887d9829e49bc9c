# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""One test per validation/defaulting rule of the spec model (see docs/spec-validation.md)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import SpecError, SpecProblem, load_documents, load_spec, normalize

API = 'anywhere.eks.amazonaws.com/v1alpha1'


def vsphere_objects():
    """A small valid vSphere spec (stacked etcd), as parsed objects."""
    def machine(name):
        return {'apiVersion': API, 'kind': 'VSphereMachineConfig', 'metadata': {'name': name},
                'spec': {'datastore': '/dc1/datastore/ds1', 'folder': '/dc1/vm/eksa', 'resourcePool': '/dc1/host/c1/Resources',
                         'osFamily': 'bottlerocket', 'memoryMiB': 8192, 'numCPUs': 2, 'diskGiB': 25,
                         'users': [{'name': 'ec2-user', 'sshAuthorizedKeys': ['ssh-ed25519 AAAA test']}]}}
    return [
        {'apiVersion': API, 'kind': 'Cluster', 'metadata': {'name': 'mgmt'},
         'spec': {'kubernetesVersion': '1.31',
                  'controlPlaneConfiguration': {'count': 3, 'endpoint': {'host': '10.0.0.10'},
                                                'machineGroupRef': {'kind': 'VSphereMachineConfig', 'name': 'mgmt-cp'}},
                  'workerNodeGroupConfigurations': [{'name': 'md-0', 'count': 2,
                                                     'machineGroupRef': {'kind': 'VSphereMachineConfig', 'name': 'mgmt'}}],
                  'datacenterRef': {'kind': 'VSphereDatacenterConfig', 'name': 'mgmt'},
                  'clusterNetwork': {'cniConfig': {'cilium': {}}, 'pods': {'cidrBlocks': ['192.168.0.0/16']},
                                     'services': {'cidrBlocks': ['10.96.0.0/12']}}}},
        {'apiVersion': API, 'kind': 'VSphereDatacenterConfig', 'metadata': {'name': 'mgmt'},
         'spec': {'datacenter': 'dc1', 'server': 'vc.example.com', 'network': '/dc1/network/VM Network',
                  'thumbprint': 'AB:CD', 'insecure': False}},
        machine('mgmt-cp'),
        machine('mgmt'),
    ]


def docker_objects():
    return [
        {'apiVersion': API, 'kind': 'Cluster', 'metadata': {'name': 'dev'},
         'spec': {'kubernetesVersion': '1.31', 'controlPlaneConfiguration': {'count': 1},
                  'workerNodeGroupConfigurations': [{'name': 'md-0', 'count': 1}],
                  'datacenterRef': {'kind': 'DockerDatacenterConfig', 'name': 'dev'},
                  'clusterNetwork': {'cniConfig': {'cilium': {}}, 'pods': {'cidrBlocks': ['192.168.0.0/16']},
                                     'services': {'cidrBlocks': ['10.96.0.0/12']}}}},
        {'apiVersion': API, 'kind': 'DockerDatacenterConfig', 'metadata': {'name': 'dev'}, 'spec': {}},
    ]


def with_external_etcd(objs, count=3):
    objs[0]['spec']['externalEtcdConfiguration'] = {'count': count, 'machineGroupRef': {'kind': 'VSphereMachineConfig', 'name': 'mgmt-etcd'}}
    etcd = copy.deepcopy(objs[2])
    etcd['metadata']['name'] = 'mgmt-etcd'
    objs.append(etcd)
    return objs


def cluster_spec(objs):
    return objs[0]['spec']


def errors_of(objs):
    with pytest.raises(SpecError) as info:
        normalize(objs)
    return info.value.errors


def assert_error(objs, path, fragment, kind=None, name=None):
    errors = errors_of(objs)
    matching = [e for e in errors if e.path == path and fragment in e.message and (kind is None or e.kind == kind)
                and (name is None or e.name == name)]
    assert matching, 'no error at %s containing %r in:\n%s' % (path, fragment, '\n'.join(str(e) for e in errors))
    return matching[0]


def load_with_warnings(objs):
    warnings = []
    spec = normalize(objs, warnings=warnings)
    return spec, [str(w) for w in warnings]


# --------------------------------------------------------------------------- baseline

def test_valid_vsphere_spec_normalized_shape():
    spec = normalize(vsphere_objects())
    assert sorted(spec) == sorted(['source', 'provider', 'cluster', 'datacenter', 'machine_configs', 'control_plane_machine_config',
                                   'etcd_machine_config', 'worker_machine_configs', 'gitops', 'oidc', 'awsiam', 'objects',
                                   'datacenter_stated'])
    assert spec['provider'] == 'vsphere'
    assert spec['source'] == 'inline'
    assert spec['control_plane_machine_config'] == 'mgmt-cp'
    assert spec['etcd_machine_config'] is None
    assert spec['worker_machine_configs'] == {'md-0': 'mgmt'}
    assert sorted(spec['machine_configs']) == ['mgmt', 'mgmt-cp']
    assert [o['kind'] for o in spec['objects']] == ['Cluster', 'VSphereDatacenterConfig', 'VSphereMachineConfig', 'VSphereMachineConfig']
    assert spec['gitops'] is None and spec['oidc'] is None and spec['awsiam'] is None


def test_valid_docker_spec():
    spec = normalize(docker_objects())
    assert spec['provider'] == 'docker'
    assert spec['machine_configs'] == {}
    assert spec['control_plane_machine_config'] is None
    assert spec['worker_machine_configs'] == {}


# --------------------------------------------------------------------------- schema

def test_unknown_field_named_with_suggestion():
    objs = vsphere_objects()
    cluster_spec(objs)['clusterNetwork']['node'] = {'cidrMaskSize': 24}
    err = assert_error(objs, 'spec.clusterNetwork.node', 'unknown field "node"', kind='Cluster', name='mgmt')
    assert 'did you mean "nodes"' in err.message
    assert str(err).startswith('inline: Cluster/mgmt: spec.clusterNetwork.node: ')


def test_unknown_field_in_metadata_and_top_level():
    objs = vsphere_objects()
    objs[0]['metadata']['labelz'] = {'a': 'b'}
    objs[1]['specs'] = {}
    assert_error(objs, 'metadata.labelz', 'did you mean "labels"')
    assert_error(objs, 'specs', 'did you mean "spec"', kind='VSphereDatacenterConfig')


def test_wrong_type_named():
    objs = vsphere_objects()
    cluster_spec(objs)['controlPlaneConfiguration']['count'] = 'three'
    objs[1]['spec']['insecure'] = 'yes'
    objs[2]['spec']['users'] = {'name': 'ec2-user'}
    assert_error(objs, 'spec.controlPlaneConfiguration.count', 'must be an integer')
    assert_error(objs, 'spec.insecure', 'must be a boolean')
    assert_error(objs, 'spec.users', 'must be a list')


def test_enum_checked():
    objs = vsphere_objects()
    objs[2]['spec']['cloneMode'] = 'instantClone'
    assert_error(objs, 'spec.cloneMode', 'fullClone, linkedClone')


def test_kubernetes_version_float_keeps_source_text():
    text = '''apiVersion: anywhere.eks.amazonaws.com/v1alpha1
kind: Cluster
metadata: {name: dev}
spec:
  kubernetesVersion: 1.30
  controlPlaneConfiguration: {count: 1}
  workerNodeGroupConfigurations: [{count: 1}]
  datacenterRef: {kind: DockerDatacenterConfig, name: dev}
  clusterNetwork:
    cniConfig: {cilium: {}}
    pods: {cidrBlocks: [192.168.0.0/16]}
    services: {cidrBlocks: [10.96.0.0/12]}
---
apiVersion: anywhere.eks.amazonaws.com/v1alpha1
kind: DockerDatacenterConfig
metadata: {name: dev}
'''
    spec = load_spec(data=text)
    assert spec['cluster']['spec']['kubernetesVersion'] == '1.30'
    assert spec['cluster']['spec']['workerNodeGroupConfigurations'][0]['name'] == 'md-0'


def test_numbers_into_string_fields_keep_text():
    objs = vsphere_objects()
    cluster_spec(objs)['registryMirrorConfiguration'] = {'endpoint': '10.0.0.5', 'port': 5000}
    spec = normalize(objs)
    assert spec['cluster']['spec']['registryMirrorConfiguration']['port'] == '5000'


# --------------------------------------------------------------------------- objects, namespaces, names

def test_namespace_defaults_to_cluster_namespace():
    objs = vsphere_objects()
    spec = normalize(objs)
    assert {o['metadata']['namespace'] for o in spec['objects']} == {'default'}
    objs = vsphere_objects()
    objs[0]['metadata']['namespace'] = 'eksa'
    spec = normalize(objs)
    assert {o['metadata']['namespace'] for o in spec['objects']} == {'eksa'}


def test_namespace_mismatch_rejected():
    objs = vsphere_objects()
    objs[0]['metadata']['namespace'] = 'eksa'
    objs[2]['metadata']['namespace'] = 'other'
    assert_error(objs, 'metadata.namespace', "Cluster's namespace eksa", kind='VSphereMachineConfig', name='mgmt-cp')


@pytest.mark.parametrize('name', ['1mgmt', 'mgmt_1', 'm', '-mgmt', 'mgmt.example'])
def test_cluster_name_invalid(name):
    objs = vsphere_objects()
    objs[0]['metadata']['name'] = name
    objs[1]['metadata']['name'] = name
    cluster_spec(objs)['datacenterRef']['name'] = name
    assert_error(objs, 'metadata.name', 'is not a valid cluster name', kind='Cluster')


def test_cluster_name_too_long():
    objs = vsphere_objects()
    objs[0]['metadata']['name'] = 'a' * 36
    assert_error(objs, 'metadata.name', 'should be less than 36')
    objs = vsphere_objects()
    objs[0]['metadata']['name'] = 'a' * 35
    normalize(objs)


def test_object_name_required():
    objs = vsphere_objects()
    del objs[2]['metadata']['name']
    assert_error(objs, 'metadata.name', 'metadata.name is not set', kind='VSphereMachineConfig')


def test_duplicate_names_rejected():
    objs = vsphere_objects()
    objs.append(copy.deepcopy(objs[3]))
    assert_error(objs, 'metadata.name', 'duplicate VSphereMachineConfig named mgmt')


def test_wrong_kind_rejected():
    objs = vsphere_objects()
    objs.append({'apiVersion': API, 'kind': 'VsphereMachineConfig', 'metadata': {'name': 'x'}})
    err = assert_error(objs, 'kind', 'kind VsphereMachineConfig is not supported')
    assert 'did you mean VSphereMachineConfig' in err.message


def test_unknown_api_version_rejected():
    objs = vsphere_objects()
    objs[1]['apiVersion'] = 'anywhere.eks.amazonaws.com/v1beta1'
    assert_error(objs, 'apiVersion', 'apiVersion anywhere.eks.amazonaws.com/v1beta1 is not supported; expected ' + API)


def test_exactly_one_cluster():
    objs = vsphere_objects()[1:]
    with pytest.raises(SpecError) as info:
        normalize(objs)
    assert 'unable to find kind Cluster' in str(info.value)
    objs = vsphere_objects()
    second = copy.deepcopy(objs[0])
    second['metadata']['name'] = 'other'
    objs.append(second)
    assert_error(objs, None, 'give exactly one')


# --------------------------------------------------------------------------- control plane, etcd

def test_endpoint_host_required_on_vsphere():
    objs = vsphere_objects()
    del cluster_spec(objs)['controlPlaneConfiguration']['endpoint']
    assert_error(objs, 'spec.controlPlaneConfiguration.endpoint.host', 'Endpoint.Host is not set or is empty')


def test_endpoint_host_forbidden_on_docker():
    objs = docker_objects()
    cluster_spec(objs)['controlPlaneConfiguration']['endpoint'] = {'host': '10.0.0.1'}
    assert_error(objs, 'spec.controlPlaneConfiguration.endpoint.host', 'not supported for the docker provider')


@pytest.mark.parametrize('count', [0, -1])
def test_control_plane_count_positive(count):
    objs = vsphere_objects()
    cluster_spec(objs)['controlPlaneConfiguration']['count'] = count
    assert_error(objs, 'spec.controlPlaneConfiguration.count', 'control plane node count must be positive')


def test_control_plane_count_even_with_stacked_etcd():
    objs = vsphere_objects()
    cluster_spec(objs)['controlPlaneConfiguration']['count'] = 2
    assert_error(objs, 'spec.controlPlaneConfiguration.count', 'cannot be an even number')
    objs = with_external_etcd(vsphere_objects())
    cluster_spec(objs)['controlPlaneConfiguration']['count'] = 2
    normalize(objs)  # even is fine with external etcd


def test_control_plane_count_recommendation_warning():
    objs = vsphere_objects()
    cluster_spec(objs)['controlPlaneConfiguration']['count'] = 1
    dummy, warnings = load_with_warnings(objs)
    assert any('recommended number of control plane nodes is 3 or 5' in w for w in warnings)
    dummy, warnings = load_with_warnings(docker_objects())  # not on docker
    assert not any('recommended number' in w for w in warnings)


def test_skip_admission_for_system_resources_warns_it_is_not_rendered():
    objs = vsphere_objects()
    cluster_spec(objs)['controlPlaneConfiguration']['skipAdmissionForSystemResources'] = True
    dummy, warnings = load_with_warnings(objs)
    assert any('skipAdmissionForSystemResources is not rendered' in w and 'admission-plugin-exclusion-rules.json' in w
               for w in warnings), warnings
    cluster_spec(objs)['controlPlaneConfiguration']['skipAdmissionForSystemResources'] = False
    dummy, warnings = load_with_warnings(objs)
    assert not any('skipAdmissionForSystemResources' in w for w in warnings)


@pytest.mark.parametrize('count,fragment', [(0, 'no value set for etcd replicas'), (-1, 'cannot be a negative number'),
                                            (2, 'external etcd count cannot be an even number')])
def test_external_etcd_count(count, fragment):
    objs = with_external_etcd(vsphere_objects(), count)
    assert_error(objs, 'spec.externalEtcdConfiguration.count', fragment)


def test_external_etcd_count_warning():
    objs = with_external_etcd(vsphere_objects(), 1)
    dummy, warnings = load_with_warnings(objs)
    assert any('recommended size of an external etcd cluster is 3 or 5' in w for w in warnings)


# --------------------------------------------------------------------------- worker node groups

def test_worker_groups_required():
    objs = vsphere_objects()
    cluster_spec(objs)['workerNodeGroupConfigurations'] = []
    assert_error(objs, 'spec.workerNodeGroupConfigurations', 'WorkerNodeGroupConfigs cannot be empty for VSphereDatacenterConfig')


def test_first_worker_group_defaults_to_md_0():
    objs = vsphere_objects()
    del cluster_spec(objs)['workerNodeGroupConfigurations'][0]['name']
    spec = normalize(objs)
    assert spec['cluster']['spec']['workerNodeGroupConfigurations'][0]['name'] == 'md-0'
    assert spec['worker_machine_configs'] == {'md-0': 'mgmt'}


def test_worker_group_names_required_and_unique():
    objs = vsphere_objects()
    groups = cluster_spec(objs)['workerNodeGroupConfigurations']
    groups.append(copy.deepcopy(groups[0]))
    assert_error(objs, 'spec.workerNodeGroupConfigurations[1].name', 'worker node group names must be unique')
    del groups[1]['name']
    assert_error(objs, 'spec.workerNodeGroupConfigurations[1].name', 'must specify name for worker nodes')


def test_worker_count_not_negative_and_defaults_to_one():
    objs = vsphere_objects()
    cluster_spec(objs)['workerNodeGroupConfigurations'][0]['count'] = -1
    assert_error(objs, 'spec.workerNodeGroupConfigurations[0].count', 'worker node count must be zero or greater')
    objs = vsphere_objects()
    del cluster_spec(objs)['workerNodeGroupConfigurations'][0]['count']
    assert normalize(objs)['cluster']['spec']['workerNodeGroupConfigurations'][0]['count'] == 1


@pytest.mark.parametrize('autoscaling,count,fragment', [
    ({'minCount': 3, 'maxCount': 2}, 2, 'min count must be no greater than max count'),
    ({'minCount': 3, 'maxCount': 5}, 2, 'min count must be less than or equal to count'),
    ({'minCount': 1, 'maxCount': 2}, 3, 'max count must be greater than or equal to count'),
])
def test_worker_autoscaling_bounds(autoscaling, count, fragment):
    objs = vsphere_objects()
    group = cluster_spec(objs)['workerNodeGroupConfigurations'][0]
    group['autoscalingConfiguration'], group['count'] = autoscaling, count
    errors = errors_of(objs)
    assert any(fragment in e.message for e in errors), errors


def test_self_managed_cluster_needs_untainted_worker_group():
    objs = vsphere_objects()
    cluster_spec(objs)['workerNodeGroupConfigurations'][0]['taints'] = [{'key': 'k', 'value': 'v', 'effect': 'NoSchedule'}]
    assert_error(objs, 'spec.workerNodeGroupConfigurations', 'must not have NoExecute and/or NoSchedule taints')
    cluster_spec(objs)['managementCluster'] = {'name': 'mgmt-0'}  # a workload cluster may taint every group
    normalize(objs)


def test_taint_requires_key_and_effect():
    objs = vsphere_objects()
    cluster_spec(objs)['workerNodeGroupConfigurations'][0]['taints'] = [{'value': 'v'}]
    assert_error(objs, 'spec.workerNodeGroupConfigurations[0].taints[0].key', 'required field')
    assert_error(objs, 'spec.workerNodeGroupConfigurations[0].taints[0].effect', 'required field')


# --------------------------------------------------------------------------- networking

@pytest.mark.parametrize('which', ['pods', 'services'])
def test_cidr_blocks_exactly_one(which):
    objs = vsphere_objects()
    cluster_spec(objs)['clusterNetwork'][which]['cidrBlocks'] = []
    assert_error(objs, 'spec.clusterNetwork.%s.cidrBlocks' % which, 'CIDR block not specified or empty')
    cluster_spec(objs)['clusterNetwork'][which]['cidrBlocks'] = ['10.0.0.0/16', '10.1.0.0/16']
    assert_error(objs, 'spec.clusterNetwork.%s.cidrBlocks' % which, 'multiple CIDR blocks')


@pytest.mark.parametrize('which,fragment', [('pods', 'invalid CIDR block format for Pods'), ('services', 'invalid CIDR block for Services')])
def test_cidr_blocks_valid(which, fragment):
    objs = vsphere_objects()
    cluster_spec(objs)['clusterNetwork'][which]['cidrBlocks'] = ['10.0.0.300/16']
    assert_error(objs, 'spec.clusterNetwork.%s.cidrBlocks[0]' % which, fragment)


def test_node_cidr_mask_rules():
    objs = vsphere_objects()
    cluster_spec(objs)['clusterNetwork']['pods']['cidrBlocks'] = ['192.168.0.0/24']  # default node mask 24
    assert_error(objs, 'spec.clusterNetwork.nodes.cidrMaskSize', 'smaller than or equal to the size of node subnet with mask 24')
    objs = vsphere_objects()
    cluster_spec(objs)['clusterNetwork']['nodes'] = {'cidrMaskSize': 8}
    assert_error(objs, 'spec.clusterNetwork.nodes.cidrMaskSize', 'smaller than or equal to the size of node subnet with mask 8')
    objs = vsphere_objects()
    cluster_spec(objs)['clusterNetwork']['pods']['cidrBlocks'] = ['10.0.0.0/8']
    cluster_spec(objs)['clusterNetwork']['nodes'] = {'cidrMaskSize': 25}
    assert_error(objs, 'spec.clusterNetwork.nodes.cidrMaskSize', 'difference is greater than 16')
    cluster_spec(objs)['clusterNetwork']['nodes'] = {'cidrMaskSize': 24}
    normalize(objs)


def test_kindnetd_only_on_docker():
    objs = vsphere_objects()
    cluster_spec(objs)['clusterNetwork']['cniConfig'] = {'kindnetd': {}}
    assert_error(objs, 'spec.clusterNetwork.cniConfig.kindnetd', 'kindnetd is only supported on Docker provider')
    objs = docker_objects()
    cluster_spec(objs)['clusterNetwork']['cniConfig'] = {'kindnetd': {}}
    normalize(objs)


def test_legacy_cni_converted_to_cni_config():
    objs = vsphere_objects()
    network = cluster_spec(objs)['clusterNetwork']
    del network['cniConfig']
    network['cni'] = 'cilium'
    spec, warnings = load_with_warnings(objs)
    assert spec['cluster']['spec']['clusterNetwork']['cniConfig'] == {'cilium': {}}
    assert 'cni' not in spec['cluster']['spec']['clusterNetwork']
    assert any('CNI field is deprecated' in w for w in warnings)


def test_legacy_cni_with_cni_config_or_unknown_rejected():
    objs = vsphere_objects()
    cluster_spec(objs)['clusterNetwork']['cni'] = 'cilium'
    assert_error(objs, 'spec.clusterNetwork.cni', 'both old and new formats used')
    objs = vsphere_objects()
    del cluster_spec(objs)['clusterNetwork']['cniConfig']
    cluster_spec(objs)['clusterNetwork']['cni'] = 'calico'
    assert_error(objs, 'spec.clusterNetwork.cni', 'cni calico not supported')


def test_cni_config_exactly_one_plugin():
    objs = docker_objects()
    cluster_spec(objs)['clusterNetwork']['cniConfig'] = {'cilium': {}, 'kindnetd': {}}
    assert_error(objs, 'spec.clusterNetwork.cniConfig', 'cannot specify more than one cni plugins')
    cluster_spec(objs)['clusterNetwork']['cniConfig'] = {}
    assert_error(objs, 'spec.clusterNetwork.cniConfig', 'no cni plugin specified')


# --------------------------------------------------------------------------- proxy, mirror, versions, SANs

def test_proxy_requires_http_and_https_host_port():
    objs = vsphere_objects()
    cluster_spec(objs)['proxyConfiguration'] = {'httpsProxy': 'proxy.example.com'}
    assert_error(objs, 'spec.proxyConfiguration.httpProxy', 'no value set for httpProxy')
    assert_error(objs, 'spec.proxyConfiguration.httpsProxy', 'please provide a valid proxy address')
    cluster_spec(objs)['proxyConfiguration'] = {'httpProxy': '10.0.0.3:99999', 'httpsProxy': 'http://proxy.example.com:3128',
                                                'noProxy': ['10.0.0.0/8']}
    assert_error(objs, 'spec.proxyConfiguration.httpProxy', 'proxy port 99999 is invalid')
    cluster_spec(objs)['proxyConfiguration']['httpProxy'] = '10.0.0.3:3128'
    normalize(objs)


def test_registry_mirror_endpoint_and_port():
    objs = vsphere_objects()
    cluster_spec(objs)['registryMirrorConfiguration'] = {'port': '70000'}
    assert_error(objs, 'spec.registryMirrorConfiguration.endpoint', 'no value set for RegistryMirrorConfiguration.Endpoint')
    assert_error(objs, 'spec.registryMirrorConfiguration.port', 'registry mirror port 70000 is invalid')
    cluster_spec(objs)['registryMirrorConfiguration'] = {'endpoint': 'harbor.example.com'}
    assert normalize(objs)['cluster']['spec']['registryMirrorConfiguration']['port'] == '443'


def test_bundles_ref_and_eksa_version_exclusive():
    objs = vsphere_objects()
    cluster_spec(objs)['eksaVersion'] = 'v0.26.1'
    cluster_spec(objs)['bundlesRef'] = {'apiVersion': API, 'name': 'bundles-1', 'namespace': 'eksa-system'}
    assert_error(objs, 'spec.eksaVersion', 'cannot pass both bundlesRef and eksaVersion')


def test_eksa_version_semver():
    objs = vsphere_objects()
    cluster_spec(objs)['eksaVersion'] = 'latest'
    assert_error(objs, 'spec.eksaVersion', 'eksaVersion is not a valid semver')
    cluster_spec(objs)['eksaVersion'] = 'v0.26.1'
    normalize(objs)


def test_cert_sans_ip_or_domain():
    objs = vsphere_objects()
    cluster_spec(objs)['controlPlaneConfiguration']['certSans'] = ['10.0.0.20', 'api.example.com', 'not_a_name!']
    assert_error(objs, 'spec.controlPlaneConfiguration.certSans', 'must be an IP or domain name: [not_a_name!]')


def test_kubernetes_version_format():
    objs = vsphere_objects()
    cluster_spec(objs)['kubernetesVersion'] = 'v1.31.2'
    assert_error(objs, 'spec.kubernetesVersion', 'not a valid Kubernetes version')


# --------------------------------------------------------------------------- references

def test_machine_config_refs_resolve():
    objs = vsphere_objects()
    cluster_spec(objs)['workerNodeGroupConfigurations'][0]['machineGroupRef']['name'] = 'missing'
    assert_error(objs, 'spec.workerNodeGroupConfigurations[0].machineGroupRef.name', 'cannot find VSphereMachineConfig missing for worker nodes')
    objs = vsphere_objects()
    cluster_spec(objs)['controlPlaneConfiguration']['machineGroupRef']['kind'] = 'DockerMachineConfig'
    assert_error(objs, 'spec.controlPlaneConfiguration.machineGroupRef.kind', 'use VSphereMachineConfig')
    objs = vsphere_objects()
    del cluster_spec(objs)['controlPlaneConfiguration']['machineGroupRef']
    assert_error(objs, 'spec.controlPlaneConfiguration.machineGroupRef', 'must specify machineGroupRef control plane machines')


def test_datacenter_ref_resolves():
    objs = vsphere_objects()
    cluster_spec(objs)['datacenterRef']['name'] = 'other'
    assert_error(objs, 'spec.datacenterRef.name', 'VSphereDatacenterConfig other referenced by the Cluster is not defined')
    cluster_spec(objs)['datacenterRef']['kind'] = 'NutanixDatacenterConfig'
    assert_error(objs, 'spec.datacenterRef.kind', 'not supported by this collection')


def test_gitops_and_identity_provider_refs_resolve():
    objs = vsphere_objects()
    cluster_spec(objs)['gitOpsRef'] = {'kind': 'FluxConfig', 'name': 'flux'}
    cluster_spec(objs)['identityProviderRefs'] = [{'kind': 'OIDCConfig', 'name': 'oidc'}, {'kind': 'LDAPConfig', 'name': 'x'}]
    assert_error(objs, 'spec.gitOpsRef.name', 'FluxConfig flux referenced by the Cluster is not defined')
    assert_error(objs, 'spec.identityProviderRefs[0].name', 'OIDCConfig oidc referenced by the Cluster is not defined')
    assert_error(objs, 'spec.identityProviderRefs[1].kind', 'kind: LDAPConfig for identityProviderRef is not supported')
    objs = vsphere_objects()
    cluster_spec(objs)['gitOpsRef'] = {'kind': 'FluxConfig', 'name': 'flux'}
    cluster_spec(objs)['identityProviderRefs'] = [{'kind': 'OIDCConfig', 'name': 'oidc'}]
    objs.append({'apiVersion': API, 'kind': 'FluxConfig', 'metadata': {'name': 'flux'},
                 'spec': {'github': {'owner': 'me', 'repository': 'fleet', 'personal': True}}})
    objs.append({'apiVersion': API, 'kind': 'OIDCConfig', 'metadata': {'name': 'oidc'},
                 'spec': {'clientId': 'id', 'issuerUrl': 'https://issuer.example.com'}})
    spec = normalize(objs)
    assert spec['gitops']['kind'] == 'FluxConfig' and spec['oidc']['metadata']['name'] == 'oidc'


# --------------------------------------------------------------------------- VSphereMachineConfig

def test_machine_config_defaults():
    objs = vsphere_objects()
    objs[3]['spec'] = {'datastore': 'ds', 'resourcePool': 'rp'}
    spec, warnings = load_with_warnings(objs)
    mc = spec['machine_configs']['mgmt']['spec']
    assert (mc['memoryMiB'], mc['numCPUs'], mc['diskGiB'], mc['osFamily']) == (8192, 2, 25, 'bottlerocket')
    assert mc['users'] == [{'name': 'ec2-user', 'sshAuthorizedKeys': ['']}]
    assert any('OS family not specified' in w for w in warnings)


def test_machine_config_default_user_for_ubuntu():
    objs = vsphere_objects()
    for mc in objs[2:]:
        mc['spec']['osFamily'] = 'ubuntu'
        del mc['spec']['users']
    spec = normalize(objs)
    assert spec['machine_configs']['mgmt']['spec']['users'][0]['name'] == 'capv'


def test_machine_config_memory_minimums():
    objs = with_external_etcd(vsphere_objects())
    objs[3]['spec']['memoryMiB'] = 1024
    objs[4]['spec']['memoryMiB'] = 4096
    spec, warnings = load_with_warnings(objs)
    assert spec['machine_configs']['mgmt']['spec']['memoryMiB'] == 2048
    assert spec['machine_configs']['mgmt-etcd']['spec']['memoryMiB'] == 8192
    assert any('should not be less than 2048' in w for w in warnings)
    assert any('for etcd machines should not be less than 8192' in w for w in warnings)


@pytest.mark.parametrize('field,fragment', [('datastore', 'datastore is not set or is empty'),
                                            ('resourcePool', 'VM resourcePool is not set or is empty')])
def test_machine_config_datastore_and_resource_pool_required(field, fragment):
    objs = vsphere_objects()
    del objs[3]['spec'][field]
    assert_error(objs, 'spec.' + field, fragment, kind='VSphereMachineConfig', name='mgmt')


def test_machine_config_os_family_supported():
    objs = vsphere_objects()
    objs[3]['spec']['osFamily'] = 'windows'
    assert_error(objs, 'spec.osFamily', 'osFamily: windows is not supported')


def test_bottlerocket_user_must_be_ec2_user():
    objs = vsphere_objects()
    objs[3]['spec']['users'][0]['name'] = 'capv'
    assert_error(objs, 'spec.users[0].name', "Please use 'ec2-user' for Bottlerocket")


def test_machine_config_networks_limits():
    objs = vsphere_objects()
    objs[3]['spec']['networks'] = ['/dc1/network/a', '/dc1/network/b', '/dc1/network/c']
    assert_error(objs, 'spec.networks', 'at most 2 items')
    objs = vsphere_objects()
    objs[2]['spec']['networks'] = ['/dc1/network/a']
    assert_error(objs, 'spec.networks', 'only supported for worker node machine configs', name='mgmt-cp')
    objs = vsphere_objects()
    objs[3]['spec']['networks'] = ['/dc1/network/a', '/dc1/network/b']
    normalize(objs)


def test_external_etcd_shares_os_family():
    objs = with_external_etcd(vsphere_objects())
    objs[4]['spec']['osFamily'] = 'ubuntu'
    objs[4]['spec']['users'][0]['name'] = 'capv'
    assert_error(objs, 'spec.osFamily', 'must have the same osFamily', name='mgmt-etcd')


# --------------------------------------------------------------------------- VSphereDatacenterConfig

@pytest.mark.parametrize('field,fragment', [('server', 'server is not set or is empty'), ('datacenter', 'datacenter is not set or is empty'),
                                            ('network', 'VM network is not set or is empty')])
def test_datacenter_required_fields(field, fragment):
    objs = vsphere_objects()
    del objs[1]['spec'][field]
    assert_error(objs, 'spec.' + field, fragment, kind='VSphereDatacenterConfig')


def test_datacenter_relative_network_made_absolute():
    objs = vsphere_objects()
    objs[1]['spec']['network'] = 'VM Network'
    assert normalize(objs)['datacenter']['spec']['network'] == '/dc1/network/VM Network'


def test_datacenter_network_under_datacenter():
    objs = vsphere_objects()
    objs[1]['spec']['network'] = '/dc1/vm/VM Network'
    assert_error(objs, 'spec.network', 'to be under [/dc1/network]')


def test_insecure_clears_thumbprint_with_warning():
    objs = vsphere_objects()
    objs[1]['spec']['insecure'] = True
    spec, warnings = load_with_warnings(objs)
    assert spec['datacenter']['spec']['thumbprint'] == ''
    assert any('insecure mode' in w for w in warnings)


def test_failure_domains_require_fields():
    objs = vsphere_objects()
    objs[1]['spec']['failureDomains'] = [{'name': 'fd-1'}]
    for field in ('computeCluster', 'resourcePool', 'datastore', 'folder', 'network'):
        assert_error(objs, 'spec.failureDomains[0].%s' % field, 'required field', kind='VSphereDatacenterConfig')


# --------------------------------------------------------------------------- bad input

def test_malformed_yaml_names_line(tmp_path):
    path = tmp_path / 'bad.yaml'
    path.write_text('apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: [x\n')
    with pytest.raises(SpecError) as info:
        load_spec(path=str(path))
    assert str(path) in str(info.value) and 'line 5' in str(info.value)


def test_duplicate_yaml_key_rejected():
    with pytest.raises(SpecError) as info:
        load_spec(data='kind: Cluster\nkind: Cluster\n')
    assert 'duplicate key' in str(info.value) and 'line 2' in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(SpecError) as info:
        load_spec(path=str(tmp_path / 'nope.yaml'))
    assert 'file does not exist' in str(info.value)


@pytest.mark.parametrize('text', ['', '---\n', '# only a comment\n'])
def test_empty_file(tmp_path, text):
    path = tmp_path / 'empty.yaml'
    path.write_text(text)
    with pytest.raises(SpecError) as info:
        load_spec(path=str(path))
    assert 'the spec is empty' in str(info.value)


def test_non_mapping_document():
    with pytest.raises(SpecError) as info:
        load_spec(data='- a\n- b\n')
    assert 'document 1 (line 1)' in str(info.value)


def test_every_problem_reported_at_once():
    objs = vsphere_objects()
    cluster_spec(objs)['controlPlaneConfiguration']['count'] = 2
    cluster_spec(objs)['clusterNetwork']['pods']['cidrBlocks'] = ['bad']
    objs[1]['spec']['server'] = ''
    objs[3]['spec']['bogus'] = 1
    errors = errors_of(objs)
    paths = {(e.kind, e.path) for e in errors}
    assert {('Cluster', 'spec.controlPlaneConfiguration.count'), ('Cluster', 'spec.clusterNetwork.pods.cidrBlocks[0]'),
            ('VSphereDatacenterConfig', 'spec.server'), ('VSphereMachineConfig', 'spec.bogus')} <= paths


def test_problem_rendering_and_dict():
    problem = SpecProblem('c.yaml', 'Cluster', 'mgmt', 'spec.x', 'bad')
    assert str(problem) == 'c.yaml: Cluster/mgmt: spec.x: bad'
    assert problem.to_dict() == {'file': 'c.yaml', 'kind': 'Cluster', 'name': 'mgmt', 'path': 'spec.x', 'message': 'bad'}
    assert str(SpecProblem('c.yaml', None, None, None, 'empty')) == 'c.yaml: empty'


def test_load_documents_from_text_and_path(tmp_path):
    text = 'a: 1\n---\nb: 1.10\n'
    assert load_documents(text) == [{'a': 1}, {'b': 1.1}]
    path = tmp_path / 'x.yaml'
    path.write_text(text)
    assert load_documents(str(path)) == [{'a': 1}, {'b': 1.1}]


def test_input_objects_not_modified():
    objs = vsphere_objects()
    before = copy.deepcopy(objs)
    normalize(objs)
    assert objs == before
