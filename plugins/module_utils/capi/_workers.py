# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The worker family: per worker node group a KubeadmConfigTemplate, its MachineDeployment(s) (one per failure
domain) and its machine template."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.eksa.anywhere.plugins.module_utils.capi._base import NODE_NAME, RenderError, get, node_users
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._nodes import cert_bundles
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._vsphere import failure_domain_names


def _deployments(group, md_base, failure_domains, field):
    autoscaling = group.get('autoscalingConfiguration')
    replicas = group.get('count')
    if replicas is None:
        replicas = (autoscaling or {}).get('minCount', 1)
    fd_names = group.get('failureDomains') or []
    if not fd_names:
        return [{'name': md_base, 'replicas': int(replicas), 'failure_domain': None}]
    for fd in fd_names:
        if fd not in failure_domains:
            raise RenderError('failure domain %s is not defined in the VSphereDatacenterConfig\'s failureDomains'
                              % fd, field + '.failureDomains')
    share, extra = divmod(int(replicas), len(fd_names))
    return [{'name': md_base if len(fd_names) == 1 else '%s-%s' % (md_base, fd),
             'replicas': share + (1 if j < extra else 0), 'failure_domain': failure_domains[fd]}
            for j, fd in enumerate(fd_names)]


def _rollout(group):
    strategy = group.get('upgradeRolloutStrategy')
    if not strategy:
        return None
    rollout = {'type': strategy.get('type') or 'RollingUpdate'}
    if strategy.get('rollingUpdate'):
        rollout['rollingUpdate'] = dict((k, v) for k, v in strategy['rollingUpdate'].items()
                                        if k in ('maxSurge', 'maxUnavailable'))
    return rollout


def render_worker_group(job, index, group, failure_domains):
    """(objects [KubeadmConfigTemplate, MachineDeployment..., machine template], [MachineDeployment names])."""
    ctx, spec, name = job.ctx, job.ctx.spec, job.ctx.name
    field = 'spec.workerNodeGroupConfigurations[%d]' % index
    gname = group['name']
    mc_name = (spec.get('worker_machine_configs') or {}).get(gname) or get(group, 'machineGroupRef', 'name')
    machine = job.machine(mc_name, 'worker', field + '.machineGroupRef')
    md_base = '%s-%s' % (name, gname)
    prev_md = job.prev.get(('MachineDeployment', md_base))
    template = job.machine_template(machine, md_base, get(prev_md, 'spec', 'template', 'spec', 'infrastructureRef', 'name'))
    mc = job.machine_config(mc_name)
    br = machine['os_family'] == 'bottlerocket'
    version = str(group.get('kubernetesVersion') or ctx.cspec.get('kubernetesVersion'))
    release = ctx.releases[version]
    if br and not release.get('bottlerocket_bootstrap_repository'):
        raise RenderError('the Bundles manifest has no Bottlerocket bootstrap image',
                          'bundle.versionsBundles[].bottlerocketHostContainers.kubeadmBootstrap.uri')
    kubelet_config = group.get('kubeletConfiguration')
    kubelet_args, patch = ctx.kubelet(None if br else kubelet_config, group.get('labels'), br, field,
                                      cgroup_systemd=job.vsphere and version == '1.21' and not br)
    files, commands = ctx.node_files_and_commands(br)
    br_settings, br_proxy, br_mirror = ctx.bottlerocket_extras(kubelet_config, mc) if br else ({}, None, None)
    autoscaling = group.get('autoscalingConfiguration')
    deployments = _deployments(group, md_base, failure_domains, field)
    wg = {
        'machine_template_name': template['metadata']['name'], 'bottlerocket': br,
        'bottlerocket_settings': br_settings, 'bottlerocket_proxy': br_proxy, 'bottlerocket_registry_mirror': br_mirror,
        'kubelet_patch': bool(patch), 'kubelet_args': kubelet_args, 'node_name': NODE_NAME if job.vsphere else '',
        'taints': ctx.taints(group.get('taints')), 'files': ([patch] if patch else []) + files,
        'ntp_servers': ctx.ntp(mc), 'pre_commands': commands,
        'users': node_users(mc, 'VSphereMachineConfig/%s' % mc_name) if job.vsphere else [],
        'format': 'bottlerocket' if br else 'cloud-config',
        'cert_bundles': cert_bundles(mc) if br else [],
        'autoscaling': ({'min': autoscaling.get('minCount'), 'max': autoscaling.get('maxCount')}
                        if autoscaling else None),
        'rollout': _rollout(group), 'deployments': deployments,
    }
    preferred = get(prev_md, 'spec', 'template', 'spec', 'bootstrap', 'configRef', 'name')
    dummy, objs = job.named('machine_deployment.yaml.j2', dict(job.base, wg=wg, release=release), 'KubeadmConfigTemplate', md_base,
                            preferred, 'wg')
    return objs + [template], [md['name'] for md in deployments]


def render_workers(job):
    """(objects of every worker group in order, [(group, [MachineDeployment names])])."""
    failure_domains = failure_domain_names(job) if job.vsphere else {}
    objs, groups = [], []
    for i, group in enumerate(job.ctx.cspec.get('workerNodeGroupConfigurations') or []):
        group_objs, md_names = render_worker_group(job, i, group, failure_domains)
        objs += group_objs
        groups.append((group, md_names))
    return objs, groups
