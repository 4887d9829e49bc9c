# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The registry mirror of a spec as every container runtime is told about it (EKS Anywhere v0.26 pkg/registrymirror):
the registry -> mirror map, containerd's config_path and certs.d/<registry>/hosts.toml (Ubuntu, RedHat, the kind
bootstrap node), Bottlerocket's registryMirror settings, and the credentials of an authenticated mirror."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


DEFAULT_REGISTRY = 'public.ecr.aws'          # EKS Anywhere's DefaultCoreEKSARegistry
CERTS_DIR = '/etc/containerd/certs.d'
CONTAINERD_APPEND = '/etc/containerd/config_append.toml'
CRI = 'plugins."io.containerd.grpc.v1.cri"'
DOCKER_HUB_SERVER = 'https://registry-1.docker.io'


def _toml(value):
    """A TOML basic string."""
    return '"%s"' % str(value).replace('\\', '\\\\').replace('"', '\\"')


class MirrorError(Exception):
    """The mirror cannot be configured as given; ``field`` names the option at fault."""

    def __init__(self, message, field):
        super(MirrorError, self).__init__(message)
        self.message = message
        self.field = field


class RegistryMirror(object):
    """The mirror of a spec's registryMirrorConfiguration (None when it has none)."""

    def __init__(self, config, credentials=None):
        self.config = config
        self.base = '%s:%s' % (config['endpoint'], config.get('port') or '443')
        if ':' in config['endpoint'] and not config['endpoint'].startswith('['):
            self.base = '[%s]:%s' % (config['endpoint'], config.get('port') or '443')  # net.JoinHostPort
        self.ca = config.get('caCertContent') or ''
        self.insecure = bool(config.get('insecureSkipVerify'))
        self.authenticate = bool(config.get('authenticate'))
        # registry -> mirror path (host:port[/namespace]) in spec order; no namespaces: public.ecr.aws -> base
        self.map = []
        for ns in config.get('ociNamespaces') or []:
            mirror = self.base + ('/' + ns['namespace'].strip('/') if ns.get('namespace', '').strip('/') else '')
            self.map = [(r, m) for r, m in self.map if r != ns['registry']] + [(ns['registry'], mirror)]
        if not self.map:
            self.map = [(DEFAULT_REGISTRY, self.base)]
        creds = dict(credentials or {})
        self.username, self.password = creds.get('username'), creds.get('password')
        if self.authenticate and (not self.username or not self.password):
            missing = 'registry_username' if not self.username else 'registry_password'
            what = missing.split('_')[1]
            raise MirrorError('registryMirrorConfiguration.authenticate is true but the mirror\'s %s is not given: '
                              'set %s (or REGISTRY_%s)' % (what, missing, what.upper()), missing)

    @staticmethod
    def from_spec(cspec, credentials=None):
        config = cspec.get('registryMirrorConfiguration')
        return RegistryMirror(config, credentials) if config else None

    @staticmethod
    def api_endpoint(mirror):
        """containerd's ToAPIEndpoint: a namespaced mirror gets /v2/ before its path."""
        host, sep, path = mirror.partition('/')
        return '%s/v2/%s' % (host, path) if sep and path else host

    def core_mirror(self):
        """The mirror of public.ecr.aws (EKS Anywhere's images), or None."""
        return dict(self.map).get(DEFAULT_REGISTRY)

    # ------------------------------------------------------------------ Bottlerocket
    def bottlerocket(self):
        """The KubeadmConfigSpec registryMirror: one mapping -> its endpoint (with /v2/<namespace>); several ->
        a mirrors list, one entry per registry, so that no mapping (e.g. docker.io) is lost."""
        out = {}
        if len(self.map) == 1:
            out['endpoint'] = self.api_endpoint(self.map[0][1])
        else:
            out['mirrors'] = [{'registry': registry, 'endpoints': [self.api_endpoint(mirror)]}
                              for registry, mirror in self.map]
        if self.ca:
            out['caCert'] = self.ca
        return out

    def etcd(self):
        """The EtcdadmConfigSpec registryMirror (endpoint and caCert only): the mirror of the etcd image's registry."""
        mirror = self.core_mirror() or self.map[0][1]
        out = {'endpoint': self.api_endpoint(mirror)}
        if self.ca:
            out['caCert'] = self.ca
        return out

    # ------------------------------------------------------------------ containerd (Ubuntu, RedHat, kind)
    def ca_path(self):
        return '%s/%s/ca.crt' % (CERTS_DIR, self.base)

    def hosts_toml(self, registry, mirror):
        server = DOCKER_HUB_SERVER if registry == 'docker.io' else 'https://%s' % registry
        lines = ['server = %s' % _toml(server), '',
                 '[host.%s]' % _toml('https://' + self.api_endpoint(mirror)),
                 '  capabilities = ["pull", "resolve"]']
        if '/' in mirror:
            lines.append('  override_path = true')
        if self.ca:
            lines.append('  ca = %s' % _toml(self.ca_path()))
        if self.insecure:
            lines.append('  skip_verify = true')
        return '\n'.join(lines) + '\n'

    def containerd_config(self):
        """What is appended to containerd's config.toml: config_path, and the mirror's credentials when it
        authenticates (containerd reads credentials from registry.configs, TLS and mirrors from certs.d)."""
        lines = ['[%s.registry]' % CRI, '  config_path = %s' % _toml(CERTS_DIR)]
        if self.authenticate:
            lines += ['[%s.registry.configs.%s.auth]' % (CRI, _toml(self.base)),
                      '  username = %s' % _toml(self.username), '  password = %s' % _toml(self.password)]
        return '\n'.join(lines) + '\n'

    def containerd_files(self):
        """[(path, content)]: the config fragment, the CA and one hosts.toml per mirrored registry."""
        files = [(CONTAINERD_APPEND, self.containerd_config())]
        if self.ca:
            files.append((self.ca_path(), self.ca))
        for registry, mirror in self.map:
            files.append(('%s/%s/hosts.toml' % (CERTS_DIR, registry), self.hosts_toml(registry, mirror)))
        return files

    def secret_values(self):
        return [v for v in (self.password,) if v]
