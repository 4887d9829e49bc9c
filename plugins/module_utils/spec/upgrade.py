# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The checks EKS Anywhere v0.26 runs on a changed spec before an upgrade, on two normalized specs.

``validate_upgrade(current, new)`` compares the running cluster's normalized spec (``spec.model.load_spec()``) with
the new one and returns every :class:`UpgradeProblem` (empty: the upgrade may go ahead).  Each problem names the
field, the previous and the new value, and the EKS Anywhere source of the rule (``RULES``; docs/day2.md lists them):

* immutable fields of the Cluster (``pkg/validations/upgradevalidations/immutable_fields.go`` and the Cluster
  webhook ``validateImmutableFieldsCluster`` in ``pkg/api/v1alpha1/cluster_webhook.go``);
* the Kubernetes version: one minor version up at a time, no downgrade (``ValidateKubernetesVersionSkew``,
  ``ValidateVersionSkew`` in ``pkg/api/v1alpha1``);
* the worker node groups' versions against the control plane (``ValidateWorkerKubernetesVersionSkew``);
* the vSphere provider's new-spec checks (``ValidateNewSpec`` in ``pkg/providers/vsphere/vsphere.go``): datacenter
  ``server``, ``datacenter``, ``network``, ``insecure``, ``thumbprint``; per existing machine config ``osFamily`` and
  ``storagePolicyName``;
* the EKS Anywhere version: not removed once set, one minor version at a time (``validateEksaVersionCluster``,
  ``ValidateEksaVersionSkew``), ``bundlesRef`` not removed (``validateBundlesRefCluster``).

Nothing here depends on AnsibleModule or on a cluster.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

__all__ = ['UpgradeProblem', 'RULES', 'validate_upgrade', 'kube_minor', 'format_problems']

CLUSTER_WEBHOOK = 'pkg/api/v1alpha1/cluster_webhook.go'
IMMUTABLE = 'pkg/validations/upgradevalidations/immutable_fields.go'
VERSION_SKEW = 'pkg/api/v1alpha1/version.go (ValidateVersionSkew)'
VSPHERE_NEW_SPEC = 'pkg/providers/vsphere/vsphere.go (ValidateNewSpec)'
MACHINE_CONFIG = 'pkg/providers/vsphere/vsphere.go (validateMachineConfigImmutability)'

# rule id -> (what it checks, EKS Anywhere source)
RULES = {
    'name': ('cluster name is immutable', IMMUTABLE),
    'namespace': ('cluster namespace is immutable', IMMUTABLE),
    'datacenterRef': ('spec.datacenterRef is immutable', IMMUTABLE + ', ' + CLUSTER_WEBHOOK),
    'endpoint': ('spec.controlPlaneConfiguration.endpoint is immutable', IMMUTABLE + ', ' + CLUSTER_WEBHOOK),
    'pods': ('spec.clusterNetwork.pods is immutable', IMMUTABLE + ', ' + CLUSTER_WEBHOOK),
    'services': ('spec.clusterNetwork.services is immutable', IMMUTABLE + ', ' + CLUSTER_WEBHOOK),
    'dns': ('spec.clusterNetwork.dns is immutable', IMMUTABLE + ', ' + CLUSTER_WEBHOOK),
    'nodes': ('spec.clusterNetwork.nodes is immutable', CLUSTER_WEBHOOK),
    'cni': ('the CNI plugin (spec.clusterNetwork.cni / cniConfig plugin) is immutable', IMMUTABLE),
    'skipUpgrade': ('spec.clusterNetwork.cniConfig.cilium.skipUpgrade cannot be toggled off', IMMUTABLE),
    'proxy': ('spec.proxyConfiguration is immutable', IMMUTABLE + ', ' + CLUSTER_WEBHOOK),
    'etcdTopology': ('adding or removing external etcd is not supported', IMMUTABLE + ', ' + CLUSTER_WEBHOOK),
    'awsIam': ('the AWS IAM identity provider is immutable', IMMUTABLE + ', ' + CLUSTER_WEBHOOK),
    'gitOpsRef': ('spec.gitOpsRef is immutable once set', IMMUTABLE + ' (ValidateGitOpsImmutableFields)'),
    'management': ('the management flag and spec.managementCluster.name are immutable', IMMUTABLE + ', ' + CLUSTER_WEBHOOK),
    'kubernetesVersion': ('Kubernetes: one minor version up at a time, no downgrade',
                          CLUSTER_WEBHOOK + ' (ValidateKubernetesVersionSkew), ' + VERSION_SKEW),
    'workerVersion': ('worker node groups: one minor version up at a time, at most 2 minor versions behind the '
                      'control plane, never ahead of it', CLUSTER_WEBHOOK + ' (ValidateWorkerKubernetesVersionSkew)'),
    'eksaVersion': ('spec.eksaVersion: not removed once set, one minor version up at a time',
                    CLUSTER_WEBHOOK + ' (validateEksaVersionCluster, ValidateEksaVersionSkew)'),
    'bundlesRef': ('spec.bundlesRef cannot be removed once set (without spec.eksaVersion)',
                   CLUSTER_WEBHOOK + ' (validateBundlesRefCluster)'),
    'vsphereDatacenter': ('VSphereDatacenterConfig spec.server, spec.datacenter, spec.network, spec.insecure and '
                          'spec.thumbprint are immutable', VSPHERE_NEW_SPEC),
    'machineConfig': ('VSphereMachineConfig spec.osFamily and spec.storagePolicyName are immutable', MACHINE_CONFIG),
}

