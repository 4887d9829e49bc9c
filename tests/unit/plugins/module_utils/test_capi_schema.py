"""Every rendered object validates against the openAPIV3Schema of its CRD at the pinned versions (strict:
unknown fields are problems too, except the listed EKS Anywhere fork fields)."""
import pytest

from test_capi_support import (assert_valid, fill_failure_domains, full_featured_docs, reference_docs, render,
                               schema_problems, find)

REFERENCES = ['cluster_main.yaml', 'cluster_main_br.yaml', 'cluster_main_multiple_worker_node_groups.yaml',
              'cluster_main_stacked_etcd.yaml', 'cluster_vsphere_failuredomain.yaml', 'cluster_with_networks.yaml']
VSPHERE_FACTS = {'machine_configs': {'test-cp': {'template': '/SDDC-Datacenter/vm/Templates/br-1.19'},
                                     'test-wn': {'template': '/SDDC-Datacenter/vm/Templates/br-1.19'},
                                     'test-etcd': {'template': '/SDDC-Datacenter/vm/Templates/br-1.19'}}}


@pytest.mark.parametrize('name', REFERENCES)
def test_reference_specs_render_valid(name):
    docs = fill_failure_domains(reference_docs(name))
    objects = render(docs, vsphere_facts=VSPHERE_FACTS)
    assert assert_valid(objects) >= 8


@pytest.mark.parametrize('os_family', ['ubuntu', 'redhat', 'bottlerocket'])
@pytest.mark.parametrize('stacked', [False, True])
def test_full_featured_spec_renders_valid(os_family, stacked):
    objects = render(full_featured_docs(os_family, stacked))
    assert assert_valid(objects) >= 10
    kinds = set(o['kind'] for o in objects)
    assert {'Cluster', 'VSphereCluster', 'VSphereMachineTemplate', 'KubeadmControlPlane', 'KubeadmConfigTemplate',
            'MachineDeployment', 'MachineHealthCheck', 'ClusterResourceSet', 'ConfigMap', 'Secret'} <= kinds
    assert ('EtcdadmCluster' in kinds) is not stacked


def test_fork_fields_are_the_only_unknowns():
    """Without the fork allowance, only the listed fields fail: proves the list is exact, not a blanket pass."""
    objects = render(full_featured_docs('bottlerocket', stacked=False))
    cluster = find(objects, 'Cluster', 'test')
    assert schema_problems(cluster, allow_fork=False) == ['spec.managedExternalEtcdRef: unknown field']
    kcp = find(objects, 'KubeadmControlPlane', 'test')
    problems = schema_problems(kcp, allow_fork=False)
    assert any('format' in p for p in problems)
    assert any('bottlerocketBootstrap' in p for p in problems)


def test_ubuntu_stacked_needs_no_fork_field():
    objects = render(full_featured_docs('ubuntu', stacked=True))
    for obj in objects:
        problems = schema_problems(obj, allow_fork=False)
        assert not problems, (obj['kind'], problems)


def test_docker_provider_renders():
    from test_capi_support import load, BUNDLES
    from ansible_collections.eksa.anywhere.plugins.module_utils.capi import render as capi_render
    docs = [{'apiVersion': 'anywhere.eks.amazonaws.com/v1alpha1', 'kind': 'Cluster', 'metadata': {'name': 'dev'},
             'spec': {'kubernetesVersion': '1.21',
                      'clusterNetwork': {'cniConfig': {'cilium': {}}, 'pods': {'cidrBlocks': ['192.168.0.0/16']},
                                         'services': {'cidrBlocks': ['10.96.0.0/12']}},
                      'controlPlaneConfiguration': {'count': 1},
                      'datacenterRef': {'kind': 'DockerDatacenterConfig', 'name': 'dev'},
                      'workerNodeGroupConfigurations': [{'name': 'md-0', 'count': 1}]}},
            {'apiVersion': 'anywhere.eks.amazonaws.com/v1alpha1', 'kind': 'DockerDatacenterConfig',
             'metadata': {'name': 'dev'}, 'spec': {}}]
    objects = capi_render.render(load(docs), BUNDLES)
    kinds = capi_render.summarize(objects)['kinds']
    assert kinds['DockerMachineTemplate'] == 2 and kinds['DockerCluster'] == 1 and 'Secret' not in kinds
    assert assert_valid(objects) >= 5  # the kubeadm and core kinds; docker kinds have no CRD in shared
    kcp = find(objects, 'KubeadmControlPlane', 'dev')
    assert 'etcd' in kcp['spec']['kubeadmConfigSpec']['clusterConfiguration']
    assert kcp['spec']['kubeadmConfigSpec']['clusterConfiguration']['etcd']['local']['imageTag']
