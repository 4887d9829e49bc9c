# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Render a normalized EKS Anywhere spec into the Cluster API objects EKS Anywhere v0.26 writes.

Public API (independent of AnsibleModule)::

    objects = render(spec, bundle, vsphere_facts=None, credentials=None, previous=None)
    files = write_manifests(objects, output_dir, cluster_name, check_mode=False)

``spec`` is what ``spec.load_spec()`` returns.  ``bundle`` is a Bundles manifest (path, URL or mapping),
one of its ``versionsBundles`` entries, or the result of :func:`resolve_bundle`.  ``vsphere_facts`` is
the ``resolved`` result of the vSphere preflight (optional; the spec's values are used when absent).
``credentials`` is ``{username, password, cp_username, cp_password}`` (falls back to EKSA_VSPHERE_USERNAME/EKSA_VSPHERE_PASSWORD;
the cloud provider's to EKSA_VSPHERE_CP_USERNAME/EKSA_VSPHERE_CP_PASSWORD, then to the main user).
``previous`` is the previous output (a directory or a list of objects): template names keep their suffix
unless the template changed (then ``<base>-<n+1>``).  Every problem raises :class:`RenderError`
naming the field; nothing is written then.  The templates are Jinja2 files in ``templates/capi/`` of the
collection.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import copy
import json
import os
import re
import struct

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    yaml = None
    HAS_YAML = False

try:
    import jinja2
    HAS_JINJA2 = True
except ImportError:  # pragma: no cover
    jinja2 = None
    HAS_JINJA2 = False

from ansible_collections.eksa.anywhere.plugins.module_utils.spec import bundles as _bundles
from ansible_collections.eksa.anywhere.plugins.module_utils.capi import _naming as naming
from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import write_private
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.context import layout
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.loader import SAFE_LOADER, yaml_error_message

__all__ = ['RenderError', 'render', 'resolve_bundle', 'write_manifests', 'dump_objects', 'load_objects',
           'mask_secrets', 'summarize', 'NAMESPACE', 'EKSA_FORK_FIELDS']

NAMESPACE = 'eksa-system'
TEMPLATE_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'templates', 'capi'))
TLS_CIPHER_SUITES = 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'
ENDPOINT_PORT = 6443
NODE_NAME = '{{ ds.meta_data.hostname }}'
SUDO = 'ALL=(ALL) NOPASSWD:ALL'
CP_TAINT = {'key': 'node-role.kubernetes.io/control-plane', 'effect': 'NoSchedule'}
DEFAULT_NODE_STARTUP_TIMEOUT = 600      # EKS Anywhere: 10m (vSphere, docker)
DEFAULT_UNHEALTHY_MACHINE_TIMEOUT = 300  # 5m
DEFAULT_MAX_UNHEALTHY_CP = '100%'
DEFAULT_MAX_UNHEALTHY_WORKERS = '40%'
MASK = '********'
SECRET_FIELDS = ('data', 'stringData')
AUDIT_GROUPS = ['', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'apiregistration.k8s.io', 'apps',
                'authentication.k8s.io', 'authorization.k8s.io', 'autoscaling', 'batch', 'certificates.k8s.io',
                'extensions', 'metrics.k8s.io', 'networking.k8s.io', 'policy', 'rbac.authorization.k8s.io',
                'scheduling.k8s.io', 'settings.k8s.io', 'storage.k8s.io']