SUPPORTED_MINOR_INCREMENT = 1
MAX_WORKER_SKEW = 2


class UpgradeProblem(object):
    """One refused change: ``kind/name: field``, previous and new value, the rule and its EKS Anywhere source."""

    def __init__(self, rule, kind, name, field, old, new, message=None):
        self.rule = rule
        self.kind = kind
        self.name = name
        self.field = field
        self.old = old
        self.new = new
        self.message = message or '%s is immutable' % field
        self.source = RULES[rule][1]

    def __str__(self):
        return '%s/%s: %s: %s (previous value %s, new value %s) [EKS Anywhere: %s]' % (
            self.kind, self.name, self.field, self.message, _show(self.old), _show(self.new), self.source)

    def as_dict(self):
        return {'rule': self.rule, 'kind': self.kind, 'name': self.name, 'field': self.field, 'previous': self.old,
                'new': self.new, 'message': self.message, 'source': self.source, 'text': str(self)}


def _show(value):
    if value is None:
        return '(not set)'
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(',', ':'))
    return str(value)


def _get(data, *path):
    cur = data
    for part in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _empty(value):
    """EKS Anywhere's Equal() methods treat nil and empty alike."""
    return value in (None, {}, [], '')


def _same(old, new):
    if _empty(old) and _empty(new):
        return True
    return old == new


