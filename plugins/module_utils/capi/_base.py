# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""What every object family of the renderer shares: RenderError, constants, value helpers, the template engine."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
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

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.loader import SAFE_LOADER

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
                            'spec.kubeadmConfigSpec.joinConfiguration.registryMirror',
                            'spec.kubeadmConfigSpec.clusterConfiguration.certBundles',
                            'spec.kubeadmConfigSpec.joinConfiguration.certBundles'],
    'KubeadmConfigTemplate': ['spec.template.spec.format=bottlerocket', 'spec.template.spec.joinConfiguration.pause',
                              'spec.template.spec.joinConfiguration.bottlerocketBootstrap',
                              'spec.template.spec.joinConfiguration.bottlerocket',
                              'spec.template.spec.joinConfiguration.proxy',
                              'spec.template.spec.joinConfiguration.registryMirror',
                              'spec.template.spec.joinConfiguration.certBundles'],
}
FILES = (('cluster', 'control plane, etcd, infrastructure, cloud provider, health checks'),
         ('workers', 'worker node groups'),
         ('secrets', 'credentials (Secrets only)'))


class RenderError(Exception):
    """A spec, bundle or facts problem the templates cannot render; ``field`` names where."""

    def __init__(self, message, field=None):
        self.field = field
        self.message = message if not field else '%s: %s' % (field, message)
        super(RenderError, self).__init__(self.message)


# ---------------------------------------------------------------------------------------------- helpers
def get(data, *path, **kwargs):
    cur = data
    for part in path:
        if not isinstance(cur, dict):
            return kwargs.get('default')
        cur = cur.get(part)
        if cur is None:
            return kwargs.get('default')
    return cur


def extra_args(pairs):
    """[{name, value}] from (name, value) pairs; later names override earlier ones, first position kept."""
    order, values = [], {}
    for name, value in pairs:
        if value is None:
            continue
        if name not in values:
            order.append(name)
        values[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return [{'name': name, 'value': values[name]} for name in order]


def duration_seconds(value, field):
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


def authorized_key(key, field):
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


def node_users(mc, field_prefix):
    users = []
    for i, user in enumerate(get(mc, 'spec', 'users', default=[]) or []):
        keys = [authorized_key(k, '%s: spec.users[%d].sshAuthorizedKeys[%d]' % (field_prefix, i, j))
                for j, k in enumerate(user.get('sshAuthorizedKeys') or []) if str(k).strip()]
        users.append({'name': user['name'], 'sshAuthorizedKeys': keys, 'sudo': SUDO})
    return users


def fact(facts, *names):
    if not isinstance(facts, dict):
        return None
    for name in names:
        if facts.get(name) not in (None, ''):
            return facts[name]
    return None


def thumbprint(dc_spec, facts):
    """What the manifests pin: the spec's thumbprint, as EKS Anywhere renders it (none in insecure mode). The server's
    thumbprint from the preflight only fills in for a self-signed certificate the spec left unpinned; a certificate a CA
    trusts stays unpinned, so renewing it does not break the cluster."""
    if dc_spec.get('insecure'):
        return ''
    if dc_spec.get('thumbprint'):
        return dc_spec['thumbprint']
    if isinstance(facts, dict) and facts.get('self_signed') is not False:
        return fact(facts, 'thumbprint') or ''
    return ''


def facts_root(vsphere_facts):
    if not vsphere_facts:
        return {}
    if not isinstance(vsphere_facts, dict):
        raise RenderError('vsphere_facts must be a mapping (the resolved facts of vsphere_validate)', 'vsphere_facts')
    root = vsphere_facts.get('resolved', vsphere_facts)
    return root if isinstance(root, dict) else {}


def b64(text):
    return base64.b64encode(text.encode('utf-8')).decode('ascii')


def dump_plain(data):
    return yaml.safe_dump(data, default_flow_style=False, sort_keys=True)


class Engine(object):

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


_ENGINES = {}


def engine(template_dir=None):
    key = template_dir or TEMPLATE_DIR
    if key not in _ENGINES:
        _ENGINES[key] = Engine(template_dir)
    return _ENGINES[key]
