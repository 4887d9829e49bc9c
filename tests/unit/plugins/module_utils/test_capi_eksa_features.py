"""Each EKS Anywhere v0.26 feature of issue 12 rendered from a spec using it, checked against what EKS Anywhere's
templates (pkg/providers/vsphere/config/template-cp.yaml, template-md.yaml, pkg/registrymirror) produce for the same
input; every rendered object also validates against its CRD (EKS Anywhere fork fields aside)."""
import copy
import os
import sys

import pytest
import yaml

sys.path.insert(0, os.path.dirname(__file__))

from test_capi_support import BUNDLES, assert_valid, find, reference_docs, render  # noqa: E402
from test_spec_corpus import FEATURED, load_reference, PEM  # noqa: E402

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import render as capi_render  # noqa: E402
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import SpecError, load_spec  # noqa: E402

REGISTRY = {'username': 'reg-user', 'password': 'reg-Passw0rd'}
BR_FACTS = {'machine_configs': dict((n, {'template': '/SDDC-Datacenter/vm/Templates/bottlerocket'})
                                    for n in ('test-cp', 'test-wn', 'test-etcd'))}


def featured_objects():
    return render(load_reference(FEATURED), vsphere_facts=BR_FACTS, registry_credentials=REGISTRY)


def files_of(obj):
    spec = obj['spec']['kubeadmConfigSpec'] if obj['kind'] == 'KubeadmControlPlane' else obj['spec']['template']['spec']
    return dict((f['path'], f) for f in spec.get('files') or [])


def ubuntu_docs(**cluster_spec):
    docs = reference_docs('cluster_main.yaml')
    docs[0]['spec'].update(copy.deepcopy(cluster_spec))
    return docs


# ------------------------------------------------------------------ case-insensitive field names
def test_field_names_match_regardless_of_case_and_normalize_to_the_canonical_name():
    docs = reference_docs('cluster_main.yaml')
    cluster = docs[0]
    cluster['spec']['controlPlaneConfiguration']['certSANs'] = ['api.example.com']   # EKS Anywhere's own specs write this
    cluster['spec']['ClusterNetwork'] = cluster['spec'].pop('clusterNetwork')
    cluster['Metadata'] = cluster.pop('metadata')
    docs[1]['SPEC'] = docs[1].pop('spec')
    spec = load_spec(data=docs)
    cp = spec['cluster']['spec']['controlPlaneConfiguration']
    assert cp['certSans'] == ['api.example.com'] and 'certSANs' not in cp
    assert 'clusterNetwork' in spec['cluster']['spec'] and spec['cluster']['metadata']['name'] == 'test'
    kcp = find(capi_render.render(spec, BUNDLES, credentials={'username': 'u', 'password': 'p'}), 'KubeadmControlPlane', 'test')
    assert kcp['spec']['kubeadmConfigSpec']['clusterConfiguration']['apiServer']['certSANs'] == ['api.example.com']


def test_exact_name_preferred_and_both_spellings_warn():
    docs = reference_docs('cluster_main.yaml')
    cp = docs[0]['spec']['controlPlaneConfiguration']
    cp['certSans'] = ['a.example.com']
    cp['certSANs'] = ['b.example.com']
    warnings = []
    spec = load_spec(data=docs, warnings=warnings)
    assert spec['cluster']['spec']['controlPlaneConfiguration']['certSans'] == ['b.example.com']  # the later one, as Go
    assert any('certSANs' in str(w) for w in warnings)


def test_a_key_matching_no_field_in_any_case_is_still_unknown():
    docs = reference_docs('cluster_main.yaml')
    docs[0]['spec']['controlPlaneConfiguration']['certSANz'] = ['a.example.com']
    with pytest.raises(SpecError) as err:
        load_spec(data=docs)
    assert 'unknown field "certSANz"' in str(err.value)


# ------------------------------------------------------------------ registry mirror
def test_bottlerocket_mirror_namespaces_become_a_mirrors_list_everywhere():
    objects = featured_objects()
    expected = {'mirrors': [{'registry': 'public.ecr.aws', 'endpoints': ['mirror.example.com:5000/v2/eks-anywhere']},
                            {'registry': 'docker.io', 'endpoints': ['mirror.example.com:5000/v2/docker-hub']}],
                'caCert': PEM}
    kcp = find(objects, 'KubeadmControlPlane', 'test')['spec']['kubeadmConfigSpec']
    assert kcp['clusterConfiguration']['registryMirror'] == expected
    assert kcp['joinConfiguration']['registryMirror'] == expected
    kct = find(objects, 'KubeadmConfigTemplate')[0]['spec']['template']['spec']
    assert kct['joinConfiguration']['registryMirror'] == expected
    etcd = find(objects, 'EtcdadmCluster', 'test-etcd')['spec']['etcdadmConfigSpec']
    # EtcdadmConfigSpec.registryMirror has endpoint and caCert only: the mirror of the etcd image's registry
    assert etcd['registryMirror'] == {'endpoint': 'mirror.example.com:5000/v2/eks-anywhere', 'caCert': PEM}


