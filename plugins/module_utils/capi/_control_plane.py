# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The control plane family: the KubeadmControlPlane (API server, controller manager, scheduler, kube-vip, audit
policy, OIDC, kubelet, node files) and its machine template."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

try:
    import yaml
except ImportError:  # pragma: no cover
    yaml = None

from ansible_collections.eksa.anywhere.plugins.module_utils.capi._base import (
    AUDIT_GROUPS, CP_TAINT, NODE_NAME, TLS_CIPHER_SUITES, RenderError, dump_plain, extra_args, get, node_users,
)
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._nodes import cert_bundles

DOCKER_CERT_SANS = ['localhost', '127.0.0.1', '0.0.0.0', 'host.docker.internal']
AUDIT_POLICY = '/etc/kubernetes/audit-policy.yaml'
ENCRYPTION_CONFIG = '/etc/kubernetes/enc/encryption-config.yaml'
# EKS Anywhere v0.26 (pkg/providers/common GenerateKMSEncryptionConfiguration) writes every KMS provider as KMS v1
# with its cache size, whatever the Kubernetes version: the same file is rendered here.
KMS_API_VERSION = 'v1'
DEFAULT_KMS_CACHE_SIZE = 1000
DEFAULT_KMS_TIMEOUT = '3s'


def encryption_config(encryption):
    """The API server's EncryptionConfiguration for spec.etcdEncryption, as EKS Anywhere renders it: each KMS provider
    (``apiVersion: v1``, cachesize default 1000, timeout default 3s, for every Kubernetes version), then identity (so
    data written before encryption stays readable)."""
    resources = []
    for config in encryption:
        providers = []
        for provider in config.get('providers') or []:
            kms = provider['kms']
            providers.append({'kms': {
                'apiVersion': KMS_API_VERSION, 'name': kms['name'], 'endpoint': kms['socketListenAddress'],
                'cachesize': DEFAULT_KMS_CACHE_SIZE if kms.get('cachesize') is None else kms['cachesize'],
                'timeout': kms.get('timeout') or DEFAULT_KMS_TIMEOUT}})
        providers.append({'identity': {}})
        resources.append({'resources': list(config.get('resources') or []), 'providers': providers})
    return {'apiVersion': 'apiserver.config.k8s.io/v1', 'kind': 'EncryptionConfiguration', 'resources': resources}


def _encryption(cspec):
    """(file, apiserver args, apiserver volumes) for spec.etcdEncryption, or (None, [], [])."""
    encryption = cspec.get('etcdEncryption')
    if not encryption:
        return None, [], []
    content = dump_plain(encryption_config(encryption))
    volumes = [{'hostPath': ENCRYPTION_CONFIG, 'mountPath': ENCRYPTION_CONFIG, 'name': 'encryption-config',
                'pathType': 'File', 'readOnly': True}]
    sockets = []
    for config in encryption:
        for provider in config.get('providers') or []:
            directory = provider['kms']['socketListenAddress'][len('unix://'):].rsplit('/', 1)[0] + '/'
            if directory not in sockets:
                sockets.append(directory)
    volumes += [{'hostPath': d, 'mountPath': d, 'name': 'kms-plugin' if i == 0 else 'kms-plugin-%d' % i,
                 'pathType': 'DirectoryOrCreate', 'readOnly': False} for i, d in enumerate(sockets)]
    return ({'path': ENCRYPTION_CONFIG, 'owner': 'root:root', 'permissions': '0600', 'content': content},
            [('encryption-provider-config', ENCRYPTION_CONFIG)], volumes)


def _apiserver_args(job, cp_cfg):
    spec, cspec = job.ctx.spec, job.ctx.cspec
    oidc = get(spec.get('oidc'), 'spec') or {}
    required = ','.join('%s=%s' % (c.get('claim'), c.get('value')) for c in oidc.get('requiredClaims') or [] if c.get('claim'))
    pairs = [('cloud-provider', 'external' if job.vsphere else None),
             ('audit-policy-file', AUDIT_POLICY),
             ('audit-log-path', '/var/log/kubernetes/api-audit.log'),
             ('audit-log-maxage', '30'), ('audit-log-maxbackup', '10'), ('audit-log-maxsize', '512'),
             ('profiling', 'false'), ('tls-cipher-suites', TLS_CIPHER_SUITES),
             ('oidc-client-id', oidc.get('clientId')), ('oidc-groups-claim', oidc.get('groupsClaim')),
             ('oidc-groups-prefix', oidc.get('groupsPrefix')), ('oidc-issuer-url', oidc.get('issuerUrl')),
             ('oidc-required-claim', required or None), ('oidc-username-claim', oidc.get('usernameClaim')),
             ('oidc-username-prefix', oidc.get('usernamePrefix')),
             ('service-account-issuer', get(cspec, 'podIamConfig', 'serviceAccountIssuer'))]
    pairs += _encryption(cspec)[1]
    pairs += sorted((cp_cfg.get('apiServerExtraArgs') or {}).items())
    return extra_args(pairs)


