# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Deleting a Cluster API cluster as ``eksctl anywhere delete cluster`` does, and what must hold before.

``managed_clusters(client, name)`` lists the EKS Anywhere Clusters a management cluster still manages;
``delete_cluster(client, name, ...)`` deletes the Cluster API Cluster (and, for a workload cluster, its EKS Anywhere
objects on the management cluster) and waits until Cluster API deleted every Machine.  ``client`` is a
``k8s.client.K8sClient``; only its public methods (get, list, delete, serves) are used.  Independent of AnsibleModule.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.eksa.anywhere.plugins.module_utils.capi.status import CAPI, NAMESPACE
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.waiter import WaitTimeout, wait_until
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.running import API_VERSION as EKSA, referenced

__all__ = ['DeleteFailed', 'managed_clusters', 'capi_clusters', 'cluster_machines', 'delete_cluster', 'eksa_objects']

CLUSTER_LABEL = 'cluster.x-k8s.io/cluster-name'


class DeleteFailed(Exception):
    def __init__(self, message, machines=None):
        super(DeleteFailed, self).__init__(message)
        self.message = message
        self.machines = machines or []


def managed_clusters(client, name):
    """Names of the EKS Anywhere Clusters (any namespace) whose management cluster is ``name``, itself excluded."""
    if not client.serves(EKSA, 'Cluster'):
        return []
    out = []
    for obj in client.list(EKSA, 'Cluster'):
        meta = obj.get('metadata') or {}
        mgmt = ((obj.get('spec') or {}).get('managementCluster') or {}).get('name')
        if meta.get('name') != name and mgmt == name:
            out.append('%s/%s' % (meta.get('namespace') or 'default', meta.get('name')))
    return sorted(out)


def capi_clusters(client, namespace=NAMESPACE):
    if not client.serves(CAPI, 'Cluster'):
        return []
    return sorted(c['metadata']['name'] for c in client.list(CAPI, 'Cluster', namespace))


def cluster_machines(client, name, namespace=NAMESPACE):
    if not client.serves(CAPI, 'Machine'):
        return []
    selector = '%s=%s' % (CLUSTER_LABEL, name)
    return sorted(m['metadata']['name'] for m in client.list(CAPI, 'Machine', namespace, label_selector=selector))


def eksa_objects(client, name, namespace):
    """[(kind, name)] of the EKS Anywhere Cluster ``name`` and the objects it refers to, as found (Cluster first)."""
    if not client.serves(EKSA, 'Cluster'):
        return []
    cluster = client.get(EKSA, 'Cluster', name, namespace)
    if not cluster:
        return []
    return [('Cluster', name)] + [(ref['kind'], ref['name']) for ref in referenced(cluster)]


def delete_cluster(client, name, namespace=NAMESPACE, eksa_namespace=None, timeout=3600, sleep=2, check_mode=False,
                   on_progress=None, clock=time.monotonic, sleeper=time.sleep):
    """Delete cluster ``name``; returns {changed, machines (those it had), eksa_deleted}.

    With ``eksa_namespace``, the EKS Anywhere Cluster of that namespace is deleted first (a workload cluster: its
    management cluster's controller would otherwise recreate it) and the objects it refers to last.
    Raises DeleteFailed when Cluster API has not deleted every machine within ``timeout`` seconds.
    """
    result = {'changed': False, 'machines': [], 'eksa_deleted': []}
    eksa = eksa_objects(client, name, eksa_namespace) if eksa_namespace else []
    cluster = client.get(CAPI, 'Cluster', name, namespace) if client.serves(CAPI, 'Cluster') else None
    machines = cluster_machines(client, name, namespace)
    result['machines'] = machines
    if not cluster and not machines and not eksa:
        return result
    result['changed'] = True
    if check_mode:
        result['eksa_deleted'] = ['%s/%s' % item for item in eksa]
        return result
    if eksa:
        client.delete(EKSA, 'Cluster', name, eksa_namespace)
    if cluster and not (cluster.get('metadata') or {}).get('deletionTimestamp'):
        client.delete(CAPI, 'Cluster', name, namespace)

    def gone():
        left = cluster_machines(client, name, namespace)
        exists = client.get(CAPI, 'Cluster', name, namespace) is not None
        if not left and not exists:
            return True, 'cluster %s deleted' % name
        still = ', Cluster object still there' if exists else ''
        return False, '%d machine(s) of cluster %s left%s' % (len(left), name, still)

    try:
        wait_until(gone, timeout, 'the deletion of cluster %s' % name, progress=on_progress, sleep=sleep, clock=clock,
                   sleeper=sleeper)
    except WaitTimeout as exc:
        raise DeleteFailed('timed out after %ds waiting for Cluster API to delete cluster %s: %s; check the providers\' '
                           'logs on the management cluster and run the same command again to resume'
                           % (timeout, name, exc.detail), cluster_machines(client, name, namespace))
    for kind, obj_name in eksa[1:]:
        client.delete(EKSA, kind, obj_name, eksa_namespace)
    result['eksa_deleted'] = ['%s/%s' % item for item in eksa]
    return result
