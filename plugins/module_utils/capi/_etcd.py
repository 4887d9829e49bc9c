# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The external etcd object family: the EtcdadmCluster and its machine template."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.eksa.anywhere.plugins.module_utils.capi._base import RenderError, get, node_users
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._nodes import bottlerocket_host_settings, cert_bundles


def etcd_values(job):
    """(the template's ``etcd`` values, the etcd machine template) or (None, None) for a stacked etcd."""
    ctx, spec, name = job.ctx, job.ctx.spec, job.ctx.name
    etcd_cfg = ctx.cspec.get('externalEtcdConfiguration')
    if not etcd_cfg:
        return None, None
    mc_name = spec.get('etcd_machine_config') or (etcd_cfg.get('machineGroupRef') or {}).get('name')
    machine = job.machine(mc_name, 'etcd', 'spec.externalEtcdConfiguration.machineGroupRef')
    prev_etcd = job.prev.get(('EtcdadmCluster', '%s-etcd' % name))
    template = job.machine_template(machine, '%s-etcd' % name, get(prev_etcd, 'spec', 'infrastructureTemplate', 'name'))
    mc = job.machine_config(mc_name)
    br = machine['os_family'] == 'bottlerocket'
    # etcd runs no container images on Ubuntu/RedHat: its proxy and mirror are the EtcdadmConfigSpec's fields (as
    # EKS Anywhere renders them), not containerd files
    files, commands = [], [] if br else ctx.host_commands()
    etcd = {
        'name': '%s-etcd' % name, 'replicas': int(etcd_cfg.get('count') or 3), 'bottlerocket': br,
        'format': 'bottlerocket' if br else 'cloud-config', 'template_name': template['metadata']['name'],
        'users': node_users(mc, 'VSphereMachineConfig/%s' % mc_name) if job.vsphere else [],
        'pre_commands': commands, 'files': files, 'ntp_servers': ctx.ntp(mc),
        'proxy': ({'httpProxy': ctx.proxy.get('httpProxy') or '', 'httpsProxy': ctx.proxy.get('httpsProxy') or '',
                   'noProxy': ctx.no_proxy()} if ctx.proxy else None),
        'registry_mirror': ctx.mirror.etcd() if ctx.mirror else None,
        'bottlerocket_settings': bottlerocket_host_settings(mc) if br else {},
        'cert_bundles': cert_bundles(mc) if br else [],
    }
    if br and not ctx.release.get('bottlerocket_bootstrap_repository'):
        raise RenderError('the Bundles manifest has no Bottlerocket bootstrap image',
                          'bundle.versionsBundles[].bottlerocketHostContainers.kubeadmBootstrap.uri')
    return etcd, template


def render_etcd(job, template):
    """[EtcdadmCluster, its machine template] (base['etcd'] holds the values)."""
    return job.engine.objects('etcdadm_cluster.yaml.j2', job.base) + [template]
