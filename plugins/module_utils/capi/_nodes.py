# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""What the nodes of every family are told: machine values, containerd/proxy/registry mirror files and commands,
kubelet arguments, Bottlerocket settings, taints, NTP; and the state one render shares (RenderJob)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import _naming as naming
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.registry_mirror import CONTAINERD_APPEND, MirrorError, RegistryMirror
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._base import (
    NODE_NAME, TLS_CIPHER_SUITES, RenderError, dump_plain, extra_args, fact, get,
)


def vsphere_credentials(credentials):
    """(username, password, cp_username, cp_password) from the caller's values (the renderer reads no environment:
    the action plugin and the first phase resolve EKS Anywhere's variables). The cloud provider's user is the main
    user unless cp_username is given, as EKS Anywhere does."""
    creds = dict(credentials or {})
    username, password = creds.get('username'), creds.get('password')
    if not username or not password:
        missing = 'username' if not username else 'password'
        raise RenderError('the vSphere %s is not set: give credentials.%s (capi_manifests falls back to '
                          'EKSA_VSPHERE_%s)' % (missing, missing, missing.upper()), 'credentials.%s' % missing)
    cp_username, cp_password = creds.get('cp_username'), creds.get('cp_password')
    if cp_username and not cp_password:
        raise RenderError('the cloud provider\'s vSphere user %s has no password: give credentials.cp_password (or '
                          'EKSA_VSPHERE_CP_PASSWORD), or leave cp_username unset to use the main user' % cp_username,
                          'credentials.cp_password')
    if not cp_username:
        cp_username, cp_password = username, password
    return str(username), str(password), str(cp_username), str(cp_password)


def machine_values(spec, name, role, facts_root, datacenter, field):
    mc = spec['machine_configs'].get(name)
    if mc is None:
        raise RenderError('VSphereMachineConfig %s is not in the spec' % name, field)
    ms = mc['spec']
    facts = get(facts_root, 'machine_configs', name) or {}
    prefix = 'VSphereMachineConfig/%s: spec' % name
    networks = fact(facts, 'networks')
    if not isinstance(networks, list):
        # EKS Anywhere: the machine config's networks replace the datacenter's network (all with DHCP)
        networks = list(ms.get('networks') or []) or [fact(facts, 'network') or get(datacenter, 'spec', 'network')]
    template = fact(facts, 'template') or ms.get('template')
    if not template:
        raise RenderError('no VM template: set spec.template or run the vSphere preflight (vsphere_facts) to '
                          'resolve the template of Kubernetes %s' % spec['cluster']['spec']['kubernetesVersion'],
                          prefix + '.template')
    tag_ids = fact(facts, 'tag_ids', 'tagIDs') or ms.get('tags') or []
    return {
        'role': role,
        'os_family': ms.get('osFamily'),
        'clone_mode': fact(facts, 'clone_mode', 'cloneMode') or ms.get('cloneMode') or 'fullClone',
        'datastore': fact(facts, 'datastore') or ms.get('datastore'),
        'disk_gib': int(fact(facts, 'disk_gib', 'diskGiB') or ms.get('diskGiB')),
        'folder': fact(facts, 'folder') or ms.get('folder'),
        'memory_mib': int(ms.get('memoryMiB')),
        'num_cpus': int(ms.get('numCPUs')),
        'resource_pool': fact(facts, 'resource_pool', 'resourcePool') or ms.get('resourcePool'),
        'storage_policy': fact(facts, 'storage_policy', 'storagePolicyName') or ms.get('storagePolicyName') or '',
        'tag_ids': list(tag_ids),
        'template': template,
        'networks': networks,
    }


