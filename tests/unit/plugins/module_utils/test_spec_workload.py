"""spec.workload: EKS Anywhere's validations before a workload cluster is created on a management cluster (a fake client)."""
import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.spec import workload

EKSA = 'anywhere.eks.amazonaws.com/v1alpha1'
CAPI = 'cluster.x-k8s.io/v1beta2'


class FakeClient(object):
    def __init__(self, objects, serves=None):
        self.objects = dict(((o['apiVersion'], o['kind'], o['metadata'].get('namespace'), o['metadata']['name']), o)
                            for o in objects)
        self.served = serves

    def serves(self, api_version, kind):
        return self.served is None or (api_version, kind) in self.served

    def get(self, api_version, kind, name, namespace=None):
        return self.objects.get((api_version, kind, namespace, name))

    def list(self, api_version, kind, namespace=None, label_selector=None):
        return [o for (a, k, ns, n), o in sorted(self.objects.items(), key=lambda i: str(i[0]))
                if a == api_version and k == kind and (namespace is None or ns == namespace)]


def eksa_cluster(name, mgmt, ns='default', **spec):
    body = {'managementCluster': {'name': mgmt}, 'kubernetesVersion': '1.33'}
    body.update(spec)
    return {'apiVersion': EKSA, 'kind': 'Cluster', 'metadata': {'name': name, 'namespace': ns}, 'spec': body}


def capi_cluster(name):
    return {'apiVersion': CAPI, 'kind': 'Cluster', 'metadata': {'name': name, 'namespace': 'eksa-system'}}


def spec_of(cluster):
    return {'cluster': cluster}


def by_name(report):
    return dict((c['name'], c) for c in report['checks'])


CHECKS = ['validate cluster name', 'validate management cluster has eksa crds', 'validate management cluster name is valid',
          'validate management cluster eksaVersion compatibility',
          'validate management cluster bundle supports kubernetes version']


def management():
    return [eksa_cluster('mgmt', 'mgmt'), capi_cluster('mgmt')]


def test_a_new_workload_cluster_passes_every_check_in_eksa_order():
    rep = workload.check_create(FakeClient(management()), spec_of(eksa_cluster('w01', 'mgmt')))
    assert not rep['failed'], rep['errors']
    assert [c['name'] for c in rep['checks']] == CHECKS
    assert rep['messages'][0] == u'\u2705 validate cluster name'
    assert rep['management'] == 'mgmt' and rep['resume'] is False


def test_wrong_management_cluster_name_is_refused_with_eksa_wording():
    rep = workload.check_create(FakeClient(management()), spec_of(eksa_cluster('w01', 'nope')))
    assert rep['failed']
    check = by_name(rep)['validate management cluster name is valid']
    assert check['status'] == 'failed'
    assert check['message'].startswith('unable to retrieve management cluster nope: '
                                       'clusters.anywhere.eks.amazonaws.com "nope" not found')
    assert 'mgmt' in check['message']  # names what the kubeconfig's cluster manages
    assert check['remediation'].startswith('Specify a valid management cluster in the cluster spec.')
    assert u'\u274c Validation failed' in rep['messages']


def test_a_workload_cluster_cannot_be_a_management_cluster():
    objs = management() + [eksa_cluster('w01', 'mgmt'), capi_cluster('w01')]
    rep = workload.check_create(FakeClient(objs), spec_of(eksa_cluster('w02', 'w01')))
    assert by_name(rep)['validate management cluster name is valid']['message'].startswith(
        'w01 is not a valid management cluster')


def test_name_taken_by_the_management_cluster_itself():
    rep = workload.check_create(FakeClient(management()), spec_of(eksa_cluster('mgmt', 'mgmt-other')))
    assert by_name(rep)['validate cluster name']['message'] == 'cluster name mgmt already exists'


def test_name_taken_by_a_capi_cluster_without_eksa_object():
    rep = workload.check_create(FakeClient(management() + [capi_cluster('w01')]), spec_of(eksa_cluster('w01', 'mgmt')))
    check = by_name(rep)['validate cluster name']
    assert check['status'] == 'failed' and check['message'] == 'cluster name w01 already exists'
    assert rep['resume'] is False


