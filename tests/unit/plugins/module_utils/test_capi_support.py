"""Shared helpers of the capi_manifests tests (spec fixtures, strict CRD schema validation).

Tests read the reference data from <repo>/../shared (or EKSA_SHARED_DIR); the collection never does.
"""
import copy
import glob
import os
import re

import jsonschema
import pytest
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
SHARED = os.environ.get('EKSA_SHARED_DIR') or os.path.abspath(os.path.join(REPO, '..', 'shared'))
REF_DIR = os.path.join(SHARED, 'eksa-reference', 'vsphere')
BUNDLES = os.path.join(SHARED, 'eksa-reference', 'fixtures', 'bundles.yaml')
CRD_DIR = os.path.join(SHARED, 'crds')
CREDS = {'username': 'vsphere-user@vsphere.local', 'password': 'S3cr3t-Passw0rd!'}
SSH_KEY = ('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKqq0LGTNb7RTVtgDgIFPBtr0U5r9pnhJhtJIL4X55YV')
NODE_RE = re.compile(r'\n    node:\n      cidrMaskSize: 8\n')


def reference_text(name):
    with open(os.path.join(REF_DIR, name)) as handle:
        text = handle.read()
    return NODE_RE.sub('\n', text)  # clusterNetwork.node is not an API field (README): removed before load


def reference_docs(name):
    return [d for d in yaml.safe_load_all(reference_text(name)) if d]


def fill_failure_domains(docs):
    """cluster_vsphere_failuredomain.yaml lacks the fields EKS Anywhere requires of each failure domain."""
    for doc in docs:
        if doc['kind'] == 'VSphereDatacenterConfig':
            for i, fd in enumerate(doc['spec'].get('failureDomains') or []):
                fd.setdefault('computeCluster', '/SDDC-Datacenter/host/Cluster-%d' % (i + 1))
                fd.setdefault('resourcePool', '/SDDC-Datacenter/host/Cluster-%d/Resources' % (i + 1))
                fd.setdefault('datastore', '/SDDC-Datacenter/datastore/ds-%d' % (i + 1))
                fd.setdefault('folder', '/SDDC-Datacenter/vm/fd-%d' % (i + 1))
                fd.setdefault('network', '/SDDC-Datacenter/network/net-%d' % (i + 1))
    return docs


def load(docs):
    from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import load_spec
    return load_spec(data=copy.deepcopy(docs))


def render(docs, **kwargs):
    from ansible_collections.eksa.anywhere.plugins.module_utils.capi import render as capi_render
    kwargs.setdefault('credentials', CREDS)
    return capi_render.render(load(docs), kwargs.pop('bundle', BUNDLES), **kwargs)


def find(objects, kind, name=None):
    found = [o for o in objects if o['kind'] == kind and (name is None or o['metadata']['name'] == name)]
    assert found, 'no %s %s in %s' % (kind, name or '', sorted((o['kind'], o['metadata']['name']) for o in objects))
    return found[0] if name is not None else found


