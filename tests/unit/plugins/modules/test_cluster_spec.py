# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Unit tests of the eksa.anywhere.cluster_spec module."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest
import yaml

from ansible.module_utils import basic

from ansible_collections.eksa.anywhere.plugins.modules import cluster_spec

DOCKER = '''apiVersion: anywhere.eks.amazonaws.com/v1alpha1
kind: Cluster
metadata: {name: dev}
spec:
  kubernetesVersion: 1.30
  controlPlaneConfiguration: {count: 1}
  workerNodeGroupConfigurations: [{count: 1}]
  datacenterRef: {kind: DockerDatacenterConfig, name: dev}
  clusterNetwork:
    cni: cilium
    pods: {cidrBlocks: [192.168.0.0/16]}
    services: {cidrBlocks: [10.96.0.0/12]}
---
apiVersion: anywhere.eks.amazonaws.com/v1alpha1
kind: DockerDatacenterConfig
metadata: {name: dev}
'''


@pytest.fixture
def warnings_seen(monkeypatch):
    seen = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, warning: seen.append(warning))
    return seen


def test_success_from_path(run_module, tmp_path, warnings_seen):
    path = tmp_path / 'dev.yaml'
    path.write_text(DOCKER)
    result, failed = run_module(cluster_spec, {'path': str(path)})
    assert not failed
    assert result['changed'] is False
    assert result['cluster_name'] == 'dev'
    assert result['provider'] == 'docker'
    assert result['kubernetes_version'] == '1.30'
    assert result['spec']['source'] == str(path)
    assert result['spec']['cluster']['spec']['clusterNetwork']['cniConfig'] == {'cilium': {}}
    assert any('CNI field is deprecated' in w for w in warnings_seen)


def test_success_from_inline_objects(run_module, warnings_seen):
    objects = list(yaml.safe_load_all(DOCKER.replace('1.30', '"1.31"')))
    result, failed = run_module(cluster_spec, {'data': objects})
    assert not failed
    assert result['spec']['source'] == 'inline'
    assert result['kubernetes_version'] == '1.31'


def test_failure_lists_every_error(run_module, warnings_seen):
    bad = DOCKER.replace('count: 1}\n  workerNodeGroupConfigurations', 'count: 2}\n  workerNodeGroupConfigurations')
    bad = bad.replace('192.168.0.0/16', '192.168.0.0/33').replace('metadata: {name: dev}\n', 'metadata: {name: dev}\nspecs: {}\n', 1)
    result, failed = run_module(cluster_spec, {'data': bad})
    assert failed
    paths = [e['path'] for e in result['errors']]
    assert 'specs' in paths and 'spec.controlPlaneConfiguration.count' in paths and 'spec.clusterNetwork.pods.cidrBlocks[0]' in paths
    for error in result['errors']:
        assert set(error) == {'file', 'kind', 'name', 'path', 'message'}
        assert '%s: %s/%s: %s: ' % (error['file'], error['kind'], error['name'], error['path']) in result['msg']


def test_failure_missing_file(run_module, tmp_path, warnings_seen):
    result, failed = run_module(cluster_spec, {'path': str(tmp_path / 'missing.yaml')})
    assert failed
    assert 'file does not exist' in result['msg']
    assert result['errors'][0]['file'] == str(tmp_path / 'missing.yaml')


def test_failure_malformed_yaml(run_module, warnings_seen):
    result, failed = run_module(cluster_spec, {'data': 'kind: Cluster\nmetadata: {name: [\n'})
    assert failed
    assert 'malformed YAML at line' in result['msg']


def test_check_mode(run_module, tmp_path, warnings_seen):
    path = tmp_path / 'dev.yaml'
    path.write_text(DOCKER)
    result, failed = run_module(cluster_spec, {'path': str(path)}, check_mode=True)
    assert not failed and result['changed'] is False
    assert os.listdir(str(tmp_path)) == ['dev.yaml']


def test_path_and_data_exclusive(run_module, warnings_seen):
    result, failed = run_module(cluster_spec, {'path': '/x.yaml', 'data': 'a: 1'})
    assert failed
    assert 'mutually exclusive' in result['msg']
