"""Rendered manifests are accepted by a server-side dry-run apply (fieldValidation=Strict) on the lab's real
kube-apiserver with the pinned CRDs of shared/crds installed."""
import glob
import json
import os
import sys

import pytest
import yaml

from test_capi_support import CRD_DIR, full_featured_docs, reference_docs, render

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import apply as k8s_apply

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
FORK_KINDS = {'Cluster'}  # spec.managedExternalEtcdRef (EKS Anywhere fork field, docs/compatibility.md)


@pytest.fixture(scope='module')
def api(lab):
    conn = k8s_client.load_kubeconfig(lab['LAB_BOOTSTRAP_KUBECONFIG'])
    client = k8s_client.K8sClient(conn, field_manager='eksa-anywhere-test')
    present = set(c['metadata']['name'] for c in client.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition'))
    new = []
    for path in sorted(glob.glob(os.path.join(CRD_DIR, '*', '*.yaml'))):
        with open(path) as handle:
            crd = yaml.safe_load(handle)
        if crd['metadata']['name'] in present:
            continue
        crd.get('spec', {}).pop('conversion', None)  # no conversion webhook in the lab
        client.apply(crd)
        new.append(crd['metadata']['name'])
    k8s_apply.wait_crds_established(client, new)
    _declare_fork_field(client)
    client.apply({'apiVersion': 'v1', 'kind': 'Namespace', 'metadata': {'name': 'eksa-system'}})
    yield client
    client.close()
    conn.close()


def _declare_fork_field(client):
    """Give the Cluster CRD EKS Anywhere's fork field, as the lab bundle's core components (and EKS Anywhere's) do."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..', 'lab'))
    import lab_bundle  # pylint: disable=import-outside-toplevel
    crd = client.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'clusters.cluster.x-k8s.io')
    missing = False
    for version in crd['spec']['versions']:
        props = version['schema']['openAPIV3Schema']['properties']['spec'].setdefault('properties', {})
        if 'managedExternalEtcdRef' not in props:
            props['managedExternalEtcdRef'] = lab_bundle.FORK_CLUSTER_FIELD
            missing = True
    if missing:
        for key in ('managedFields', 'resourceVersion', 'uid', 'creationTimestamp', 'generation'):
            crd['metadata'].pop(key, None)
        crd.pop('status', None)
        client.apply(crd)
        k8s_apply.wait_crds_established(client, [crd['metadata']['name']])


def _apply(client, obj, dry_run=True, strict=True):
    res = client.resource(obj['apiVersion'], obj['kind'])
    params = {'fieldManager': 'eksa-anywhere-test', 'force': 'true', 'fieldValidation': 'Strict' if strict else 'Warn'}
    if dry_run:
        params['dryRun'] = 'All'
    ns = obj['metadata'].get('namespace') if res.namespaced else None
    return client.request('PATCH', res.path(obj['metadata']['name'], ns), body=json.dumps(obj), params=params,
                          content_type='application/apply-patch+yaml')


def _dry_run_all(client, objects):
    problems = []
    for obj in objects:
        strict = not (obj['kind'] in FORK_KINDS and 'managedExternalEtcdRef' in obj['spec'])
        try:
            _apply(client, obj, strict=strict)
        except k8s_client.K8sError as exc:
            problems.append('%s %s: %s' % (obj['kind'], obj['metadata']['name'], exc))
    return problems


@pytest.mark.lab
def test_full_featured_stacked_ubuntu_strict(api):
    objects = render(full_featured_docs('ubuntu', stacked=True))
    assert _dry_run_all(api, objects) == []


@pytest.mark.lab
@pytest.mark.parametrize('name', ['cluster_main.yaml', 'cluster_main_multiple_worker_node_groups.yaml',
                                  'cluster_main_stacked_etcd.yaml', 'cluster_with_networks.yaml'])
def test_reference_specs(api, name):
    assert _dry_run_all(api, render(reference_docs(name))) == []


@pytest.mark.lab
def test_fork_field_follows_the_installed_crd(api):
    """managedExternalEtcdRef (EKS Anywhere's Cluster API fork) is accepted under Strict validation where the installed
    Cluster CRD declares it (the lab bundle's core components, as EKS Anywhere's bundles), and refused by upstream's."""
    crd = api.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'clusters.cluster.x-k8s.io')
    declared = any('managedExternalEtcdRef' in ((v['schema']['openAPIV3Schema']['properties']['spec']).get('properties') or {})
                   for v in crd['spec']['versions'])
    cluster = [o for o in render(reference_docs('cluster_main.yaml')) if o['kind'] == 'Cluster'][0]
    if declared:
        assert _apply(api, cluster, strict=True)['spec']['managedExternalEtcdRef']['kind'] == 'EtcdadmCluster'
    else:
        with pytest.raises(k8s_client.K8sError) as err:
            _apply(api, cluster, strict=True)
        assert 'managedExternalEtcdRef' in str(err.value)