def full_featured_docs(os_family='ubuntu', stacked=False):
    """A spec using every field the templates express."""
    docs = reference_docs('cluster_main.yaml')
    cluster = docs[0]
    spec = cluster['spec']
    spec['kubernetesVersion'] = '1.21'
    if stacked:
        spec.pop('externalEtcdConfiguration')
    spec['clusterNetwork']['dns'] = {'resolvConf': {'path': '/etc/my-resolv.conf'}}
    spec['clusterNetwork']['nodes'] = {'cidrMaskSize': 24}
    cp = spec['controlPlaneConfiguration']
    cp.update({'certSans': ['api.example.com', '10.0.0.10'], 'labels': {'tier': 'cp'},
               'taints': [{'key': 'dedicated', 'value': 'cp', 'effect': 'NoSchedule'}],
               'apiServerExtraArgs': {'feature-gates': 'SomeGate=true'},
               'kubeletConfiguration': {'kind': 'KubeletConfiguration', 'maxPods': 50},
               'upgradeRolloutStrategy': {'type': 'RollingUpdate', 'rollingUpdate': {'maxSurge': 0}},
               'machineHealthCheck': {'nodeStartupTimeout': '15m', 'unhealthyMachineTimeout': '6m', 'maxUnhealthy': '50%'}})
    spec['workerNodeGroupConfigurations'] = [
        {'name': 'md-0', 'count': 2, 'machineGroupRef': {'kind': 'VSphereMachineConfig', 'name': 'test-wn'},
         'labels': {'group': 'a', 'zone': 'z1'}, 'taints': [{'key': 'k', 'value': 'v', 'effect': 'PreferNoSchedule'}],
         'kubeletConfiguration': {'kind': 'KubeletConfiguration', 'maxPods': 30},
         'upgradeRolloutStrategy': {'type': 'RollingUpdate', 'rollingUpdate': {'maxSurge': 1, 'maxUnavailable': 0}}},
        {'name': 'md-1', 'machineGroupRef': {'kind': 'VSphereMachineConfig', 'name': 'test-wn'},
         'autoscalingConfiguration': {'minCount': 1, 'maxCount': 5},
         'machineHealthCheck': {'maxUnhealthy': 2}},
    ]
    spec['proxyConfiguration'] = {'httpProxy': 'http://proxy:3128', 'httpsProxy': 'http://proxy:3128',
                                  'noProxy': ['10.0.0.0/8']}
    spec['registryMirrorConfiguration'] = {'endpoint': 'mirror.example.com', 'port': '5000',
                                           'caCertContent': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
                                           'ociNamespaces': [{'registry': 'public.ecr.aws', 'namespace': 'eks-anywhere'}]}
    spec['identityProviderRefs'] = [{'kind': 'OIDCConfig', 'name': 'oidc'}]
    docs.append({'apiVersion': 'anywhere.eks.amazonaws.com/v1alpha1', 'kind': 'OIDCConfig',
                 'metadata': {'name': 'oidc', 'namespace': cluster['metadata']['namespace']},
                 'spec': {'clientId': 'kubernetes', 'issuerUrl': 'https://issuer.example.com', 'groupsClaim': 'groups',
                          'groupsPrefix': 'oidc:', 'usernameClaim': 'email', 'usernamePrefix': 'oidc:',
                          'requiredClaims': [{'claim': 'aud', 'value': 'k8s'}]}})
    for doc in docs:
        if doc['kind'] == 'VSphereMachineConfig':
            doc['spec']['osFamily'] = os_family
            doc['spec']['hostOSConfiguration'] = {'ntpConfiguration': {'servers': ['0.pool.ntp.org', '1.pool.ntp.org']}}
            doc['spec']['tags'] = ['urn:vmomi:InventoryServiceTag:1:GLOBAL']
            if doc['metadata']['name'] == 'test-wn':
                doc['spec']['networks'] = ['/SDDC-Datacenter/network/extra']
            doc['spec']['users'] = [{'name': 'ec2-user' if os_family == 'bottlerocket' else 'capv',
                                     'sshAuthorizedKeys': [SSH_KEY]}]
            if os_family == 'bottlerocket':
                doc['spec']['hostOSConfiguration']['bottlerocketConfiguration'] = {
                    'kernel': {'sysctlSettings': {'vm.max_map_count': '262144'}}}
    return docs


# ---------------------------------------------------------------------------------------------- schemas
_CRDS = {}


def crds():
    if not _CRDS:
        for path in glob.glob(os.path.join(CRD_DIR, '*', '*.yaml')):
            with open(path) as handle:
                crd = yaml.safe_load(handle)
            group, kind = crd['spec']['group'], crd['spec']['names']['kind']
            for version in crd['spec']['versions']:
                if version.get('served'):
                    _CRDS[('%s/%s' % (group, version['name']), kind)] = version['schema']['openAPIV3Schema']
    return _CRDS


def _unknown_fields(value, schema, path, out):
    """Fields not declared by a structural schema (what a strict server-side apply refuses)."""
    if isinstance(value, dict):
        if schema.get('x-kubernetes-preserve-unknown-fields'):
            return
        props = schema.get('properties')
        if props is None:
            extra = schema.get('additionalProperties')
            if isinstance(extra, dict):
                for key, item in value.items():
                    _unknown_fields(item, extra, '%s.%s' % (path, key), out)
            return
        for key, item in value.items():
            if key not in props:
                out.append('%s.%s' % (path, key) if path else key)
            else:
                _unknown_fields(item, props[key], '%s.%s' % (path, key) if path else key, out)
    elif isinstance(value, list) and isinstance(schema.get('items'), dict):
        for i, item in enumerate(value):
            _unknown_fields(item, schema['items'], '%s[%d]' % (path, i), out)


