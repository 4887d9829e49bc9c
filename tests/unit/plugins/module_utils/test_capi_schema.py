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