def _files(job, cp_cfg, kubelet_patch, node_files):
    files = [kubelet_patch] if kubelet_patch else []
    if job.vsphere and not cp_cfg.get('skipLoadBalancerDeployment'):
        kube_vip = job.engine.text('kube_vip.yaml.j2', dict(job.base, kube_vip_svc_enable=False,
                                                            kube_vip_kubeconfig='/etc/kubernetes/admin.conf'))
        kube_vip = dump_plain(yaml.load(kube_vip, Loader=job.engine.loader))
        files.append({'path': '/etc/kubernetes/manifests/kube-vip.yaml', 'owner': 'root:root', 'content': kube_vip})
    audit = cp_cfg.get('auditPolicyContent') or job.engine.text('audit_policy.yaml.j2', dict(job.base, audit_groups=AUDIT_GROUPS))
    files.append({'path': AUDIT_POLICY, 'owner': 'root:root', 'content': audit})
    encryption_file = _encryption(job.ctx.cspec)[0]
    if encryption_file:
        files.append(encryption_file)
    return files + node_files


def render_control_plane(job):
    """[the control plane's machine template, KubeadmControlPlane]."""
    ctx, spec, name = job.ctx, job.ctx.spec, job.ctx.name
    cp_cfg = ctx.cspec.get('controlPlaneConfiguration') or {}
    mc_name = spec.get('control_plane_machine_config') or get(cp_cfg, 'machineGroupRef', 'name')
    machine = job.machine(mc_name, 'control plane', 'spec.controlPlaneConfiguration.machineGroupRef')
    prev_kcp = job.prev.get(('KubeadmControlPlane', name))
    template = job.machine_template(machine, '%s-control-plane' % name,
                                    get(prev_kcp, 'spec', 'machineTemplate', 'spec', 'infrastructureRef', 'name'))
    mc = job.machine_config(mc_name)
    br = machine['os_family'] == 'bottlerocket'
    if br and not ctx.release.get('bottlerocket_bootstrap_repository'):
        raise RenderError('the Bundles manifest has no Bottlerocket bootstrap image',
                          'bundle.versionsBundles[].bottlerocketHostContainers.kubeadmBootstrap.uri')
    kubelet_config = cp_cfg.get('kubeletConfiguration')
    kubelet_args, kubelet_patch = ctx.kubelet(kubelet_config, cp_cfg.get('labels'), br, 'spec.controlPlaneConfiguration')
    node_files, commands = ctx.node_files_and_commands(br)
    kubeadm_dir = '/var/lib/kubeadm' if br else '/etc/kubernetes'
    apiserver_volumes = [
        {'hostPath': kubeadm_dir + '/audit-policy.yaml', 'mountPath': AUDIT_POLICY,
         'name': 'audit-policy', 'pathType': 'File', 'readOnly': True},
        {'hostPath': '/var/log/kubernetes', 'mountPath': '/var/log/kubernetes', 'name': 'audit-log-dir',
         'pathType': 'DirectoryOrCreate', 'readOnly': False}] + _encryption(ctx.cspec)[2]
    taints = [dict(CP_TAINT)] if cp_cfg.get('taints') is None else ctx.taints(cp_cfg.get('taints'))
    br_settings, br_proxy, br_mirror = ctx.bottlerocket_extras(kubelet_config, mc) if br else ({}, None, None)
    strategy = cp_cfg.get('upgradeRolloutStrategy') or {}
    cert_sans = list(cp_cfg.get('certSans') or [])
    cp = {
        'template_name': template['metadata']['name'], 'bottlerocket': br,
        'pki_dir': '/var/lib/kubeadm/pki' if br else '/etc/kubernetes/pki',
        'bottlerocket_settings': br_settings, 'bottlerocket_proxy': br_proxy, 'bottlerocket_registry_mirror': br_mirror,
        'cert_sans': cert_sans if job.vsphere else DOCKER_CERT_SANS + cert_sans,
        'apiserver_args': _apiserver_args(job, cp_cfg), 'apiserver_volumes': apiserver_volumes,
        'controller_manager_args': extra_args([('cloud-provider', 'external' if job.vsphere else None),
                                               ('node-cidr-mask-size', ctx.node_cidr_mask),
                                               ('profiling', 'false'), ('tls-cipher-suites', TLS_CIPHER_SUITES)]),
        'controller_manager_volumes': ([{'hostPath': '/var/lib/kubeadm/controller-manager.conf',
                                         'mountPath': '/etc/kubernetes/controller-manager.conf', 'name': 'kubeconfig',
                                         'pathType': 'File', 'readOnly': True}] if br else []),
        'scheduler_args': extra_args([('profiling', 'false'), ('tls-cipher-suites', TLS_CIPHER_SUITES)]),
        'scheduler_volumes': ([{'hostPath': '/var/lib/kubeadm/scheduler.conf', 'mountPath': '/etc/kubernetes/scheduler.conf',
                                'name': 'kubeconfig', 'pathType': 'File', 'readOnly': True}] if br else []),
        'files': _files(job, cp_cfg, kubelet_patch, node_files), 'kubelet_patch': bool(kubelet_patch),
        'kubelet_args': kubelet_args, 'node_name': NODE_NAME if job.vsphere else '', 'taints': taints,
        'ntp_servers': ctx.ntp(mc), 'pre_commands': commands,
        'users': node_users(mc, 'VSphereMachineConfig/%s' % mc_name) if job.vsphere else [],
        'cert_bundles': cert_bundles(mc) if br else [],
        'format': 'bottlerocket' if br else 'cloud-config', 'replicas': int(cp_cfg.get('count') or 1),
        'max_surge': get(strategy, 'rollingUpdate', 'maxSurge', default=1),
    }
    return [template] + job.engine.objects('kubeadm_control_plane.yaml.j2', dict(job.base, cp=cp))