class NodeContext(object):
    """Derives every template value from the normalized spec; one instance per render."""

    def __init__(self, spec, release, facts_root, credentials, registry_credentials=None):
        self.spec = spec
        self.release = release
        self.facts = facts_root
        self.cluster = spec['cluster']
        self.cspec = self.cluster['spec']
        self.name = self.cluster['metadata']['name']
        self.provider = spec['provider']
        self.datacenter = spec.get('datacenter') or {}
        cnet = self.cspec.get('clusterNetwork') or {}
        self.pods = list(get(cnet, 'pods', 'cidrBlocks', default=[]) or [])
        self.services = list(get(cnet, 'services', 'cidrBlocks', default=[]) or [])
        self.endpoint = get(self.cspec, 'controlPlaneConfiguration', 'endpoint', 'host')
        if self.provider == 'vsphere' and not self.endpoint:
            raise RenderError('the control plane endpoint is not set', 'spec.controlPlaneConfiguration.endpoint.host')
        self.resolv_conf = get(cnet, 'dns', 'resolvConf', 'path')
        self.node_cidr_mask = get(cnet, 'nodes', 'cidrMaskSize')
        self.proxy = self.cspec.get('proxyConfiguration') or None
        try:
            self.mirror = RegistryMirror.from_spec(self.cspec, registry_credentials)
        except MirrorError as exc:
            raise RenderError(exc.message, exc.field)
        self.credentials = vsphere_credentials(credentials) if self.provider == 'vsphere' else None

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

    def host_commands(self):
        """The hostname and /etc/hosts commands every vSphere node runs first."""
        if self.provider == 'docker':
            return []
        return ['hostname "%s"' % NODE_NAME,
                'echo "::1         ipv6-localhost ipv6-loopback" >/etc/hosts',
                'echo "127.0.0.1   localhost" >>/etc/hosts',
                'echo "127.0.0.1   %s" >>/etc/hosts' % NODE_NAME,
                'echo "%s" >/etc/hostname' % NODE_NAME]

    def node_files_and_commands(self, bottlerocket):
        files, commands = [], self.host_commands()
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
            for path, content in self.mirror.containerd_files():
                item = {'path': path, 'owner': 'root:root', 'content': content}
                if path == CONTAINERD_APPEND and self.mirror.authenticate:
                    item['permissions'] = '0600'  # it holds the mirror's credentials
                files.append(item)
            commands.append('cat %s >> /etc/containerd/config.toml' % CONTAINERD_APPEND)
            restart = True
        if restart:
            commands += ['sudo systemctl daemon-reload', 'sudo systemctl restart containerd']
        return files, commands

    def bottlerocket_extras(self, kubelet_config, mc):
        settings = {}
        if kubelet_config:
            settings['kubernetes'] = dict((k, v) for k, v in sorted(kubelet_config.items()) if k not in ('kind', 'apiVersion'))
        br = get(mc, 'spec', 'hostOSConfiguration', 'bottlerocketConfiguration') or {}
        for key in ('kubernetes', 'kernel', 'boot'):
            if br.get(key):
                merged = dict(settings.get(key) or {})
                merged.update(br[key])
                settings[key] = merged
        proxy = None
        if self.proxy:
            proxy = {'httpsProxy': self.proxy.get('httpsProxy') or '', 'noProxy': self.no_proxy()}
        mirror = self.mirror.bottlerocket() if self.mirror else None
        return settings, proxy, mirror

    def kubelet(self, kubelet_config, labels, bottlerocket, prefix, cgroup_systemd=False):
        """(kubeletExtraArgs, kubelet patch file or None) as EKS Anywhere derives them; ``cgroup_systemd``: Kubernetes
        1.21 workers, which EKS Anywhere gives cgroup-driver systemd."""
        label_arg = ','.join('%s=%s' % (k, v) for k, v in sorted((labels or {}).items())) or None
        if kubelet_config and not bottlerocket:
            patch = dict((k, v) for k, v in kubelet_config.items() if k not in ('kind', 'apiVersion'))
            if self.resolv_conf:
                patch.setdefault('resolvConf', self.resolv_conf)
            patch.setdefault('tlsCipherSuites', [TLS_CIPHER_SUITES])
            if cgroup_systemd:
                patch.setdefault('cgroupDriver', 'systemd')
            content = dump_plain(patch) + '\n'
            args = extra_args([('cloud-provider', 'external' if self.provider == 'vsphere' else None),
                               ('node-labels', label_arg)])
            return args, {'path': '/etc/kubernetes/patches/kubeletconfiguration0+strategic.yaml',
                          'owner': 'root:root', 'permissions': '0644', 'content': content}
        pairs = [('cloud-provider', 'external' if self.provider == 'vsphere' else None)]
        if self.provider == 'docker':
            pairs.append(('eviction-hard', 'nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%'))
        pairs += [('read-only-port', '0'), ('anonymous-auth', 'false'), ('resolv-conf', self.resolv_conf),
                  ('tls-cipher-suites', TLS_CIPHER_SUITES), ('node-labels', label_arg),
                  ('cgroup-driver', 'systemd' if cgroup_systemd else None)]
        return extra_args(pairs), None

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
        return list(get(mc, 'spec', 'hostOSConfiguration', 'ntpConfiguration', 'servers', default=[]) or [])