SSH_KEY_TYPES = ('ssh-rsa', 'ssh-dss', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
                 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com')
# Fields EKS Anywhere's Cluster API fork adds to the upstream kinds (not in the upstream CRDs pinned in
# shared/crds): written only for what they serve (external etcd, Bottlerocket); see docs/compatibility.md.
EKSA_FORK_FIELDS = {
    'Cluster': ['spec.managedExternalEtcdRef'],
    'KubeadmControlPlane': ['spec.kubeadmConfigSpec.format=bottlerocket', 'spec.kubeadmConfigSpec.clusterConfiguration.pause',
                            'spec.kubeadmConfigSpec.clusterConfiguration.bottlerocketBootstrap',
                            'spec.kubeadmConfigSpec.clusterConfiguration.bottlerocket',
                            'spec.kubeadmConfigSpec.clusterConfiguration.proxy',
                            'spec.kubeadmConfigSpec.clusterConfiguration.registryMirror',
                            'spec.kubeadmConfigSpec.joinConfiguration.pause',
                            'spec.kubeadmConfigSpec.joinConfiguration.bottlerocketBootstrap',
                            'spec.kubeadmConfigSpec.joinConfiguration.bottlerocket',
                            'spec.kubeadmConfigSpec.joinConfiguration.proxy',
                            'spec.kubeadmConfigSpec.joinConfiguration.registryMirror'],
    'KubeadmConfigTemplate': ['spec.template.spec.format=bottlerocket', 'spec.template.spec.joinConfiguration.pause',
                              'spec.template.spec.joinConfiguration.bottlerocketBootstrap',
                              'spec.template.spec.joinConfiguration.bottlerocket',
                              'spec.template.spec.joinConfiguration.proxy',
                              'spec.template.spec.joinConfiguration.registryMirror'],
}
FILES = (('cluster', 'control plane, etcd, infrastructure, cloud provider, health checks'),
         ('workers', 'worker node groups'),
         ('secrets', 'credentials (Secrets only)'))


ARGUMENT_SPEC = {
    'spec': {'type': 'raw', 'required': True},
    'bundle': {'type': 'raw', 'required': True},
    'eksd_manifest': {'type': 'str'},
    'vsphere_facts': {'type': 'dict'},
    'credentials': {'type': 'dict', 'no_log': False, 'options': {
        'username': {'type': 'str'},
        'password': {'type': 'str', 'no_log': True},
        'cp_username': {'type': 'str'},
        'cp_password': {'type': 'str', 'no_log': True},
    }},
    'output_dir': {'type': 'path'},
    'previous': {'type': 'raw'},
    'timeout': {'type': 'int', 'default': 30},
}


class RenderError(Exception):
    """A spec, bundle or facts problem the templates cannot render; ``field`` names where."""

    def __init__(self, message, field=None):
        self.field = field
        self.message = message if not field else '%s: %s' % (field, message)
        super(RenderError, self).__init__(self.message)


# ---------------------------------------------------------------------------------------------- helpers
def _get(data, *path, **kwargs):
    cur = data
    for part in path:
        if not isinstance(cur, dict):
            return kwargs.get('default')
        cur = cur.get(part)
        if cur is None:
            return kwargs.get('default')
    return cur


def _args(pairs):
    """[{name, value}] from (name, value) pairs; later names override earlier ones, first position kept."""
    order, values = [], {}
    for name, value in pairs:
        if value is None:
            continue
        if name not in values:
            order.append(name)
        values[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return [{'name': name, 'value': values[name]} for name in order]


def _duration_seconds(value, field):
    if value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    total, pos = 0.0, 0
    units = {'h': 3600, 'm': 60, 's': 1, 'ms': 0.001}
    for match in re.finditer(r'(\d+(?:\.\d+)?)(ms|h|m|s)', text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * units[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise RenderError('%r is not a duration (e.g. 10m0s, 5m, 1h)' % (value,), field)
    return int(total)


def _authorized_key(key, field):
    """Normalize an SSH public key to ``<type> <base64>`` (the comment dropped), as EKS Anywhere writes it."""
    parts = str(key).strip().split()
    if len(parts) < 2:
        raise RenderError('the SSH key does not parse: expected "<type> <base64 key> [comment]"', field)
    ktype, blob = parts[0], parts[1]
    if ktype not in SSH_KEY_TYPES:
        raise RenderError('the SSH key does not parse: unknown key type %r (expected one of %s)'
                          % (ktype, ', '.join(SSH_KEY_TYPES)), field)
    try:
        raw = base64.b64decode(blob.encode('ascii'), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise RenderError('the SSH key does not parse: its key data is not base64', field)
    if len(raw) < 4:
        raise RenderError('the SSH key does not parse: its key data is truncated', field)
    size = struct.unpack('>I', raw[:4])[0]
    if raw[4:4 + size].decode('ascii', 'replace') != ktype:
        raise RenderError('the SSH key does not parse: its key data is not a %s key' % ktype, field)
    return '%s %s' % (ktype, blob)


def _users(mc, field_prefix):
    users = []
    for i, user in enumerate(_get(mc, 'spec', 'users', default=[]) or []):
        keys = [_authorized_key(k, '%s: spec.users[%d].sshAuthorizedKeys[%d]' % (field_prefix, i, j))
                for j, k in enumerate(user.get('sshAuthorizedKeys') or []) if str(k).strip()]
        users.append({'name': user['name'], 'sshAuthorizedKeys': keys, 'sudo': SUDO})
    return users


def _fact(facts, *names):
    if not isinstance(facts, dict):
        return None
    for name in names:
        if facts.get(name) not in (None, ''):
            return facts[name]
    return None


def _thumbprint(dc_spec, facts):
    """What the manifests pin: the spec's thumbprint, as EKS Anywhere renders it (none in insecure mode). The server's
    thumbprint from the preflight only fills in for a self-signed certificate the spec left unpinned; a certificate a CA
    trusts stays unpinned, so renewing it does not break the cluster."""
    if dc_spec.get('insecure'):
        return ''
    if dc_spec.get('thumbprint'):
        return dc_spec['thumbprint']
    if isinstance(facts, dict) and facts.get('self_signed') is not False:
        return _fact(facts, 'thumbprint') or ''
    return ''


def _facts_root(vsphere_facts):
    if not vsphere_facts:
        return {}
    if not isinstance(vsphere_facts, dict):
        raise RenderError('vsphere_facts must be a mapping (the resolved facts of vsphere_validate)', 'vsphere_facts')
    root = vsphere_facts.get('resolved', vsphere_facts)
    return root if isinstance(root, dict) else {}


# ---------------------------------------------------------------------------------------------- bundle
def resolve_bundle(bundle, kube_version, eksd=None, timeout=30):
    """The release values (see _bundles.release_info) for a Bundles manifest / versionsBundle / resolved dict."""
    try:
        if isinstance(bundle, dict) and 'kubernetes_version' in bundle and 'image_repository' in bundle:
            if str(bundle.get('kube_version_minor', kube_version)) != str(kube_version):
                raise RenderError('the resolved bundle is for Kubernetes %s' % bundle.get('kube_version_minor'),
                                  'spec.kubernetesVersion')
            return bundle
        base = None
        if isinstance(bundle, dict) and bundle.get('kind') != 'Bundles' and 'eksD' in bundle:
            vb = bundle
            if str(vb.get('kubeVersion')) != str(kube_version):
                raise _bundles.BundleError('Kubernetes version %s is not the bundle entry\'s (%s)'
                                           % (kube_version, vb.get('kubeVersion')), 'spec.kubernetesVersion')
        else:
            doc, base = _bundles.load_bundles(bundle, timeout=timeout)
            vb = _bundles.versions_bundle(doc, kube_version)
        info = _bundles.release_info(vb, base=base, eksd=eksd, timeout=timeout)
        info['kube_version_minor'] = str(kube_version)
        return info
    except _bundles.BundleError as exc:
        err = RenderError(exc.message)
        err.field = exc.field
        raise err


# ---------------------------------------------------------------------------------------------- render
class _Renderer(object):

    def __init__(self, template_dir=None):
        if not HAS_JINJA2 or not HAS_YAML:
            raise RenderError('the Jinja2 and PyYAML Python packages are required on the controller')
        template_dir = template_dir or TEMPLATE_DIR
        if not os.path.isdir(template_dir):
            raise RenderError('the Cluster API templates are missing from the collection (%s)' % template_dir)
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir), undefined=jinja2.StrictUndefined,
                                      keep_trailing_newline=True, autoescape=False)
        self.env.filters['j'] = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True)
        self.loader = SAFE_LOADER

    def text(self, name, context):
        return self.env.get_template(name).render(**context)

    def objects(self, name, context):
        text = self.text(name, context)
        try:
            return [d for d in yaml.load_all(text, Loader=self.loader) if d]
        except yaml.YAMLError as exc:  # a template bug, never user input: values are JSON-encoded
            raise RenderError('template %s rendered invalid YAML: %s' % (name, exc))


_RENDERERS = {}


def _renderer(template_dir=None):
    key = template_dir or TEMPLATE_DIR
    if key not in _RENDERERS:
        _RENDERERS[key] = _Renderer(template_dir)
    return _RENDERERS[key]


def _unsupported(spec):
    """Spec fields these templates cannot express: RenderError naming the first."""
    cluster = spec['cluster']
    cspec = cluster['spec']
    checks = [
        (spec.get('awsiam'), 'spec.identityProviderRefs (AWSIamConfig)',
         'AWS IAM Authenticator is not rendered by this collection\'s templates; remove the AWSIamConfig reference'),
        (cspec.get('etcdEncryption'), 'spec.etcdEncryption',
         'etcd encryption with a KMS plugin is not rendered by this collection\'s templates'),
        (_get(cspec, 'registryMirrorConfiguration', 'authenticate'), 'spec.registryMirrorConfiguration.authenticate',
         'an authenticated registry mirror needs credentials this collection does not render'),
    ]
    for value, field, message in checks:
        if value:
            raise RenderError(message, field)
    version = str(cspec.get('kubernetesVersion'))
    for i, group in enumerate(cspec.get('workerNodeGroupConfigurations') or []):
        if group.get('kubernetesVersion') and str(group['kubernetesVersion']) != version:
            raise RenderError('a worker node group on another Kubernetes version (%s) than the cluster (%s) needs a '
                              'second bundle entry; render it with the cluster\'s version'
                              % (group['kubernetesVersion'], version),
                              'spec.workerNodeGroupConfigurations[%d].kubernetesVersion' % i)
    for name, mc in sorted((spec.get('machine_configs') or {}).items()):
        if _get(mc, 'spec', 'hostOSConfiguration', 'certBundles'):
            raise RenderError('certificate bundles are not rendered by this collection\'s templates',
                              'VSphereMachineConfig/%s: spec.hostOSConfiguration.certBundles' % name)


def _credentials(credentials):
    """(username, password, cp_username, cp_password): the cloud provider's user is EKSA_VSPHERE_CP_USERNAME when set,
    else the same user, as EKS Anywhere does."""
    creds = dict(credentials or {})
    username = creds.get('username') or os.environ.get('EKSA_VSPHERE_USERNAME') or os.environ.get('VMWARE_USER')
    password = creds.get('password') or os.environ.get('EKSA_VSPHERE_PASSWORD') or os.environ.get('VMWARE_PASSWORD')
    if not username or not password:
        missing = 'username' if not username else 'password'
        raise RenderError('the vSphere %s is not set: give credentials.%s or set EKSA_VSPHERE_%s'
                          % (missing, missing, missing.upper()), 'credentials.%s' % missing)
    cp_username = creds.get('cp_username') or os.environ.get('EKSA_VSPHERE_CP_USERNAME')
    cp_password = creds.get('cp_password') or os.environ.get('EKSA_VSPHERE_CP_PASSWORD')
    if cp_username and not cp_password:
        raise RenderError('the cloud provider\'s vSphere user %s has no password: give credentials.cp_password or set '
                          'EKSA_VSPHERE_CP_PASSWORD (or unset EKSA_VSPHERE_CP_USERNAME to use the main user)' % cp_username,
                          'credentials.cp_password')
    if not cp_username:
        cp_username, cp_password = username, password
    return str(username), str(password), str(cp_username), str(cp_password)


def _b64(text):
    return base64.b64encode(text.encode('utf-8')).decode('ascii')


def _dump_plain(data):
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=True)


def _machine(spec, name, role, facts_root, datacenter, field):
    mc = spec['machine_configs'].get(name)
    if mc is None:
        raise RenderError('VSphereMachineConfig %s is not in the spec' % name, field)
    ms = mc['spec']
    facts = _get(facts_root, 'machine_configs', name) or {}
    prefix = 'VSphereMachineConfig/%s: spec' % name
    networks = _fact(facts, 'networks')
    if not isinstance(networks, list):
        # EKS Anywhere: the machine config's networks replace the datacenter's network (all with DHCP)
        networks = list(ms.get('networks') or []) or [_fact(facts, 'network') or _get(datacenter, 'spec', 'network')]
    template = _fact(facts, 'template') or ms.get('template')
    if not template:
        raise RenderError('no VM template: set spec.template or run the vSphere preflight (vsphere_facts) to '
                          'resolve the template of Kubernetes %s' % spec['cluster']['spec']['kubernetesVersion'],
                          prefix + '.template')
    tag_ids = _fact(facts, 'tag_ids', 'tagIDs') or ms.get('tags') or []
    return {
        'role': role,
        'os_family': ms.get('osFamily'),
        'clone_mode': _fact(facts, 'clone_mode', 'cloneMode') or ms.get('cloneMode') or 'fullClone',
        'datastore': _fact(facts, 'datastore') or ms.get('datastore'),
        'disk_gib': int(_fact(facts, 'disk_gib', 'diskGiB') or ms.get('diskGiB')),
        'folder': _fact(facts, 'folder') or ms.get('folder'),
        'memory_mib': int(ms.get('memoryMiB')),
        'num_cpus': int(ms.get('numCPUs')),
        'resource_pool': _fact(facts, 'resource_pool', 'resourcePool') or ms.get('resourcePool'),
        'storage_policy': _fact(facts, 'storage_policy', 'storagePolicyName') or ms.get('storagePolicyName') or '',
        'tag_ids': list(tag_ids),
        'template': template,
        'networks': networks,
    }


class _Context(object):
    """Derives every template value from the normalized spec; one instance per render."""

    def __init__(self, spec, release, facts_root, credentials):
        self.spec = spec
        self.release = release
        self.facts = facts_root
        self.cluster = spec['cluster']
        self.cspec = self.cluster['spec']
        self.name = self.cluster['metadata']['name']
        self.provider = spec['provider']
        self.datacenter = spec.get('datacenter') or {}
        cnet = self.cspec.get('clusterNetwork') or {}
        self.pods = list(_get(cnet, 'pods', 'cidrBlocks', default=[]) or [])
        self.services = list(_get(cnet, 'services', 'cidrBlocks', default=[]) or [])
        self.endpoint = _get(self.cspec, 'controlPlaneConfiguration', 'endpoint', 'host')
        if self.provider == 'vsphere' and not self.endpoint:
            raise RenderError('the control plane endpoint is not set', 'spec.controlPlaneConfiguration.endpoint.host')
        self.resolv_conf = _get(cnet, 'dns', 'resolvConf', 'path')
        self.node_cidr_mask = _get(cnet, 'nodes', 'cidrMaskSize')
        self.proxy = self.cspec.get('proxyConfiguration') or None
        self.mirror = self.cspec.get('registryMirrorConfiguration') or None
        self.credentials = _credentials(credentials) if self.provider == 'vsphere' else None

    # ------------------------------------------------------------------ common node config
    def no_proxy(self):
        values = list(self.pods) + list(self.services) + list(self.proxy.get('noProxy') or [])
        values += ['localhost', '127.0.0.1', '.svc']
        if self.endpoint:
            values.append(self.endpoint)
        seen, out = set(), []
        for value in values:
            if value not in seen:
                seen.add(value)
                out.append(value)
        return out

    def mirror_address(self):
        return '%s:%s' % (self.mirror['endpoint'], self.mirror.get('port') or '443')

    def node_files_and_commands(self, bottlerocket):
        files, commands = [], ['hostname "%s"' % NODE_NAME,
                               'echo "::1         ipv6-localhost ipv6-loopback" >/etc/hosts',
                               'echo "127.0.0.1   localhost" >>/etc/hosts',
                               'echo "127.0.0.1   %s" >>/etc/hosts' % NODE_NAME,
                               'echo "%s" >/etc/hostname' % NODE_NAME]
        if self.provider == 'docker':
            commands = []
        if bottlerocket:
            return files, commands
        restart = False
        if self.proxy:
            env = ['[Service]',
                   'Environment="HTTP_PROXY=%s"' % (self.proxy.get('httpProxy') or ''),
                   'Environment="HTTPS_PROXY=%s"' % (self.proxy.get('httpsProxy') or ''),
                   'Environment="NO_PROXY=%s"' % ','.join(self.no_proxy())]
            files.append({'path': '/etc/systemd/system/containerd.service.d/http-proxy.conf',
                          'owner': 'root:root', 'content': '\n'.join(env) + '\n'})
            restart = True
        if self.mirror:
            address = self.mirror_address()
            lines = ['[plugins."io.containerd.grpc.v1.cri".registry.mirrors]']
            namespaces = self.mirror.get('ociNamespaces') or []
            if namespaces:
                for ns in namespaces:
                    lines += ['  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."%s"]' % ns['registry'],
                              '    endpoint = ["https://%s/v2/%s"]' % (address, ns['namespace'])]
            else:
                lines += ['  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."public.ecr.aws"]',
                          '    endpoint = ["https://%s"]' % address]
            if self.mirror.get('caCertContent') or self.mirror.get('insecureSkipVerify'):
                lines.append('  [plugins."io.containerd.grpc.v1.cri".registry.configs."%s".tls]' % address)
                if self.mirror.get('caCertContent'):
                    lines.append('    ca_file = "/etc/containerd/certs.d/%s/ca.crt"' % address)
                if self.mirror.get('insecureSkipVerify'):
                    lines.append('    insecure_skip_verify = true')
            files.append({'path': '/etc/containerd/config_append.toml', 'owner': 'root:root',
                          'content': '\n'.join(lines) + '\n'})
            if self.mirror.get('caCertContent'):
                files.append({'path': '/etc/containerd/certs.d/%s/ca.crt' % address, 'owner': 'root:root',
                              'content': self.mirror['caCertContent']})
            commands.append('cat /etc/containerd/config_append.toml >> /etc/containerd/config.toml')
            restart = True
        if restart:
            commands += ['sudo systemctl daemon-reload', 'sudo systemctl restart containerd']
        return files, commands

    def bottlerocket_extras(self, kubelet_config, mc):
        settings = {}
        if kubelet_config:
            settings['kubernetes'] = dict((k, v) for k, v in sorted(kubelet_config.items()) if k not in ('kind', 'apiVersion'))
        br = _get(mc, 'spec', 'hostOSConfiguration', 'bottlerocketConfiguration') or {}
        for key in ('kubernetes', 'kernel', 'boot'):
            if br.get(key):
                merged = dict(settings.get(key) or {})
                merged.update(br[key])
                settings[key] = merged
        proxy = None
        if self.proxy:
            proxy = {'httpsProxy': self.proxy.get('httpsProxy') or '', 'noProxy': self.no_proxy()}
        mirror = None
        if self.mirror:
            mirror = {'endpoint': self.mirror_address()}
            if self.mirror.get('caCertContent'):
                mirror['caCert'] = self.mirror['caCertContent']
        return settings, proxy, mirror

    def kubelet(self, kubelet_config, labels, bottlerocket, prefix):
        """(kubeletExtraArgs, kubelet patch file or None) as EKS Anywhere derives them."""
        label_arg = ','.join('%s=%s' % (k, v) for k, v in sorted((labels or {}).items())) or None
        if kubelet_config and not bottlerocket:
            patch = dict((k, v) for k, v in kubelet_config.items() if k not in ('kind', 'apiVersion'))
            if self.resolv_conf:
                patch.setdefault('resolvConf', self.resolv_conf)
            patch.setdefault('tlsCipherSuites', [TLS_CIPHER_SUITES])
            content = _dump_plain(patch) + '\n'
            args = _args([('cloud-provider', 'external' if self.provider == 'vsphere' else None),
                          ('node-labels', label_arg)])
            return args, {'path': '/etc/kubernetes/patches/kubeletconfiguration0+strategic.yaml',
                          'owner': 'root:root', 'permissions': '0644', 'content': content}
        pairs = [('cloud-provider', 'external' if self.provider == 'vsphere' else None)]
        if self.provider == 'docker':
            pairs.append(('eviction-hard', 'nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%'))
        pairs += [('read-only-port', '0'), ('anonymous-auth', 'false'), ('resolv-conf', self.resolv_conf),
                  ('tls-cipher-suites', TLS_CIPHER_SUITES), ('node-labels', label_arg)]
        return _args(pairs), None

    @staticmethod
    def taints(taints):
        out = []
        for taint in taints or []:
            item = {'key': taint['key'], 'effect': taint['effect']}
            if taint.get('value') not in (None, ''):
                item['value'] = str(taint['value'])
            out.append(item)
        return out

    @staticmethod
    def ntp(mc):
        return list(_get(mc, 'spec', 'hostOSConfiguration', 'ntpConfiguration', 'servers', default=[]) or [])


def _machine_config_for_docker(name):
    return {'spec': {'osFamily': 'ubuntu'}, 'metadata': {'name': name}}


def render(spec, bundle, vsphere_facts=None, credentials=None, previous=None, eksd=None, template_dir=None, timeout=30):
    """Return the Cluster API objects (a list of mappings, in apply order) for a normalized spec."""
    if not isinstance(spec, dict) or not isinstance(spec.get('cluster'), dict):
        raise RenderError('spec must be the normalized spec (cluster_spec / load_spec() result)', 'spec')
    provider = spec.get('provider')
    if provider not in ('vsphere', 'docker'):
        raise RenderError('provider %r is not rendered by this collection (vsphere, docker)' % provider, 'spec.datacenterRef.kind')
    _unsupported(spec)
    cspec = spec['cluster']['spec']
    release = resolve_bundle(bundle, cspec.get('kubernetesVersion'), eksd=eksd, timeout=timeout)
    skip_lb = _get(cspec, 'controlPlaneConfiguration', 'skipLoadBalancerDeployment')
    if provider == 'vsphere' and not release.get('kube_vip_image') and not skip_lb:
        raise RenderError('the Bundles manifest has no kube-vip image for Kubernetes %s' % cspec.get('kubernetesVersion'),
                          'bundle.versionsBundles[].vSphere.kubeVip.uri')
    ctx = _Context(spec, release, _facts_root(vsphere_facts), credentials)
    prev = naming.index_previous(load_objects(previous) if previous is not None else [])
    renderer = _renderer(template_dir)
    groups = _render(ctx, renderer, prev)
    return [obj for key, dummy in FILES for obj in groups[key]]


def group_objects(objects):
    """{file key: objects}: Secrets to 'secrets', the worker groups' objects to 'workers', the rest to 'cluster'."""
    groups = dict((key, []) for key, dummy in FILES)
    workers = set()
    for obj in objects:
        if obj.get('kind') == 'MachineDeployment':
            tspec = _get(obj, 'spec', 'template', 'spec') or {}
            workers.add(('KubeadmConfigTemplate', _get(tspec, 'bootstrap', 'configRef', 'name')))
            workers.add((_get(tspec, 'infrastructureRef', 'kind'), _get(tspec, 'infrastructureRef', 'name')))
            workers.add(('MachineHealthCheck', '%s-worker-unhealthy' % obj['metadata']['name']))
    for obj in objects:
        key = (obj.get('kind'), _get(obj, 'metadata', 'name'))
        if obj.get('kind') == 'Secret':
            groups['secrets'].append(obj)
        elif obj.get('kind') == 'MachineDeployment' or key in workers:
            groups['workers'].append(obj)
        else:
            groups['cluster'].append(obj)
    return groups


def _render(ctx, renderer, prev):
    spec, cspec, name = ctx.spec, ctx.cspec, ctx.name
    vsphere = ctx.provider == 'vsphere'
    dc_spec = ctx.datacenter.get('spec') or {}
    facts = ctx.facts
    mt_kind = 'VSphereMachineTemplate' if vsphere else 'DockerMachineTemplate'
    base = {
        'cluster_name': name, 'namespace': NAMESPACE, 'provider': ctx.provider, 'release': ctx.release,
        'pods_cidrs': ctx.pods, 'services_cidrs': ctx.services, 'endpoint_host': ctx.endpoint,
        'endpoint_port': ENDPOINT_PORT, 'tls_cipher_suites': TLS_CIPHER_SUITES, 'machine_template_kind': mt_kind,
        'infra_cluster_kind': 'VSphereCluster' if vsphere else 'DockerCluster',
        'credentials_secret': '%s-vsphere-credentials' % name, 'etcd': None,
    }
    if vsphere:
        dc_name = _fact(facts, 'datacenter_name') or dc_spec.get('datacenter', '').strip('/').split('/')[-1]
        base['vsphere'] = {
            'server': dc_spec.get('server'),
            'thumbprint': _thumbprint(dc_spec, facts),
            'datacenter': _fact(facts, 'datacenter', 'datacenter_path') or dc_spec.get('datacenter'),
            'datacenter_name': dc_name,
        }
    else:
        repo, tag = _bundles.split_image(ctx.release.get('haproxy_image') or '')
        node_image = ctx.release.get('kind_node_image')
        if not node_image:
            raise RenderError('the Bundles manifest has no kind node image for the docker provider',
                              'bundle.versionsBundles[].eksD.kindNode.uri')
        base['docker'] = {'haproxy_repository': repo, 'haproxy_tag': tag, 'node_image': node_image}

    def machine(mc_name, role, field):
        if vsphere:
            return _machine(spec, mc_name, role, facts, ctx.datacenter, field)
        return {'role': role, 'os_family': 'ubuntu'}

    def template_objects(mt, base_name, preferred):
        ctx_mt = dict(mt, name='__pending__')
        obj = renderer.objects('machine_template.yaml.j2', dict(base, mt=ctx_mt))[0]
        obj['metadata']['name'] = naming.template_name(base_name, mt_kind, obj['spec'], prev, preferred)
        return obj

    def mc_obj(mc_name):
        if vsphere:
            return spec['machine_configs'][mc_name]
        return _machine_config_for_docker(mc_name)

    cluster_objs, worker_objs, secret_objs = [], [], []
    cp_cfg = cspec.get('controlPlaneConfiguration') or {}

    # ---------------------------------------------------------------- etcd
    etcd_cfg = cspec.get('externalEtcdConfiguration')
    etcd_tpl = None
    if etcd_cfg:
        etcd_mc_name = spec.get('etcd_machine_config') or (etcd_cfg.get('machineGroupRef') or {}).get('name')
        etcd_m = machine(etcd_mc_name, 'etcd', 'spec.externalEtcdConfiguration.machineGroupRef')
        prev_etcd = prev.get(('EtcdadmCluster', '%s-etcd' % name))
        etcd_tpl = template_objects(etcd_m, '%s-etcd' % name, _get(prev_etcd, 'spec', 'infrastructureTemplate', 'name'))
        etcd_mc = mc_obj(etcd_mc_name)
        br = etcd_m['os_family'] == 'bottlerocket'
        files, commands = ctx.node_files_and_commands(br)
        etcd = {
            'name': '%s-etcd' % name, 'replicas': int(etcd_cfg.get('count') or 3), 'bottlerocket': br,
            'format': 'bottlerocket' if br else 'cloud-config', 'template_name': etcd_tpl['metadata']['name'],
            'users': _users(etcd_mc, 'VSphereMachineConfig/%s' % etcd_mc_name) if vsphere else [],
            'pre_commands': commands, 'files': files, 'ntp_servers': ctx.ntp(etcd_mc),
            'proxy': ({'httpProxy': ctx.proxy.get('httpProxy') or '', 'httpsProxy': ctx.proxy.get('httpsProxy') or '',
                       'noProxy': ctx.no_proxy()} if ctx.proxy else None),
            'registry_mirror': (dict([('endpoint', ctx.mirror_address())] + (
                [('caCert', ctx.mirror['caCertContent'])] if ctx.mirror.get('caCertContent') else []))
                if ctx.mirror else None),
        }
        if br and not ctx.release.get('bottlerocket_bootstrap_repository'):
            raise RenderError('the Bundles manifest has no Bottlerocket bootstrap image',
                              'bundle.versionsBundles[].bottlerocketHostContainers.kubeadmBootstrap.uri')
        base['etcd'] = etcd

    # ---------------------------------------------------------------- control plane
    cp_mc_name = spec.get('control_plane_machine_config') or _get(cp_cfg, 'machineGroupRef', 'name')
    cp_m = machine(cp_mc_name, 'control plane', 'spec.controlPlaneConfiguration.machineGroupRef')
    prev_kcp = prev.get(('KubeadmControlPlane', name))
    cp_tpl = template_objects(cp_m, '%s-control-plane' % name,
                              _get(prev_kcp, 'spec', 'machineTemplate', 'spec', 'infrastructureRef', 'name'))
    cp_mc = mc_obj(cp_mc_name)
    cp_br = cp_m['os_family'] == 'bottlerocket'
    if cp_br and not ctx.release.get('bottlerocket_bootstrap_repository'):
        raise RenderError('the Bundles manifest has no Bottlerocket bootstrap image',
                          'bundle.versionsBundles[].bottlerocketHostContainers.kubeadmBootstrap.uri')
    cp_kubelet = cp_cfg.get('kubeletConfiguration')
    kubelet_args, kubelet_patch = ctx.kubelet(cp_kubelet, cp_cfg.get('labels'), cp_br, 'spec.controlPlaneConfiguration')
    files, commands = ctx.node_files_and_commands(cp_br)
    cp_files = []
    if kubelet_patch:
        cp_files.append(kubelet_patch)
    skip_lb = bool(cp_cfg.get('skipLoadBalancerDeployment'))
    if vsphere and not skip_lb:
        kube_vip = renderer.text('kube_vip.yaml.j2', dict(base, kube_vip_svc_enable=False,
                                                          kube_vip_kubeconfig='/etc/kubernetes/admin.conf'))
        kube_vip = _dump_plain(yaml.load(kube_vip, Loader=renderer.loader))
        cp_files.append({'path': '/etc/kubernetes/manifests/kube-vip.yaml', 'owner': 'root:root', 'content': kube_vip})
    audit = cp_cfg.get('auditPolicyContent') or renderer.text('audit_policy.yaml.j2', dict(base, audit_groups=AUDIT_GROUPS))
    cp_files.append({'path': '/etc/kubernetes/audit-policy.yaml', 'owner': 'root:root', 'content': audit})
    cp_files += files
    oidc = _get(spec.get('oidc'), 'spec') or {}
    required = ','.join('%s=%s' % (c.get('claim'), c.get('value')) for c in oidc.get('requiredClaims') or [] if c.get('claim'))
    apiserver_pairs = [('cloud-provider', 'external' if vsphere else None),
                       ('audit-policy-file', '/etc/kubernetes/audit-policy.yaml'),
                       ('audit-log-path', '/var/log/kubernetes/api-audit.log'),
                       ('audit-log-maxage', '30'), ('audit-log-maxbackup', '10'), ('audit-log-maxsize', '512'),
                       ('profiling', 'false'), ('tls-cipher-suites', TLS_CIPHER_SUITES),
                       ('oidc-client-id', oidc.get('clientId')), ('oidc-groups-claim', oidc.get('groupsClaim')),
                       ('oidc-groups-prefix', oidc.get('groupsPrefix')), ('oidc-issuer-url', oidc.get('issuerUrl')),
                       ('oidc-required-claim', required or None), ('oidc-username-claim', oidc.get('usernameClaim')),
                       ('oidc-username-prefix', oidc.get('usernamePrefix')),
                       ('service-account-issuer', _get(cspec, 'podIamConfig', 'serviceAccountIssuer'))]
    apiserver_pairs += sorted((cp_cfg.get('apiServerExtraArgs') or {}).items())
    kubeadm_dir = '/var/lib/kubeadm' if cp_br else '/etc/kubernetes'
    apiserver_volumes = [
        {'hostPath': kubeadm_dir + '/audit-policy.yaml', 'mountPath': '/etc/kubernetes/audit-policy.yaml',
         'name': 'audit-policy', 'pathType': 'File', 'readOnly': True},
        {'hostPath': '/var/log/kubernetes', 'mountPath': '/var/log/kubernetes', 'name': 'audit-log-dir',
         'pathType': 'DirectoryOrCreate', 'readOnly': False}]
    cp_taints = CP_TAINT if cp_cfg.get('taints') is None else None
    taints = [dict(CP_TAINT)] if cp_taints else ctx.taints(cp_cfg.get('taints'))
    br_settings, br_proxy, br_mirror = ctx.bottlerocket_extras(cp_kubelet, cp_mc) if cp_br else ({}, None, None)
    strategy = cp_cfg.get('upgradeRolloutStrategy') or {}
    cp = {
        'template_name': cp_tpl['metadata']['name'], 'bottlerocket': cp_br,
        'pki_dir': '/var/lib/kubeadm/pki' if cp_br else '/etc/kubernetes/pki',
        'bottlerocket_settings': br_settings, 'bottlerocket_proxy': br_proxy, 'bottlerocket_registry_mirror': br_mirror,
        'cert_sans': list(cp_cfg.get('certSans') or []),
        'apiserver_args': _args(apiserver_pairs), 'apiserver_volumes': apiserver_volumes,
        'controller_manager_args': _args([('cloud-provider', 'external' if vsphere else None),
                                          ('node-cidr-mask-size', ctx.node_cidr_mask),
                                          ('profiling', 'false'), ('tls-cipher-suites', TLS_CIPHER_SUITES)]),
        'controller_manager_volumes': ([{'hostPath': '/var/lib/kubeadm/controller-manager.conf',
                                         'mountPath': '/etc/kubernetes/controller-manager.conf', 'name': 'kubeconfig',
                                         'pathType': 'File', 'readOnly': True}] if cp_br else []),
        'scheduler_args': _args([('profiling', 'false'), ('tls-cipher-suites', TLS_CIPHER_SUITES)]),
        'scheduler_volumes': ([{'hostPath': '/var/lib/kubeadm/scheduler.conf', 'mountPath': '/etc/kubernetes/scheduler.conf',
                                'name': 'kubeconfig', 'pathType': 'File', 'readOnly': True}] if cp_br else []),
        'files': cp_files, 'kubelet_patch': bool(kubelet_patch), 'kubelet_args': kubelet_args,
        'node_name': NODE_NAME if vsphere else '', 'taints': taints, 'ntp_servers': ctx.ntp(cp_mc),
        'pre_commands': commands, 'users': _users(cp_mc, 'VSphereMachineConfig/%s' % cp_mc_name) if vsphere else [],
        'format': 'bottlerocket' if cp_br else 'cloud-config', 'replicas': int(cp_cfg.get('count') or 1),
        'max_surge': _get(strategy, 'rollingUpdate', 'maxSurge', default=1),
    }
    if not vsphere:
        cp['cert_sans'] = ['localhost', '127.0.0.1', '0.0.0.0', 'host.docker.internal'] + cp['cert_sans']

    cluster_objs += renderer.objects('cluster.yaml.j2', base)
    cluster_objs.append(cp_tpl)
    kcp = renderer.objects('kubeadm_control_plane.yaml.j2', dict(base, cp=cp))[0]
    if not vsphere:
        kcp['spec']['kubeadmConfigSpec'].pop('users', None)
        for section in ('initConfiguration', 'joinConfiguration'):
            kcp['spec']['kubeadmConfigSpec'][section]['nodeRegistration'].pop('name', None)
    cluster_objs.append(kcp)
    if etcd_tpl is not None:
        cluster_objs += renderer.objects('etcdadm_cluster.yaml.j2', base)
        cluster_objs.append(etcd_tpl)

    # ---------------------------------------------------------------- vSphere extras
    failure_domains = {}
    if vsphere:
        fds = []
        for fd in dc_spec.get('failureDomains') or []:
            fd_name = '%s-%s-%s' % (name, ctx.datacenter['metadata']['name'], fd['name'])
            failure_domains[fd['name']] = fd_name
            fds.append({'name': fd_name, 'compute_cluster': fd.get('computeCluster'), 'datastore': fd.get('datastore'),
                        'network': fd.get('network'), 'resource_pool': fd.get('resourcePool'), 'folder': fd.get('folder')})
        if fds:
            cluster_objs += renderer.objects('vsphere_failure_domains.yaml.j2',
                                             dict(base, failure_domains=fds,
                                                  datacenter_config_name=ctx.datacenter['metadata']['name']))
        vsphere_conf = _dump_plain({
            'global': {'secretName': 'cloud-provider-vsphere-credentials', 'secretNamespace': 'kube-system',
                       'thumbprint': base['vsphere']['thumbprint'], 'insecureFlag': bool(dc_spec.get('insecure'))},
            'vcenter': {base['vsphere']['server']: {
                'datacenters': [base['vsphere']['datacenter']], 'secretName': 'cloud-provider-vsphere-credentials',
                'secretNamespace': 'kube-system', 'server': base['vsphere']['server'],
                'thumbprint': base['vsphere']['thumbprint']}}})
        cpi = renderer.text('cpi_manifests.yaml.j2', dict(base, vsphere_conf=vsphere_conf,
                                                          cp_taints=ctx.taints(cp_cfg.get('taints'))))
        cpi_docs = [d for d in yaml.load_all(cpi, Loader=renderer.loader) if d]
        cpi_text = ''.join('---\n' + _dump_plain(d) for d in cpi_docs)
        cluster_objs += renderer.objects('vsphere_cpi.yaml.j2', dict(base, cpi_manifests=cpi_text))
        username, password, cp_username, cp_password = ctx.credentials
        server = base['vsphere']['server']
        cpi_secret = _dump_plain({'apiVersion': 'v1', 'kind': 'Secret', 'type': 'Opaque',
                                  'metadata': {'name': 'cloud-provider-vsphere-credentials', 'namespace': 'kube-system'},
                                  'data': {'%s.username' % server: _b64(cp_username), '%s.password' % server: _b64(cp_password)}})
        secret_objs += renderer.objects('vsphere_secrets.yaml.j2', dict(base, creds={
            'username_b64': _b64(username), 'password_b64': _b64(password), 'cpi_secret_yaml': cpi_secret}))

    # ---------------------------------------------------------------- health checks (control plane)
    def mhc_values(cfg, default_max):
        cluster_mhc = cspec.get('machineHealthCheck') or {}
        own = (cfg or {}).get('machineHealthCheck') or {}

        def pick(key):
            return own.get(key) if own.get(key) is not None else cluster_mhc.get(key)
        startup = _duration_seconds(pick('nodeStartupTimeout'), 'spec.machineHealthCheck.nodeStartupTimeout')
        unhealthy = _duration_seconds(pick('unhealthyMachineTimeout'), 'spec.machineHealthCheck.unhealthyMachineTimeout')
        max_unhealthy = pick('maxUnhealthy')
        return {'node_startup_timeout': DEFAULT_NODE_STARTUP_TIMEOUT if startup is None else startup,
                'unhealthy_timeout': DEFAULT_UNHEALTHY_MACHINE_TIMEOUT if unhealthy is None else unhealthy,
                'max_unhealthy': default_max if max_unhealthy is None else max_unhealthy}

    mhcs = [dict(mhc_values(cp_cfg, DEFAULT_MAX_UNHEALTHY_CP), name='%s-kcp-unhealthy' % name,
                 match_labels={'cluster.x-k8s.io/control-plane': ''})]

    # ---------------------------------------------------------------- workers
    for i, group in enumerate(cspec.get('workerNodeGroupConfigurations') or []):
        field = 'spec.workerNodeGroupConfigurations[%d]' % i
        gname = group['name']
        mc_name = (spec.get('worker_machine_configs') or {}).get(gname) or _get(group, 'machineGroupRef', 'name')
        wm = machine(mc_name, 'worker', field + '.machineGroupRef')
        md_base = '%s-%s' % (name, gname)
        prev_md = prev.get(('MachineDeployment', md_base))
        mt = template_objects(wm, md_base, _get(prev_md, 'spec', 'template', 'spec', 'infrastructureRef', 'name'))
        wmc = mc_obj(mc_name)
        br = wm['os_family'] == 'bottlerocket'
        if br and not ctx.release.get('bottlerocket_bootstrap_repository'):
            raise RenderError('the Bundles manifest has no Bottlerocket bootstrap image',
                              'bundle.versionsBundles[].bottlerocketHostContainers.kubeadmBootstrap.uri')
        kcfg = group.get('kubeletConfiguration')
        kubelet_args, patch = ctx.kubelet(None if br else kcfg, group.get('labels'), br, field)
        files, commands = ctx.node_files_and_commands(br)
        br_settings, br_proxy, br_mirror = ctx.bottlerocket_extras(kcfg, wmc) if br else ({}, None, None)
        autoscaling = group.get('autoscalingConfiguration')
        replicas = group.get('count')
        if replicas is None:
            replicas = (autoscaling or {}).get('minCount', 1)
        fd_names = group.get('failureDomains') or []
        deployments = []
        if fd_names:
            for fd in fd_names:
                if fd not in failure_domains:
                    raise RenderError('failure domain %s is not defined in the VSphereDatacenterConfig\'s failureDomains'
                                      % fd, field + '.failureDomains')
            share, extra = divmod(int(replicas), len(fd_names))
            for j, fd in enumerate(fd_names):
                deployments.append({'name': md_base if len(fd_names) == 1 else '%s-%s' % (md_base, fd),
                                    'replicas': share + (1 if j < extra else 0), 'failure_domain': failure_domains[fd]})
        else:
            deployments.append({'name': md_base, 'replicas': int(replicas), 'failure_domain': None})
        rollout = None
        wstrategy = group.get('upgradeRolloutStrategy')
        if wstrategy:
            rollout = {'type': wstrategy.get('type') or 'RollingUpdate'}
            if wstrategy.get('rollingUpdate'):
                rollout['rollingUpdate'] = dict((k, v) for k, v in wstrategy['rollingUpdate'].items()
                                                if k in ('maxSurge', 'maxUnavailable'))
        wg = {
            'config_template_name': '__pending__', 'machine_template_name': mt['metadata']['name'], 'bottlerocket': br,
            'bottlerocket_settings': br_settings, 'bottlerocket_proxy': br_proxy, 'bottlerocket_registry_mirror': br_mirror,
            'kubelet_patch': bool(patch), 'kubelet_args': kubelet_args, 'node_name': NODE_NAME if vsphere else '',
            'taints': ctx.taints(group.get('taints')), 'files': ([patch] if patch else []) + files,
            'ntp_servers': ctx.ntp(wmc), 'pre_commands': commands,
            'users': _users(wmc, 'VSphereMachineConfig/%s' % mc_name) if vsphere else [],
            'format': 'bottlerocket' if br else 'cloud-config',
            'autoscaling': ({'min': autoscaling.get('minCount'), 'max': autoscaling.get('maxCount')}
                            if autoscaling else None),
            'rollout': rollout, 'deployments': deployments,
        }
        objs = renderer.objects('machine_deployment.yaml.j2', dict(base, wg=wg))
        kct = objs[0]
        if not vsphere:
            kct['spec']['template']['spec'].pop('users', None)
            kct['spec']['template']['spec']['joinConfiguration']['nodeRegistration'].pop('name', None)
        kct_name = naming.template_name(md_base, 'KubeadmConfigTemplate', kct['spec'], prev,
                                        _get(prev_md, 'spec', 'template', 'spec', 'bootstrap', 'configRef', 'name'))
        kct['metadata']['name'] = kct_name
        for md in objs[1:]:
            md['spec']['template']['spec']['bootstrap']['configRef']['name'] = kct_name
        worker_objs += [kct] + objs[1:] + [mt]
        for md in deployments:
            mhcs.append(dict(mhc_values(group, DEFAULT_MAX_UNHEALTHY_WORKERS), name='%s-worker-unhealthy' % md['name'],
                             match_labels={'cluster.x-k8s.io/deployment-name': md['name']}))

    for mhc in mhcs:
        target = cluster_objs if mhc['name'].endswith('-kcp-unhealthy') else worker_objs
        target += renderer.objects('machine_health_check.yaml.j2', dict(base, mhc=mhc))

    return {'cluster': cluster_objs, 'workers': worker_objs, 'secrets': secret_objs}


# ---------------------------------------------------------------------------------------------- output
class _Dumper(getattr(yaml, 'CSafeDumper', object) if HAS_YAML else object):
    pass


def _str_representer(dumper, data):
    if '\n' in data:
        return dumper.represent_scalar('tag:yaml.org,2002:str', data, style='|')
    return dumper.represent_scalar('tag:yaml.org,2002:str', data)


if HAS_YAML:
    if _Dumper.__mro__[1] is object:  # pragma: no cover - no libyaml
        class _Dumper(yaml.SafeDumper):  # pylint: disable=function-redefined
            pass
    _Dumper.add_representer(str, _str_representer)


def dump_objects(objects):
    """Deterministic multi-document YAML of ``objects`` (block style, literal multi-line strings)."""
    return yaml.dump_all(list(objects), Dumper=_Dumper, default_flow_style=False, sort_keys=False,
                         explicit_start=True, allow_unicode=True, width=1 << 16)


def mask_secrets(objects):
    """Copies of ``objects`` with every Secret value replaced by ``********``."""
    out = []
    for obj in objects:
        if obj.get('kind') == 'Secret' and obj.get('apiVersion') == 'v1':
            obj = copy.deepcopy(obj)
            for field in SECRET_FIELDS:
                if isinstance(obj.get(field), dict):
                    obj[field] = dict((k, MASK) for k in obj[field])
        out.append(obj)
    return out


def summarize(objects):
    """{'kinds': {kind: count}, 'objects': [{apiVersion, kind, name, namespace}]} (no secret values)."""
    kinds = {}
    listing = []
    for obj in objects:
        kinds[obj['kind']] = kinds.get(obj['kind'], 0) + 1
        meta = obj.get('metadata') or {}
        item = {'apiVersion': obj['apiVersion'], 'kind': obj['kind'], 'name': meta.get('name')}
        if meta.get('namespace'):
            item['namespace'] = meta['namespace']
        listing.append(item)
    return {'kinds': dict(sorted(kinds.items())), 'objects': listing}


def template_names(objects):
    """The template names the objects use: {control_plane, etcd, worker_groups: {md name: {...}}}."""
    names = {'control_plane': None, 'etcd': None, 'machine_deployments': {}}
    for obj in objects:
        if obj['kind'] == 'KubeadmControlPlane':
            names['control_plane'] = obj['spec']['machineTemplate']['spec']['infrastructureRef']['name']
        elif obj['kind'] == 'EtcdadmCluster':
            names['etcd'] = obj['spec']['infrastructureTemplate']['name']
        elif obj['kind'] == 'MachineDeployment':
            tspec = obj['spec']['template']['spec']
            names['machine_deployments'][obj['metadata']['name']] = {
                'machine_template': tspec['infrastructureRef']['name'],
                'config_template': tspec['bootstrap']['configRef']['name'], 'replicas': obj['spec'].get('replicas')}
    return names


def generated_dir(output_dir, cluster_name):
    return layout(output_dir, cluster_name)['generated']


def file_names(cluster_name):
    return dict((key, '%s-capi-%s.yaml' % (cluster_name, key)) for key, dummy in FILES)


def manifest_texts(objects, cluster_name):
    """{file name: text} for the objects (grouped by their output file)."""
    names = file_names(cluster_name)
    groups = group_objects(objects)
    return dict((names[key], dump_objects(objs)) for key, objs in groups.items() if objs)


def load_objects(previous):
    """Objects from a directory of YAML files, one YAML file, or a list of mappings."""
    if previous is None or previous == '':
        return []
    if isinstance(previous, (list, tuple)):
        return [o for o in previous if isinstance(o, dict)]
    if not isinstance(previous, str):
        raise RenderError('previous must be a directory, a YAML file or a list of objects', 'previous')
    paths = []
    if os.path.isdir(previous):
        paths = [os.path.join(previous, n) for n in sorted(os.listdir(previous)) if n.endswith(('.yaml', '.yml'))]
    elif os.path.isfile(previous):
        paths = [previous]
    else:
        raise RenderError('%s does not exist' % previous, 'previous')
    out = []
    for path in paths:
        try:
            with open(path, 'rb') as handle:
                out += [d for d in yaml.load_all(handle.read().decode('utf-8'), Loader=SAFE_LOADER) if isinstance(d, dict)]
        except (IOError, OSError) as exc:
            raise RenderError('cannot read the previous output %s: %s' % (path, exc.strerror or exc), 'previous')
        except yaml.YAMLError as exc:  # the secrets file is among them: name the place, never the text
            raise RenderError('cannot read the previous output %s: %s (remove the file to render it anew)'
                              % (path, yaml_error_message(exc)[0]), 'previous')
    return out


def write_manifests(objects, output_dir, cluster_name, check_mode=False):
    """Write the manifests under ``<output_dir>/<cluster>/generated/`` (dir 0700, files 0600).

    Returns {'path', 'files': [paths], 'changed': bool, 'changed_files': [paths], 'before': {path: text},
    'after': {path: text}} where before/after hold the texts with Secret values masked (for a diff).
    Files are replaced atomically and only when their content changes; check mode writes nothing.
    """
    directory = generated_dir(output_dir, cluster_name)
    texts = manifest_texts(objects, cluster_name)
    masked = manifest_texts(mask_secrets(objects), cluster_name)
    result = {'path': directory, 'files': [], 'changed': False, 'changed_files': [], 'before': {}, 'after': {}}
    order = [name for key, name in sorted(file_names(cluster_name).items(), key=lambda kv: [k for k, d in FILES].index(kv[0]))]
    for fname in [n for n in order if n in texts]:
        path = os.path.join(directory, fname)
        result['files'].append(path)
        old = None
        if os.path.isfile(path):
            with open(path, 'rb') as handle:
                old = handle.read().decode('utf-8', 'replace')
        mode_ok = old is None or (os.stat(path).st_mode & 0o777) == 0o600
        if old == texts[fname] and mode_ok:
            continue
        result['changed'] = True
        result['changed_files'].append(path)
        old_masked = ''
        if old is not None:
            try:
                old_masked = dump_objects(mask_secrets([d for d in yaml.load_all(old, Loader=SAFE_LOADER) if isinstance(d, dict)]))
            except yaml.YAMLError:
                old_masked = '(unparsable previous content)\n'
        result['before'][path] = old_masked
        result['after'][path] = masked[fname]
        if check_mode:
            continue
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o700)
        os.chmod(directory, 0o700)
        write_private(path, texts[fname])
    if not check_mode and os.path.isdir(directory) and (os.stat(directory).st_mode & 0o777) != 0o700:
        os.chmod(directory, 0o700)
        result['changed'] = True
    return result
