"""Rendered manifests are accepted by a server-side dry-run apply (fieldValidation=Strict) on the lab's real
kube-apiserver with the pinned CRDs of shared/crds installed."""
import glob
import json
import os

import pytest
import yaml

from test_capi_support import CRD_DIR, full_featured_docs, reference_docs, render

kubernetes = pytest.importorskip('kubernetes')

FORK_KINDS = {'Cluster'}  # spec.managedExternalEtcdRef (EKS Anywhere fork field, docs/compatibility.md)


@pytest.fixture(scope='module')
def api(lab):
    from kubernetes import client, config
    api_client = config.new_client_from_config(config_file=lab['LAB_BOOTSTRAP_KUBECONFIG'])
    ext = client.ApiextensionsV1Api(api_client)
    present = set(c.metadata.name for c in ext.list_custom_resource_definition().items)
    for path in sorted(glob.glob(os.path.join(CRD_DIR, '*', '*.yaml'))):
        with open(path) as handle:
            crd = yaml.safe_load(handle)
        if crd['metadata']['name'] in present:
            continue
        crd.get('spec', {}).pop('conversion', None)  # no conversion webhook in the lab
        _apply(api_client, crd, dry_run=False, strict=False)
    core = client.CoreV1Api(api_client)
    try:
        core.read_namespace('eksa-system')
    except client.exceptions.ApiException:
        core.create_namespace({'metadata': {'name': 'eksa-system'}})
    return api_client


def _path(obj):
    group_version = obj['apiVersion']
    plural = obj['kind'].lower() + 's'  # every kind rendered here pluralizes regularly
    base = '/api/v1' if group_version == 'v1' else '/apis/%s' % group_version
    ns = obj['metadata'].get('namespace')
    return '%s%s/%s/%s' % (base, '/namespaces/%s' % ns if ns else '', plural, obj['metadata']['name'])


def _apply(api_client, obj, dry_run=True, strict=True):
    query = [('fieldManager', 'eksa-anywhere-test'), ('force', 'true'),
             ('fieldValidation', 'Strict' if strict else 'Warn')]
    if dry_run:
        query.append(('dryRun', 'All'))
    return api_client.call_api(_path(obj), 'PATCH', query_params=query,
                               header_params={'Content-Type': 'application/apply-patch+yaml', 'Accept': 'application/json'},
                               body=json.dumps(obj), response_type='object', _return_http_data_only=True)


def _dry_run_all(api_client, objects):
    from kubernetes.client.exceptions import ApiException
    problems = []
    for obj in objects:
        strict = not (obj['kind'] in FORK_KINDS and 'managedExternalEtcdRef' in obj['spec'])
        try:
            _apply(api_client, obj, strict=strict)
        except ApiException as exc:
            problems.append('%s %s: %s' % (obj['kind'], obj['metadata']['name'], exc.body))
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
def test_strict_refuses_fork_field(api):
    """The lab runs upstream Cluster API: the fork's managedExternalEtcdRef is refused under Strict validation."""
    from kubernetes.client.exceptions import ApiException
    cluster = [o for o in render(reference_docs('cluster_main.yaml')) if o['kind'] == 'Cluster'][0]
    with pytest.raises(ApiException) as err:
        _apply(api, cluster, strict=True)
    assert 'managedExternalEtcdRef' in err.value.body
