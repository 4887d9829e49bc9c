# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The real EKS Anywhere specs of <shared>/eksa-reference/vsphere behave as under the EKS Anywhere CLI."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import SpecError, load_spec

from conftest import REPO_ROOT, SHARED_DIR

REFERENCE_DIR = os.path.join(SHARED_DIR, 'eksa-reference', 'vsphere')
REFERENCES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(REFERENCE_DIR, 'cluster_*.yaml')))
WITH_NODE = ['cluster_main.yaml', 'cluster_main_br.yaml', 'cluster_main_stacked_etcd.yaml', 'cluster_vsphere_failuredomain.yaml',
             'cluster_with_networks.yaml']
FAILURE_DOMAIN_FIELDS = ('computeCluster', 'resourcePool', 'datastore', 'folder', 'network')


def reference_path(name):
    return os.path.join(REFERENCE_DIR, name)


def without_node(name):
    with open(reference_path(name)) as handle:
        objects = [o for o in yaml.safe_load_all(handle) if o]
    for obj in objects:
        if obj['kind'] == 'Cluster':
            del obj['spec']['clusterNetwork']['node']
    return objects


def test_references_present(shared_dir):
    assert len(REFERENCES) == 6, REFERENCES
    for name in WITH_NODE:
        assert name in REFERENCES


@pytest.mark.parametrize('name', WITH_NODE)
def test_reference_with_node_refused_naming_field(shared_dir, name):
    with pytest.raises(SpecError) as info:
        load_spec(path=reference_path(name))
    node_errors = [e for e in info.value.errors if e.path == 'spec.clusterNetwork.node']
    assert len(node_errors) == 1
    assert node_errors[0].kind == 'Cluster' and node_errors[0].name == 'test'
    assert 'did you mean "nodes"' in node_errors[0].message
    assert str(node_errors[0]).startswith(reference_path(name) + ': Cluster/test: spec.clusterNetwork.node: unknown field "node"')


@pytest.mark.parametrize('name', sorted(set(WITH_NODE) - {'cluster_vsphere_failuredomain.yaml'}))
def test_reference_loads_without_node(shared_dir, name):
    spec = load_spec(data=without_node(name), source_name=name)
    assert spec['provider'] == 'vsphere'
    assert spec['cluster']['metadata']['namespace'] == 'test-namespace'
    assert spec['cluster']['spec']['clusterNetwork']['cniConfig'] == {'cilium': {}}


def test_failure_domain_reference_stays_invalid(shared_dir):
    with pytest.raises(SpecError) as info:
        load_spec(data=without_node('cluster_vsphere_failuredomain.yaml'))
    paths = {e.path for e in info.value.errors}
    expected = {'spec.failureDomains[%d].%s' % (i, f) for i in (0, 1) for f in FAILURE_DOMAIN_FIELDS}
    assert paths == expected
    assert all(e.kind == 'VSphereDatacenterConfig' and e.name == 'test' for e in info.value.errors)


@pytest.mark.parametrize('name', sorted(set(REFERENCES) - set(WITH_NODE)))
def test_reference_loads_unchanged(shared_dir, name):
    spec = load_spec(path=reference_path(name))
    assert spec['source'] == reference_path(name)
    assert spec['provider'] == 'vsphere'
    assert spec['control_plane_machine_config'] == 'test-cp'
    assert spec['etcd_machine_config'] == 'test-etcd'
    assert spec['worker_machine_configs'] == {'md-0': 'test-wn', 'md-1': 'test-wn'}
    assert spec['cluster']['spec']['kubernetesVersion'] == '1.19'
    assert spec['machine_configs']['test-etcd']['spec']['memoryMiB'] == 8192  # etcd machines get at least 8192
    assert spec['machine_configs']['test-wn']['spec']['memoryMiB'] == 4096


def test_main_reference_defaults(shared_dir):
    spec = load_spec(data=without_node('cluster_main.yaml'))
    assert spec['datacenter']['spec']['network'] == '/SDDC-Datacenter/network/sddc-cgw-network-1'
    assert spec['datacenter']['spec']['thumbprint'] == 'ABCDEFG'
    assert spec['cluster']['spec']['managementCluster'] == {'name': 'test'}
    assert spec['machine_configs']['test-cp']['spec']['users'][0]['name'] == 'capv'
    assert [o['kind'] for o in spec['objects']] == ['Cluster', 'VSphereMachineConfig', 'VSphereMachineConfig', 'VSphereMachineConfig',
                                                    'VSphereDatacenterConfig']


def test_networks_reference(shared_dir):
    spec = load_spec(data=without_node('cluster_with_networks.yaml'))
    assert spec['machine_configs']['test-wn']['spec']['networks'] == ['/SDDC-Datacenter/network/network-1', '/SDDC-Datacenter/network/network-2']


def test_generated_schema_up_to_date(shared_dir):
    script = os.path.join(REPO_ROOT, 'tools', 'gen_spec_schema.py')
    crds = os.path.join(SHARED_DIR, 'crds', 'eks-anywhere-v0.26.1')
    result = subprocess.run([sys.executable, script, '--crds', crds, '--check'], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