def test_bottlerocket_single_namespace_endpoint_carries_v2_namespace():
    docs = reference_docs('cluster_main_br.yaml')
    docs[0]['spec']['registryMirrorConfiguration'] = {
        'endpoint': 'mirror.example.com', 'ociNamespaces': [{'registry': 'public.ecr.aws', 'namespace': 'eks-anywhere'}]}
    kcp = find(render(docs, vsphere_facts=BR_FACTS), 'KubeadmControlPlane', 'test')['spec']['kubeadmConfigSpec']
    assert kcp['clusterConfiguration']['registryMirror'] == {'endpoint': 'mirror.example.com:443/v2/eks-anywhere'}


def test_ubuntu_containerd_config_path_and_hosts_toml_per_registry():
    docs = ubuntu_docs(registryMirrorConfiguration={
        'endpoint': 'mirror.example.com', 'port': '5000', 'caCertContent': PEM, 'insecureSkipVerify': True,
        'ociNamespaces': [{'registry': 'public.ecr.aws', 'namespace': 'eks-anywhere'},
                          {'registry': 'docker.io', 'namespace': 'docker-hub'}]})
    objects = render(docs)
    for obj in [find(objects, 'KubeadmControlPlane', 'test')] + find(objects, 'KubeadmConfigTemplate'):
        files = files_of(obj)
        assert files['/etc/containerd/config_append.toml']['content'] == (
            '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n')
        assert files['/etc/containerd/certs.d/mirror.example.com:5000/ca.crt']['content'] == PEM
        assert files['/etc/containerd/certs.d/docker.io/hosts.toml']['content'] == (
            'server = "https://registry-1.docker.io"\n\n'
            '[host."https://mirror.example.com:5000/v2/docker-hub"]\n'
            '  capabilities = ["pull", "resolve"]\n  override_path = true\n'
            '  ca = "/etc/containerd/certs.d/mirror.example.com:5000/ca.crt"\n  skip_verify = true\n')
        assert '/etc/containerd/certs.d/public.ecr.aws/hosts.toml' in files
        text = yaml.safe_dump(obj)
        assert 'registry.mirrors' not in text and '.tls]' not in text  # containerd 2 refuses them beside config_path
        spec = obj['spec']['kubeadmConfigSpec'] if obj['kind'] == 'KubeadmControlPlane' else obj['spec']['template']['spec']
        assert spec['preKubeadmCommands'][-3:] == ['cat /etc/containerd/config_append.toml >> /etc/containerd/config.toml',
                                                   'sudo systemctl daemon-reload', 'sudo systemctl restart containerd']
    assert_valid(objects)


def test_authenticated_mirror_credentials_rendered_as_eksa_and_masked_elsewhere(tmp_path):
    docs = ubuntu_docs(registryMirrorConfiguration={'endpoint': 'mirror.example.com', 'authenticate': True})
    with pytest.raises(capi_render.RenderError) as err:
        render(docs)
    assert err.value.field == 'registry_username' and 'REGISTRY_USERNAME' in err.value.message
    objects = render(docs, registry_credentials=REGISTRY)
    append = files_of(find(objects, 'KubeadmControlPlane', 'test'))['/etc/containerd/config_append.toml']
    assert append['permissions'] == '0600'
    assert ('[plugins."io.containerd.grpc.v1.cri".registry.configs."mirror.example.com:443".auth]\n'
            '  username = "reg-user"\n  password = "reg-Passw0rd"\n') in append['content']
    secret = find(objects, 'Secret', 'registry-credentials')
    assert secret['metadata']['namespace'] == 'eksa-system' and sorted(secret['data']) == ['password', 'username']
    written = capi_render.write_manifests(objects, str(tmp_path), 'test')
    for text in list(written['after'].values()):
        assert 'reg-Passw0rd' not in text and 'reg-user' not in text
    assert 'reg-Passw0rd' in open(written['files'][0]).read()  # the nodes need it (file 0600)


def test_bottlerocket_authenticated_mirror_keeps_credentials_in_the_secret_only():
    objects = featured_objects()
    secret = find(objects, 'Secret', 'registry-credentials')
    assert secret['data']['password']
    for obj in objects:
        if obj['kind'] != 'Secret':
            assert 'reg-Passw0rd' not in yaml.safe_dump(obj)


