# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Applying an upgrade's Cluster API objects in stages and waiting until each stage has rolled out.

An upgrade applies the new render in the order EKS Anywhere upgrades a cluster:

* ``infrastructure``: the new (immutable, renamed) templates, Secrets, the Cluster and the other cluster-level objects
  - nothing rolls yet;
* ``control_plane``: the KubeadmControlPlane - KCP replaces its machines one new up before one old down (maxSurge);
* ``etcd``: the EtcdadmCluster - its members are replaced one at a time;
* ``workers``: the MachineDeployments (and their health checks) - each rolls by its strategy;
* ``cleanup``: the MachineDeployments of removed worker groups deleted, waiting until their machines are gone.

``stage_objects(objects, stage)`` picks a stage's objects; ``stage_state(client, name, stage, objects)`` tells whether
it has rolled out (``{done, line, groups}``); ``wait_stage`` waits for it.  ``client`` is a ``k8s.client.K8sClient``;
only its public methods are used.  Independent of AnsibleModule.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.eksa.anywhere.plugins.module_utils.capi.status import CAPI, ETCD, KCP, NAMESPACE
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.waiter import WaitTimeout, wait_until

__all__ = ['STAGES', 'RolloutFailed', 'stage_objects', 'removed_groups', 'stage_state', 'wait_stage']

STAGES = ('infrastructure', 'control_plane', 'etcd', 'workers', 'cleanup')
INFRA_MACHINE = ('infrastructure.cluster.x-k8s.io/v1beta1', 'VSphereMachine')
CLONED_FROM = 'cluster.x-k8s.io/cloned-from-name'


class RolloutFailed(Exception):
    def __init__(self, message, state=None):
        super(RolloutFailed, self).__init__(message)
        self.message = message
        self.state = state or {}


def _worker_mhcs(objects):
    return set('%s-worker-unhealthy' % o['metadata']['name'] for o in objects if o.get('kind') == 'MachineDeployment')


def stage_objects(objects, stage):
    """The objects a stage applies (``cleanup`` applies none)."""
    mhcs = _worker_mhcs(objects)
    picked = []
    for obj in objects:
        kind, name = obj.get('kind'), (obj.get('metadata') or {}).get('name')
        if kind == 'KubeadmControlPlane':
            key = 'control_plane'
        elif kind == 'EtcdadmCluster':
            key = 'etcd'
        elif kind == 'MachineDeployment' or (kind == 'MachineHealthCheck' and name in mhcs):
            key = 'workers'
        else:
            key = 'infrastructure'
        if key == stage:
            picked.append(obj)
    return picked


def _spec(obj):
    return (obj or {}).get('spec') or {}


def _status(obj):
    return (obj or {}).get('status') or {}


def _observed(obj):
    return _status(obj).get('observedGeneration', 0) >= ((obj or {}).get('metadata') or {}).get('generation', 0)


def _replica_state(obj):
    want = _spec(obj).get('replicas', 1)
    st = _status(obj)
    have, up, ready = st.get('replicas') or 0, st.get('upToDateReplicas') or 0, st.get('readyReplicas') or 0
    if not _observed(obj):
        return False, 'waiting for the controller to see the change'
    done = have == want and up == want and ready >= want
    return done, '%d/%d up to date, %d machine(s)' % (min(up, want), want, have)


def removed_groups(client, name, objects, namespace=NAMESPACE):
    """MachineDeployments of cluster ``name`` on the cluster that ``objects`` no longer have."""
    wanted = set(o['metadata']['name'] for o in objects if o.get('kind') == 'MachineDeployment')
    return sorted(md['metadata']['name'] for md in client.list(CAPI, 'MachineDeployment', namespace)
                  if _spec(md).get('clusterName') == name and md['metadata']['name'] not in wanted)


def _machines(client, namespace, selector):
    return client.list(CAPI, 'Machine', namespace, label_selector=selector)


def stage_state(client, name, stage, objects, namespace=NAMESPACE):
    """{done, line, groups} of a stage on the cluster."""
    groups = {}
    if stage == 'control_plane':
        for obj in stage_objects(objects, stage):
            kcp = client.get(KCP, 'KubeadmControlPlane', obj['metadata']['name'], namespace)
            groups['control plane'] = _replica_state(kcp) if kcp else (False, 'not created yet')
    elif stage == 'etcd':
        for obj in stage_objects(objects, stage):
            ename = obj['metadata']['name']
            etcd = client.get(ETCD, 'EtcdadmCluster', ename, namespace)
            if not etcd:
                groups['etcd'] = (False, 'not created yet')
                continue
            want = _spec(etcd).get('replicas', 1)
            template = (_spec(etcd).get('infrastructureTemplate') or {}).get('name')
            machines = _machines(client, namespace, 'cluster.x-k8s.io/etcd-cluster=%s' % ename)
            infra = dict((m['metadata']['name'], m) for m in client.list(
                INFRA_MACHINE[0], INFRA_MACHINE[1], namespace, label_selector='cluster.x-k8s.io/cluster-name=%s' % name))
            up = [m for m in machines
                  if ((infra.get(((m.get('spec') or {}).get('infrastructureRef') or {}).get('name')) or {})
                      .get('metadata', {}).get('annotations') or {}).get(CLONED_FROM) == template]
            done = _observed(etcd) and bool(_status(etcd).get('ready')) and len(machines) == want and len(up) == want
            groups['etcd'] = (done, '%d/%d up to date, %d machine(s)' % (min(len(up), want), want, len(machines))
                              if _observed(etcd) else 'waiting for the controller to see the change')
    elif stage == 'workers':
        for obj in stage_objects(objects, stage):
            if obj.get('kind') != 'MachineDeployment':
                continue
            md = client.get(CAPI, 'MachineDeployment', obj['metadata']['name'], namespace)
            groups[obj['metadata']['name']] = _replica_state(md) if md else (False, 'not created yet')
    elif stage == 'cleanup':
        for md_name in removed_groups(client, name, objects, namespace):
            groups[md_name] = (False, 'to delete')
        for machine in _machines(client, namespace, 'cluster.x-k8s.io/cluster-name=%s' % name):
            md_name = ((machine.get('metadata') or {}).get('labels') or {}).get('cluster.x-k8s.io/deployment-name')
            if md_name and md_name not in set(o['metadata']['name'] for o in objects if o.get('kind') == 'MachineDeployment'):
                groups[md_name] = (False, 'machines left')
    done = all(d for d, dummy in groups.values())
    line = '; '.join('%s: %s' % (g, text) for g, (dummy, text) in sorted(groups.items())) or 'nothing to do'
    return {'done': done, 'line': line, 'groups': dict((g, t) for g, (dummy, t) in groups.items())}


def wait_stage(client, name, stage, objects, timeout, sleep=2, namespace=NAMESPACE, progress=None,
               clock=time.monotonic, sleeper=time.sleep):
    """Wait until the stage rolled out; raises RolloutFailed naming what is left."""
    holder = {}

    def check():
        holder['state'] = stage_state(client, name, stage, objects, namespace)
        return holder['state']['done'], holder['state']['line']

    try:
        wait_until(check, timeout, 'the %s of cluster %s' % (stage.replace('_', ' '), name), progress=progress,
                   sleep=sleep, clock=clock, sleeper=sleeper)
    except WaitTimeout as exc:
        raise RolloutFailed('timed out after %ds waiting for the %s of cluster %s to roll out: %s; run the same command '
                            'again to resume' % (timeout, stage.replace('_', ' '), name, exc.detail), holder.get('state'))
    return holder['state']