def cert_bundles(mc):
    """The machine config's hostOSConfiguration.certBundles as Bottlerocket's settings take them ([{name, data}])."""
    return [{'name': b['name'], 'data': b['data']}
            for b in get(mc, 'spec', 'hostOSConfiguration', 'certBundles', default=[]) or []]


def bottlerocket_host_settings(mc):
    """The etcd machine's Bottlerocket kernel and boot settings (EtcdadmConfigSpec.bottlerocketConfig)."""
    br = get(mc, 'spec', 'hostOSConfiguration', 'bottlerocketConfiguration') or {}
    out = {}
    if get(br, 'kernel', 'sysctlSettings'):
        out['kernel'] = {'sysctlSettings': dict(br['kernel']['sysctlSettings'])}
    if get(br, 'boot', 'bootKernelParameters'):
        out['boot'] = {'bootKernelParameters': dict(br['boot']['bootKernelParameters'])}
    return out


def docker_machine_config(name):
    return {'spec': {'osFamily': 'ubuntu'}, 'metadata': {'name': name}}


class RenderJob(object):
    """The state one render shares between the object families: the node context, the template engine, the
    previous objects (for template names), the values every template sees (``base``)."""

    def __init__(self, ctx, engine, prev):
        self.ctx = ctx
        self.engine = engine
        self.prev = prev
        self.vsphere = ctx.provider == 'vsphere'
        self.machine_template_kind = 'VSphereMachineTemplate' if self.vsphere else 'DockerMachineTemplate'
        self.base = {}
        self.failure_domains = {}

    def machine(self, mc_name, role, field):
        if self.vsphere:
            return machine_values(self.ctx.spec, mc_name, role, self.ctx.facts, self.ctx.datacenter, field)
        return {'role': role, 'os_family': 'ubuntu'}

    def machine_config(self, mc_name):
        if self.vsphere:
            return self.ctx.spec['machine_configs'][mc_name]
        return docker_machine_config(mc_name)

    def named(self, template, context, kind, base_name, preferred, key):
        """Render ``template`` once to learn its content, then again with the name that content gets (an immutable
        template keeps its name unless its spec changed): the objects are never patched after rendering."""
        draft = self.engine.objects(template, dict(context, **{key: dict(context[key], name='')}))
        name = naming.template_name(base_name, kind, draft[0]['spec'], self.prev, preferred)
        return name, self.engine.objects(template, dict(context, **{key: dict(context[key], name=name)}))

    def machine_template(self, mt, base_name, preferred):
        name, objs = self.named('machine_template.yaml.j2', dict(self.base, mt=mt), self.machine_template_kind,
                                base_name, preferred, 'mt')
        return objs[0]