def test_curated_packages_rule_counts_only_the_packages_account():
    docs = reference_docs('cluster_main.yaml')
    docs[0]['spec']['registryMirrorConfiguration'] = {'endpoint': 'mirror.example.com', 'ociNamespaces': [
        {'registry': 'public.ecr.aws', 'namespace': 'eks-anywhere'},
        {'registry': '783794618700.dkr.ecr.us-west-2.amazonaws.com', 'namespace': 'curated-packages'},
        {'registry': '123456789012.dkr.ecr.us-west-2.amazonaws.com', 'namespace': 'other'}]}
    load_spec(data=docs)  # EKS Anywhere accepts it: only one of them is the curated-packages account


# ------------------------------------------------------------------ worker kubernetesVersion
def test_worker_group_on_its_own_version_renders_from_its_bundle_entry():
    docs = reference_docs('cluster_main_multiple_worker_node_groups.yaml')
    docs[0]['spec']['kubernetesVersion'] = '1.21'
    docs[0]['spec']['workerNodeGroupConfigurations'][1]['kubernetesVersion'] = '1.19'
    objects = render(docs)
    mds = dict((md['metadata']['name'], md) for md in find(objects, 'MachineDeployment'))
    versions = sorted(md['spec']['template']['spec']['version'] for md in mds.values())
    assert versions[0].startswith('v1.19') and versions[-1].startswith('v1.21')
    assert find(objects, 'KubeadmControlPlane', 'test')['spec']['version'].startswith('v1.21')


def test_worker_version_skew_rules():
    docs = reference_docs('cluster_main.yaml')
    docs[0]['spec']['workerNodeGroupConfigurations'][0]['kubernetesVersion'] = '1.20'  # cluster is 1.19
    with pytest.raises(SpecError) as err:
        load_spec(data=docs)
    assert 'cannot be greater than cluster KubernetesVersion' in str(err.value)
    docs[0]['spec']['kubernetesVersion'] = '1.29'
    docs[0]['spec']['workerNodeGroupConfigurations'][0]['kubernetesVersion'] = '1.26'
    with pytest.raises(SpecError) as err:
        load_spec(data=docs)
    assert 'more than 2 minor versions' in str(err.value)


# ------------------------------------------------------------------ etcd encryption
# EKS Anywhere writes KMS v1 with cachesize for every version (pkg/providers/common/testdata/expected_encryption_config.yaml)
@pytest.mark.parametrize('version', ['1.21', '1.29'])
def test_etcd_encryption_config_file_flag_and_volumes(version):
    docs = ubuntu_docs(kubernetesVersion=version, etcdEncryption=[{
        'providers': [{'kms': {'name': 'config1', 'socketListenAddress': 'unix:///var/run/kmsplugin/socket1.sock'}}],
        'resources': ['secrets', 'configmaps']}])
    eksd = os.path.join(os.path.dirname(BUNDLES), 'kubernetes-1-21-eks-4.yaml')  # the 1.29 entry's is not in shared
    kcp = find(render(docs, eksd=eksd), 'KubeadmControlPlane', 'test')['spec']['kubeadmConfigSpec']
    api_server = kcp['clusterConfiguration']['apiServer']
    assert {'name': 'encryption-provider-config', 'value': '/etc/kubernetes/enc/encryption-config.yaml'} in api_server['extraArgs']
    mounts = dict((v['name'], v) for v in api_server['extraVolumes'])
    assert mounts['encryption-config']['hostPath'] == '/etc/kubernetes/enc/encryption-config.yaml'
    assert mounts['kms-plugin']['hostPath'] == '/var/run/kmsplugin/'
    config = yaml.safe_load(files_of({'kind': 'KubeadmControlPlane', 'spec': {'kubeadmConfigSpec': kcp}})[
        '/etc/kubernetes/enc/encryption-config.yaml']['content'])
    kms = {'apiVersion': 'v1', 'name': 'config1', 'endpoint': 'unix:///var/run/kmsplugin/socket1.sock', 'cachesize': 1000,
           'timeout': '3s'}
    assert config == {'apiVersion': 'apiserver.config.k8s.io/v1', 'kind': 'EncryptionConfiguration', 'resources': [
        {'resources': ['secrets', 'configmaps'], 'providers': [{'kms': kms}, {'identity': {}}]}]}