def test_name_taken_by_another_management_clusters_workload():
    objs = management() + [eksa_cluster('mgmt2', 'mgmt2'), eksa_cluster('w01', 'mgmt2'), capi_cluster('w01')]
    rep = workload.check_create(FakeClient(objs), spec_of(eksa_cluster('w01', 'mgmt')))
    assert by_name(rep)['validate cluster name']['status'] == 'failed'
    assert 'managed by mgmt2' in by_name(rep)['validate cluster name']['remediation']


def test_an_earlier_run_of_the_same_create_is_resumed_not_refused():
    objs = management() + [eksa_cluster('w01', 'mgmt'), capi_cluster('w01')]
    rep = workload.check_create(FakeClient(objs), spec_of(eksa_cluster('w01', 'mgmt')))
    assert not rep['failed'] and rep['resume'] is True
    assert 'resumed' in rep['messages'][0]


def test_missing_crds():
    rep = workload.check_create(FakeClient([], serves=set()), spec_of(eksa_cluster('w01', 'mgmt')))
    check = by_name(rep)['validate management cluster has eksa crds']
    assert check['status'] == 'failed'
    assert 'clusters.cluster.x-k8s.io' in check['message'] and 'clusters.anywhere.eks.amazonaws.com' in check['message']


@pytest.mark.parametrize('w, m, error', [
    ('v0.26.1', 'v0.26.1', None),
    ('v0.25.0', 'v0.26.1', None),
    ('v0.27.0', 'v0.26.1', 'cannot upgrade workload cluster to v0.27.0 while management cluster is an older version: v0.26.1'),
    ('v0.26.1', None, 'management cluster has nil EksaVersion'),
    (None, 'v0.26.1', 'cluster has nil EksaVersion'),
    (None, None, None),
    ('bad', 'v0.26.1', 'parsing EksaVersion: not a semantic version: bad'),
])
def test_eksa_version_compatibility(w, m, error):
    mgmt = eksa_cluster('mgmt', 'mgmt', **({'eksaVersion': m} if m else {}))
    cluster = eksa_cluster('w01', 'mgmt', **({'eksaVersion': w} if w else {}))
    check = by_name(workload.check_create(FakeClient([mgmt]), spec_of(cluster)))[
        'validate management cluster eksaVersion compatibility']
    assert (check['status'] == 'failed') == bool(error)
    if error:
        assert check['message'] == error
        assert check['remediation'] == 'upgrade management cluster mgmt before creating workload cluster w01'


def bundles(name, ns, *kube):
    return {'apiVersion': EKSA, 'kind': 'Bundles', 'metadata': {'name': name, 'namespace': ns},
            'spec': {'versionsBundles': [{'kubeVersion': k} for k in kube]}}


def test_bundle_from_bundles_ref_must_offer_the_kubernetes_version():
    mgmt = eksa_cluster('mgmt', 'mgmt', bundlesRef={'apiVersion': EKSA, 'name': 'bundles-1', 'namespace': 'eksa-system'})
    client = FakeClient([mgmt, bundles('bundles-1', 'eksa-system', '1.32', '1.33')])
    ok = workload.check_create(client, spec_of(eksa_cluster('w01', 'mgmt')))
    assert not ok['failed']
    bad = workload.check_create(client, spec_of(eksa_cluster('w01', 'mgmt', kubernetesVersion='1.34')))
    check = by_name(bad)['validate management cluster bundle supports kubernetes version']
    assert check['status'] == 'failed'
    assert check['message'] == ('the management cluster mgmt runs Bundles eksa-system/bundles-1, which has no versionsBundle '
                                'for Kubernetes 1.34 (it has: 1.32, 1.33)')


def test_bundle_from_the_eksa_release_of_the_management_eksa_version():
    mgmt = eksa_cluster('mgmt', 'mgmt', eksaVersion='v0.26.1')
    release = {'apiVersion': EKSA, 'kind': 'EKSARelease', 'metadata': {'name': 'eksa-v0-26-1', 'namespace': 'eksa-system'},
               'spec': {'bundlesRef': {'name': 'bundles-9', 'namespace': 'eksa-system'}}}
    client = FakeClient([mgmt, release, bundles('bundles-9', 'eksa-system', '1.33')])
    rep = workload.check_create(client, spec_of(eksa_cluster('w01', 'mgmt', eksaVersion='v0.26.1', kubernetesVersion='1.31')))
    check = by_name(rep)['validate management cluster bundle supports kubernetes version']
    assert check['status'] == 'failed' and '(EKSARelease eksa-v0-26-1)' in check['message']


