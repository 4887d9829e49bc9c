# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The health check family: one MachineHealthCheck for the control plane and one per MachineDeployment."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.eksa.anywhere.plugins.module_utils.capi._base import (
    DEFAULT_MAX_UNHEALTHY_CP, DEFAULT_MAX_UNHEALTHY_WORKERS, DEFAULT_NODE_STARTUP_TIMEOUT,
    DEFAULT_UNHEALTHY_MACHINE_TIMEOUT, duration_seconds,
)


def _values(cluster_mhc, cfg, default_max):
    own = (cfg or {}).get('machineHealthCheck') or {}

    def pick(key):
        return own.get(key) if own.get(key) is not None else cluster_mhc.get(key)
    startup = duration_seconds(pick('nodeStartupTimeout'), 'spec.machineHealthCheck.nodeStartupTimeout')
    unhealthy = duration_seconds(pick('unhealthyMachineTimeout'), 'spec.machineHealthCheck.unhealthyMachineTimeout')
    max_unhealthy = pick('maxUnhealthy')
    return {'node_startup_timeout': DEFAULT_NODE_STARTUP_TIMEOUT if startup is None else startup,
            'unhealthy_timeout': DEFAULT_UNHEALTHY_MACHINE_TIMEOUT if unhealthy is None else unhealthy,
            'max_unhealthy': default_max if max_unhealthy is None else max_unhealthy}


def render_control_plane_check(job):
    cluster_mhc = job.ctx.cspec.get('machineHealthCheck') or {}
    cp_cfg = job.ctx.cspec.get('controlPlaneConfiguration') or {}
    mhc = dict(_values(cluster_mhc, cp_cfg, DEFAULT_MAX_UNHEALTHY_CP), name='%s-kcp-unhealthy' % job.ctx.name,
               match_labels={'cluster.x-k8s.io/control-plane': ''})
    return job.engine.objects('machine_health_check.yaml.j2', dict(job.base, mhc=mhc))


def render_worker_checks(job, groups):
    """``groups``: [(worker group config, [MachineDeployment names])] in order."""
    cluster_mhc = job.ctx.cspec.get('machineHealthCheck') or {}
    objs = []
    for group, md_names in groups:
        for md_name in md_names:
            mhc = dict(_values(cluster_mhc, group, DEFAULT_MAX_UNHEALTHY_WORKERS), name='%s-worker-unhealthy' % md_name,
                       match_labels={'cluster.x-k8s.io/deployment-name': md_name})
            objs += job.engine.objects('machine_health_check.yaml.j2', dict(job.base, mhc=mhc))
    return objs