def _drop(obj, dotted):
    parts = dotted.split('.')
    cur = obj
    for part in parts[:-1]:
        cur = cur.get(part) if isinstance(cur, dict) else None
        if cur is None:
            return False
    if not isinstance(cur, dict):
        return False
    last = parts[-1]
    if '=' in last:  # an enum value of the fork (format=bottlerocket): validate as the upstream default
        key, val = last.split('=', 1)
        if cur.get(key) == val:
            cur[key] = 'cloud-config'
            return True
        return False
    return cur.pop(last, None) is not None


def schema_problems(obj, allow_fork=True):
    """Problems of one object against its CRD (None: no CRD in shared, e.g. core v1 and docker kinds)."""
    from ansible_collections.eksa.anywhere.plugins.module_utils.capi.render import EKSA_FORK_FIELDS
    schema = crds().get((obj['apiVersion'], obj['kind']))
    if schema is None:
        return None
    obj = copy.deepcopy(obj)
    if allow_fork:
        for dotted in EKSA_FORK_FIELDS.get(obj['kind'], []):
            _drop(obj, dotted)
    problems = ['%s: %s' % ('.'.join(str(p) for p in e.absolute_path), e.message)
                for e in jsonschema.Draft7Validator(schema).iter_errors(obj)]
    unknown = []
    _unknown_fields(obj, schema, '', unknown)
    problems += ['%s: unknown field' % p for p in unknown if not p.startswith('metadata.')]
    return problems


def assert_valid(objects):
    checked = 0
    for obj in objects:
        problems = schema_problems(obj)
        if problems is None:
            assert obj['apiVersion'] == 'v1' or obj['kind'].startswith('Docker'), obj['kind']
            continue
        checked += 1
        assert not problems, '%s %s: %s' % (obj['kind'], obj['metadata']['name'], problems)
    return checked


def test_support_reads_shared():
    if not os.path.isdir(SHARED):
        pytest.fail('shared reference data not found at %s (set EKSA_SHARED_DIR)' % SHARED)
    assert ('cluster.x-k8s.io/v1beta2', 'Cluster') in crds()


def test_cloud_provider_credentials_keys_without_the_servers_port():
    """A server given as host:port (the lab's vCenter): the cloud provider's credential keys are <host>.username and
    .password (Kubernetes refuses a colon in a Secret key: the real ClusterResourceSet controller failed to apply it),
    and vsphere.conf carries the port on its own."""
    docs = reference_docs('cluster_main.yaml')
    for doc in docs:
        if doc['kind'] == 'VSphereDatacenterConfig':
            doc['spec']['server'] = '127.0.0.1:8443'
    objects = render(docs)
    name = docs[0]['metadata']['name']
    wrapped = find(objects, 'Secret', '%s-cloud-provider-vsphere-credentials' % name)
    secret = yaml.safe_load(wrapped['stringData']['data'])
    assert sorted(secret['data']) == ['127.0.0.1.password', '127.0.0.1.username']
    assert all(re.match(r'^[-._a-zA-Z0-9]+$', key) for key in secret['data'])
    cpi = find(objects, 'ConfigMap', '%s-cpi-manifests' % name)
    text = ''.join(cpi['data'].values())
    assert 'port: \'8443\'' in text or 'port: "8443"' in text or "port: '8443'" in text, text[:2000]


def test_thumbprint_follows_the_spec_as_eksa_renders_it():
    """Spec wins; insecure pins nothing; the server's thumbprint fills in only for an unpinned, untrusted certificate."""
    from ansible_collections.eksa.anywhere.plugins.module_utils.capi._base import thumbprint as _thumbprint
    server = {'thumbprint': 'AA:BB', 'self_signed': True}
    assert _thumbprint({'thumbprint': 'CC:DD'}, server) == 'CC:DD'
    assert _thumbprint({'thumbprint': 'CC:DD', 'insecure': True}, server) == ''
    assert _thumbprint({}, server) == 'AA:BB'
    assert _thumbprint({}, {'thumbprint': 'AA:BB', 'self_signed': False}) == ''  # CA-trusted: unpinned, survives renewal
    assert _thumbprint({}, {'thumbprint': 'AA:BB'}) == 'AA:BB'  # facts given by hand
    assert _thumbprint({}, {}) == ''