def kube_minor(version):
    """(major, minor) of '1.30', 'v1.30.2' (None when it does not parse)."""
    match = re.match(r'^v?(\d+)\.(\d+)', str(version or '').strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def _version_skew(old, new):
    """ValidateVersionSkew: None when new is old or one minor up; else the reason."""
    o, n = kube_minor(old), kube_minor(new)
    if o is None or n is None:
        return 'the version does not parse (expected MAJOR.MINOR, e.g. 1.31)'
    if n == o:
        return None
    if n[0] != o[0]:
        return 'major version upgrades are not supported (%d.%d -> %d.%d)' % (o + n)
    if n < o:
        return 'kubernetes version downgrade is not supported (%d.%d -> %d.%d)' % (o + n)
    if n[1] - o[1] > SUPPORTED_MINOR_INCREMENT:
        return ('only +%d minor version skew is supported, minor version skew detected %d: upgrade one minor version '
                'at a time (%d.%d -> %d.%d first)' % (SUPPORTED_MINOR_INCREMENT, n[1] - o[1], o[0], o[1], o[0], o[1] + 1))
    return None


def _cp_worker_skew(cp_version, worker_version):
    """validateCPWorkerKubeSkew: the control plane at most 2 minor versions ahead of a group, never behind it."""
    w, c = kube_minor(worker_version), kube_minor(cp_version)
    if w is None or c is None:
        return 'the version does not parse (expected MAJOR.MINOR, e.g. 1.31)'
    if w[0] != c[0]:
        return 'major versions are not the same: %d.%d and %d.%d' % (w + c)
    diff = c[1] - w[1]
    if diff < 0 or diff > MAX_WORKER_SKEW:
        return ('cluster level minor version must be within %d versions greater than worker node group version: %s'
                % (MAX_WORKER_SKEW, worker_version))
    return None


def _cni_plugin(network):
    network = network or {}
    config = network.get('cniConfig') or {}
    if isinstance(config, dict) and config:
        return sorted(config)[0]
    cni = network.get('cni')
    return {'cilium': 'cilium', 'kindnetd': 'kindnetd'}.get(cni, cni)


def _identity_ref(cluster, kind):
    for ref in _get(cluster, 'spec', 'identityProviderRefs') or []:
        if isinstance(ref, dict) and ref.get('kind') == kind:
            return {'kind': ref.get('kind'), 'name': ref.get('name')}
    return None


def _self_managed(cluster):
    mgmt = _get(cluster, 'spec', 'managementCluster', 'name')
    return not mgmt or mgmt == _get(cluster, 'metadata', 'name')


def _skip_upgrade(network):
    cilium = _get(network or {}, 'cniConfig', 'cilium')
    return bool(isinstance(cilium, dict) and cilium.get('skipUpgrade'))


def _worker_groups(cluster):
    return dict((g.get('name'), g) for g in _get(cluster, 'spec', 'workerNodeGroupConfigurations') or []
                if isinstance(g, dict) and g.get('name'))


def _semver(text):
    match = re.match(r'^v?(\d+)\.(\d+)\.(\d+)', str(text or ''))
    return tuple(int(p) for p in match.groups()) if match else None


def validate_upgrade(current, new):
    """Every problem of upgrading the cluster of normalized spec ``current`` to normalized spec ``new``."""
    problems = []
    old_c, new_c = current['cluster'], new['cluster']
    name = _get(new_c, 'metadata', 'name')
    old_s, new_s = old_c.get('spec') or {}, new_c.get('spec') or {}

    def refuse(rule, field, old, new_value, message=None, kind='Cluster', obj_name=None):
        problems.append(UpgradeProblem(rule, kind, obj_name or name, field, old, new_value, message))

    if _get(old_c, 'metadata', 'name') != name:
        refuse('name', 'metadata.name', _get(old_c, 'metadata', 'name'), name, 'the cluster name is immutable')
    old_ns = _get(old_c, 'metadata', 'namespace') or 'default'
    new_ns = _get(new_c, 'metadata', 'namespace') or 'default'
    if old_ns != new_ns:
        refuse('namespace', 'metadata.namespace', old_ns, new_ns, 'the cluster namespace is immutable')
    if not _same(old_s.get('datacenterRef'), new_s.get('datacenterRef')):
        refuse('datacenterRef', 'spec.datacenterRef', old_s.get('datacenterRef'), new_s.get('datacenterRef'))
    old_ep = _get(old_s, 'controlPlaneConfiguration', 'endpoint', 'host')
    new_ep = _get(new_s, 'controlPlaneConfiguration', 'endpoint', 'host')
    if old_ep != new_ep:
        refuse('endpoint', 'spec.controlPlaneConfiguration.endpoint.host', old_ep, new_ep)
    old_net, new_net = old_s.get('clusterNetwork') or {}, new_s.get('clusterNetwork') or {}
    for key in ('pods', 'services', 'dns', 'nodes'):
        if not _same(old_net.get(key), new_net.get(key)):
            refuse(key, 'spec.clusterNetwork.%s' % key, old_net.get(key), new_net.get(key))
    if _cni_plugin(old_net) != _cni_plugin(new_net):
        refuse('cni', 'spec.clusterNetwork.cniConfig', _cni_plugin(old_net), _cni_plugin(new_net),
               'the CNI plugin is immutable')
    if _skip_upgrade(old_net) and not _skip_upgrade(new_net):
        refuse('skipUpgrade', 'spec.clusterNetwork.cniConfig.cilium.skipUpgrade', True, False,
               'cannot be toggled off')
    if not _same(old_s.get('proxyConfiguration'), new_s.get('proxyConfiguration')):
        refuse('proxy', 'spec.proxyConfiguration', old_s.get('proxyConfiguration'), new_s.get('proxyConfiguration'))
    old_etcd, new_etcd = old_s.get('externalEtcdConfiguration'), new_s.get('externalEtcdConfiguration')
    if bool(old_etcd) != bool(new_etcd):
        refuse('etcdTopology', 'spec.externalEtcdConfiguration', old_etcd, new_etcd,
               'cannot switch from %s to %s etcd topology (adding or removing external etcd during upgrade is not '
               'supported)' % (('external', 'stacked') if old_etcd else ('stacked', 'external')))
    old_iam, new_iam = _identity_ref(old_c, 'AWSIamConfig'), _identity_ref(new_c, 'AWSIamConfig')
    if old_iam != new_iam and (old_iam or new_iam):
        refuse('awsIam', 'spec.identityProviderRefs[kind=AWSIamConfig]', old_iam, new_iam,
               'the AWS IAM identity provider is immutable')
    elif old_iam and (current.get('awsiam') or {}).get('spec') != (new.get('awsiam') or {}).get('spec'):
        refuse('awsIam', 'AWSIamConfig %s spec' % old_iam['name'], (current.get('awsiam') or {}).get('spec'),
               (new.get('awsiam') or {}).get('spec'), 'the AWS IAM identity provider is immutable')
    if old_s.get('gitOpsRef') and not _same(old_s.get('gitOpsRef'), new_s.get('gitOpsRef')):
        refuse('gitOpsRef', 'spec.gitOpsRef', old_s.get('gitOpsRef'), new_s.get('gitOpsRef'),
               'once spec.gitOpsRef is set, it is immutable')
    if _self_managed(old_c) != _self_managed(new_c):
        refuse('management', 'spec.managementCluster.name', _get(old_s, 'managementCluster', 'name'),
               _get(new_s, 'managementCluster', 'name'), 'the management flag is immutable')
    elif (_get(old_s, 'managementCluster', 'name') or name) != (_get(new_s, 'managementCluster', 'name') or name):
        refuse('management', 'spec.managementCluster.name', _get(old_s, 'managementCluster', 'name'),
               _get(new_s, 'managementCluster', 'name'), 'the management cluster name is immutable')
    if old_s.get('eksaVersion') and not new_s.get('eksaVersion'):
        refuse('eksaVersion', 'spec.eksaVersion', old_s.get('eksaVersion'), None, 'field cannot be removed after setting')
    elif old_s.get('eksaVersion') and new_s.get('eksaVersion'):
        o, n = _semver(old_s['eksaVersion']), _semver(new_s['eksaVersion'])
        if o and n is None:
            refuse('eksaVersion', 'spec.eksaVersion', old_s['eksaVersion'], new_s['eksaVersion'], 'EksaVersion is not a valid semver')
        elif o and n and (n[0] != o[0] or n[1] - o[1] > SUPPORTED_MINOR_INCREMENT):
            refuse('eksaVersion', 'spec.eksaVersion', old_s['eksaVersion'], new_s['eksaVersion'],
                   'EksaVersion upgrades must have a skew of 1 minor version')
        elif o and n and n[1] < o[1]:
            refuse('eksaVersion', 'spec.eksaVersion', old_s['eksaVersion'], new_s['eksaVersion'],
                   'cannot downgrade: EksaVersion upgrades must be incremental')
    if old_s.get('bundlesRef') and not new_s.get('bundlesRef') and not new_s.get('eksaVersion'):
        refuse('bundlesRef', 'spec.bundlesRef', old_s.get('bundlesRef'), None, 'field cannot be removed after setting')

    old_v, new_v = old_s.get('kubernetesVersion'), new_s.get('kubernetesVersion')
    reason = _version_skew(old_v, new_v)
    if reason:
        refuse('kubernetesVersion', 'spec.kubernetesVersion', old_v, new_v, reason)
    problems.extend(_worker_version_problems(name, old_s, new_s))
    if current.get('provider') == 'vsphere' and new.get('provider') == 'vsphere':
        problems.extend(_vsphere_problems(current, new))
    return problems


def _worker_version_problems(name, old_s, new_s):
    problems = []
    old_cp, new_cp = old_s.get('kubernetesVersion'), new_s.get('kubernetesVersion')
    old_groups = _worker_groups({'spec': old_s})
    for group in new_s.get('workerNodeGroupConfigurations') or []:
        gname = group.get('name')
        field = 'spec.workerNodeGroupConfigurations[name=%s].kubernetesVersion' % gname
        new_w = group.get('kubernetesVersion')
        if gname in old_groups:
            old_w = old_groups[gname].get('kubernetesVersion')
            if old_w and not new_w:
                if kube_minor(old_cp) and kube_minor(new_cp) and kube_minor(old_cp) < kube_minor(new_cp):
                    problems.append(UpgradeProblem(
                        'workerVersion', 'Cluster', name, field, old_w, new_w,
                        "can't simultaneously remove worker kubernetesVersion and upgrade cluster level "
                        "kubernetesVersion: %s" % new_cp))
                else:
                    reason = _version_skew(old_w, new_cp)
                    if reason:
                        problems.append(UpgradeProblem('workerVersion', 'Cluster', name, field, old_w, new_w, reason))
            elif new_w:
                reason = _version_skew(old_w or old_cp, new_w)
                if reason:
                    problems.append(UpgradeProblem('workerVersion', 'Cluster', name, field, old_w or old_cp, new_w, reason))
        if new_w:
            reason = _cp_worker_skew(new_cp, new_w)
            if reason:
                problems.append(UpgradeProblem('workerVersion', 'Cluster', name, 'spec.kubernetesVersion',
                                               old_cp, new_cp, reason))
    return problems


def _vsphere_problems(current, new):
    problems = []
    old_dc, new_dc = current.get('datacenter') or {}, new.get('datacenter') or {}
    dc_name = _get(new_dc, 'metadata', 'name')
    for key, default in (('server', None), ('datacenter', None), ('network', None), ('insecure', False),
                         ('thumbprint', '')):
        old_value = _get(old_dc, 'spec', key)
        new_value = _get(new_dc, 'spec', key)
        old_value = default if old_value is None else old_value
        new_value = default if new_value is None else new_value
        if old_value != new_value:
            problems.append(UpgradeProblem('vsphereDatacenter', 'VSphereDatacenterConfig', dc_name, 'spec.%s' % key,
                                           old_value, new_value))
    old_mcs = current.get('machine_configs') or {}
    for mc_name, mc in sorted((new.get('machine_configs') or {}).items()):
        if mc_name not in old_mcs:
            continue
        for key in ('osFamily', 'storagePolicyName'):
            old_value = _get(old_mcs[mc_name], 'spec', key) or ''
            new_value = _get(mc, 'spec', key) or ''
            if old_value != new_value:
                problems.append(UpgradeProblem('machineConfig', 'VSphereMachineConfig', mc_name, 'spec.%s' % key,
                                               old_value, new_value))
    return problems


def format_problems(problems):
    """One message listing every problem and how to proceed."""
    lines = ['the new spec cannot be applied to the running cluster (%d problem%s); revert these fields, then run the '
             'upgrade again:' % (len(problems), '' if len(problems) == 1 else 's')]
    lines.extend('  - %s' % p for p in problems)
    return '\n'.join(lines)
