# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""EKS Anywhere's defaults, applied in place to the parsed objects (private to the spec model).

Mirrors pkg/api/v1alpha1 cluster_defaults.go (registry mirror port, first worker group
name, cniConfig from the legacy cni field, self-managed management cluster, worker count),
VSphereDatacenterConfig.SetDefaults and the vSphere provider's machine config defaults.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DEFAULT_NAMESPACE = 'default'
DEFAULT_HTTPS_PORT = '443'
DEFAULT_WORKER_GROUP = 'md-0'
DEFAULT_MEMORY_MIB = 8192
MIN_MEMORY_MIB = 2048
MIN_ETCD_MEMORY_MIB = 8192
DEFAULT_NUM_CPUS = 2
DEFAULT_DISK_GIB = 25
DEFAULT_OS_FAMILY = 'bottlerocket'


def default_user(os_family):
    """The login user EKS Anywhere configures for an OS family."""
    return 'ec2-user' if os_family == 'bottlerocket' else 'capv'


def _num(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def set_namespace(obj, namespace):
    meta = obj.setdefault('metadata', {})
    if not meta.get('namespace'):
        meta['namespace'] = namespace


def set_cluster_defaults(cluster, rep):
    spec = cluster.setdefault('spec', {})
    mirror = spec.get('registryMirrorConfiguration')
    if isinstance(mirror, dict) and not mirror.get('port'):
        mirror['port'] = DEFAULT_HTTPS_PORT
    groups = spec.get('workerNodeGroupConfigurations')
    if isinstance(groups, list):
        if groups and isinstance(groups[0], dict) and not groups[0].get('name'):
            groups[0]['name'] = DEFAULT_WORKER_GROUP
            rep.warn('spec.workerNodeGroupConfigurations[0].name', 'First worker node group name not specified. Defaulting name to md-0.')
        for group in groups:
            if isinstance(group, dict) and group.get('count') is None:
                autoscaling = group.get('autoscalingConfiguration')
                group['count'] = autoscaling.get('minCount', 0) if isinstance(autoscaling, dict) else 1
    network = spec.get('clusterNetwork')
    if isinstance(network, dict) and network.get('cniConfig') is None and 'cni' in network:
        cni = network.pop('cni')
        if cni in ('cilium', 'cilium-enterprise'):
            network['cniConfig'] = {'cilium': {}}
        elif cni == 'kindnetd':
            network['cniConfig'] = {'kindnetd': {}}
    if not (spec.get('managementCluster') or {}).get('name'):
        spec['managementCluster'] = {'name': (cluster.get('metadata') or {}).get('name')}


def set_vsphere_datacenter_defaults(dc, rep):
    spec = dc.setdefault('spec', {})
    network, datacenter = spec.get('network'), spec.get('datacenter')
    if network and datacenter and not network.startswith('/%s' % datacenter):
        spec['network'] = '/%s/network/%s' % (datacenter, network)
    if spec.get('insecure'):
        if spec.get('thumbprint'):
            rep.warn('spec.thumbprint', 'VSphereDatacenterConfig configured in insecure mode; the thumbprint is ignored and cleared')
        else:
            rep.warn('spec.insecure', 'VSphereDatacenterConfig configured in insecure mode')
        spec['thumbprint'] = ''
    spec.setdefault('insecure', False)
    spec.setdefault('thumbprint', '')


def set_vsphere_machine_config_defaults(mc, rep, etcd=False):
    spec = mc.setdefault('spec', {})
    name = (mc.get('metadata') or {}).get('name')
    if not spec.get('folder'):
        rep.warn('spec.folder', 'VSphereMachineConfig Folder is not set or is empty. Defaulting to root vSphere folder.')
    if _num(spec.get('memoryMiB')) <= 0:
        spec['memoryMiB'] = DEFAULT_MEMORY_MIB
    if spec['memoryMiB'] < MIN_MEMORY_MIB:
        rep.warn('spec.memoryMiB', 'VSphereMachineConfig MemoryMiB should not be less than 2048. Defaulting to 2048. Recommended memory is 8192.')
        spec['memoryMiB'] = MIN_MEMORY_MIB
    if etcd and spec['memoryMiB'] < MIN_ETCD_MEMORY_MIB:
        rep.warn('spec.memoryMiB', 'VSphereMachineConfig MemoryMiB for etcd machines should not be less than 8192. Defaulting to 8192 '
                 '(VSphereMachineConfig %s)' % name)
        spec['memoryMiB'] = MIN_ETCD_MEMORY_MIB
    if _num(spec.get('numCPUs')) <= 0:
        spec['numCPUs'] = DEFAULT_NUM_CPUS
    if _num(spec.get('diskGiB')) <= 0:
        spec['diskGiB'] = DEFAULT_DISK_GIB
    if not spec.get('osFamily'):
        rep.warn('spec.osFamily', 'OS family not specified in machine config specification. Defaulting to Bottlerocket.')
        spec['osFamily'] = DEFAULT_OS_FAMILY
    users = spec.get('users')
    if not isinstance(users, list) or not users:
        users = spec['users'] = [{}]
    first = users[0]
    if isinstance(first, dict):
        if not first.get('name'):
            first['name'] = default_user(spec['osFamily'])
        if not first.get('sshAuthorizedKeys'):
            first['sshAuthorizedKeys'] = ['']