def test_no_bundle_on_the_management_cluster_passes_with_a_note():
    rep = workload.check_create(FakeClient(management()), spec_of(eksa_cluster('w01', 'mgmt')))
    check = by_name(rep)['validate management cluster bundle supports kubernetes version']
    assert check['status'] == 'passed' and 'checked against the given bundle' in check['message']


def test_helpers():
    assert workload.eksa_release_name('v0.26.1') == 'eksa-v0-26-1'
    assert workload.is_workload(eksa_cluster('w', 'm')) and not workload.is_workload(eksa_cluster('m', 'm'))
    assert not workload.is_workload({'metadata': {'name': 'x'}, 'spec': {}})
    assert workload.compare_versions('v1.2.3', 'v1.2.3-rc.1+b') == 0
    with pytest.raises(ValueError):
        workload.compare_versions('1.2', 'v1.2.3')


def flux(name, ns='default', branch='main'):
    return {'apiVersion': EKSA, 'kind': 'FluxConfig', 'metadata': {'name': name, 'namespace': ns},
            'spec': {'branch': branch, 'github': {'owner': 'me', 'repository': 'fleet'}}}


def test_gitops_must_be_the_management_clusters():
    mgmt = eksa_cluster('mgmt', 'mgmt', gitOpsRef={'kind': 'FluxConfig', 'name': 'mgmt-flux'})
    client = FakeClient([mgmt, flux('mgmt-flux')])
    same = workload.check_create(client, {'cluster': eksa_cluster('w01', 'mgmt'), 'gitops': flux('w01-flux')})
    assert by_name(same)['validate gitops']['status'] == 'passed'
    assert [c['name'] for c in same['checks']][:2] == ['validate cluster name', 'validate gitops']
    other = workload.check_create(client, {'cluster': eksa_cluster('w01', 'mgmt'), 'gitops': flux('w01-flux', branch='dev')})
    assert by_name(other)['validate gitops']['message'] == (
        'workload cluster gitOpsConfig is invalid: expected gitOpsConfig to be the same between management and its '
        'workload clusters')
    taken = workload.check_create(client, {'cluster': eksa_cluster('w01', 'mgmt'), 'gitops': flux('mgmt-flux')})
    assert by_name(taken)['validate gitops']['message'] == 'gitOpsConfig mgmt-flux already exists'


def test_gitops_without_the_management_clusters_config():
    rep = workload.check_create(FakeClient(management()), {'cluster': eksa_cluster('w01', 'mgmt'), 'gitops': flux('w01-flux')})
    assert 'the management cluster mgmt has no GitOps configuration' in by_name(rep)['validate gitops']['message']


def test_no_gitops_no_identity_providers_no_such_checks():
    rep = workload.check_create(FakeClient(management()), spec_of(eksa_cluster('w01', 'mgmt')))
    assert 'validate gitops' not in by_name(rep) and "validate identity providers' name" not in by_name(rep)


def test_identity_provider_names_must_be_free_unless_resumed():
    oidc = {'apiVersion': EKSA, 'kind': 'OIDCConfig', 'metadata': {'name': 'corp', 'namespace': 'default'}, 'spec': {}}
    refs = [{'kind': 'OIDCConfig', 'name': 'corp'}, {'kind': 'OIDCConfig', 'name': 'new'}]
    rep = workload.check_create(FakeClient(management() + [oidc]),
                                spec_of(eksa_cluster('w01', 'mgmt', identityProviderRefs=refs)))
    assert by_name(rep)["validate identity providers' name"]['message'] == 'the following identityProviders already exists [corp]'
    resumed = workload.check_create(FakeClient(management() + [oidc, eksa_cluster('w01', 'mgmt', identityProviderRefs=refs)]),
                                    spec_of(eksa_cluster('w01', 'mgmt', identityProviderRefs=refs)))
    assert not resumed['failed']