# ------------------------------------------------------------------ Bottlerocket host settings
def test_cert_bundles_and_etcd_kernel_boot_settings():
    docs = load_reference(FEATURED)
    for doc in docs:
        if doc['kind'] == 'VSphereMachineConfig' and doc['metadata']['name'] == 'test-etcd':
            doc['spec']['hostOSConfiguration']['bottlerocketConfiguration'] = {
                'kernel': {'sysctlSettings': {'vm.max_map_count': '262144'}},
                'boot': {'bootKernelParameters': {'console': ['tty0', 'ttyS0,115200n8']}}}
    objects = render(docs, vsphere_facts=BR_FACTS, registry_credentials=REGISTRY)
    etcd = find(objects, 'EtcdadmCluster', 'test-etcd')['spec']['etcdadmConfigSpec']
    assert etcd['bottlerocketConfig']['kernel'] == {'sysctlSettings': {'vm.max_map_count': '262144'}}
    assert etcd['bottlerocketConfig']['boot'] == {'bootKernelParameters': {'console': ['tty0', 'ttyS0,115200n8']}}
    assert etcd['certBundles'] == [{'name': 'corp-ca', 'data': PEM}]
    kcp = find(objects, 'KubeadmControlPlane', 'test')['spec']['kubeadmConfigSpec']
    assert kcp['clusterConfiguration']['certBundles'] == kcp['joinConfiguration']['certBundles'] == [
        {'name': 'corp-ca', 'data': PEM}]
    kct = find(objects, 'KubeadmConfigTemplate')[0]['spec']['template']['spec']
    assert kct['joinConfiguration']['certBundles'] == [{'name': 'corp-ca', 'data': PEM}]
    assert_valid(objects)


def test_cert_bundles_refused_on_ubuntu():
    docs = reference_docs('cluster_main.yaml')
    docs[1 + 1]['spec']['hostOSConfiguration'] = {'certBundles': [{'name': 'ca', 'data': PEM}]}
    with pytest.raises(SpecError) as err:
        load_spec(data=docs)
    assert 'only supported for the bottlerocket osFamily' in str(err.value)


# ------------------------------------------------------------------ workers
def test_autoscaling_group_carries_no_replicas_and_1_21_workers_use_systemd_cgroups():
    docs = reference_docs('cluster_main.yaml')
    docs[0]['spec']['kubernetesVersion'] = '1.21'
    docs[0]['spec']['workerNodeGroupConfigurations'][0]['autoscalingConfiguration'] = {'minCount': 1, 'maxCount': 5}
    docs[0]['spec']['workerNodeGroupConfigurations'][0]['count'] = 1
    objects = render(docs)
    md = find(objects, 'MachineDeployment')[0]
    assert 'replicas' not in md['spec']
    assert md['metadata']['annotations']['cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size'] == '5'
    kct = find(objects, 'KubeadmConfigTemplate')[0]['spec']['template']['spec']
    assert {'name': 'cgroup-driver', 'value': 'systemd'} in kct['joinConfiguration']['nodeRegistration']['kubeletExtraArgs']
    kcp = find(objects, 'KubeadmControlPlane', 'test')['spec']['kubeadmConfigSpec']
    assert all(a['name'] != 'cgroup-driver' for a in kcp['joinConfiguration']['nodeRegistration']['kubeletExtraArgs'])


# ------------------------------------------------------------------ OIDC
@pytest.mark.parametrize('change, words', [
    ({'clientId': ''}, 'ClientId is required'),
    ({'issuerUrl': 'http://issuer.example.com'}, 'must be an https:// URL'),
    ({'requiredClaims': [{'claim': 'a', 'value': '1'}, {'claim': 'b', 'value': '2'}]}, 'only one OIDConfig RequiredClaim'),
])
def test_oidc_validations(change, words):
    docs = load_reference(FEATURED)
    docs[-1]['spec'].update(change)
    with pytest.raises(SpecError) as err:
        load_spec(data=docs)
    assert words in str(err.value) and 'OIDCConfig/oidc' in str(err.value)


def test_featured_spec_loads_renders_and_validates():
    objects = featured_objects()
    assert assert_valid(objects) >= 8


def test_skip_load_balancer_and_pod_iam_issuer():
    docs = reference_docs('cluster_main.yaml')
    docs[0]['spec']['controlPlaneConfiguration']['skipLoadBalancerDeployment'] = True
    docs[0]['spec']['podIamConfig'] = {'serviceAccountIssuer': 'https://issuer.example.com'}
    kcp = find(render(docs), 'KubeadmControlPlane', 'test')
    assert '/etc/kubernetes/manifests/kube-vip.yaml' not in files_of(kcp)
    args = kcp['spec']['kubeadmConfigSpec']['clusterConfiguration']['apiServer']['extraArgs']
    assert {'name': 'service-account-issuer', 'value': 'https://issuer.example.com'} in args
