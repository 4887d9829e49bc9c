# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The spec of a running cluster, read back from the EKS Anywhere objects on its management cluster.

``read_running_objects(client, name, namespace)`` returns the Cluster and the objects it references (datacenter, machine
configs, identity providers, GitOps) as the spec file had them (``apiVersion``, ``kind``, ``metadata.name/namespace``,
``spec``): what ``spec.model.normalize()`` takes.  ``client`` is a ``k8s.client.K8sClient`` (only ``get`` is used).
Raises :class:`RunningSpecError` naming what is missing.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

API_VERSION = 'anywhere.eks.amazonaws.com/v1alpha1'
# the Cluster API objects EKS Anywhere manages, and their namespace (capi/status.py re-exports them as CAPI, NAMESPACE)
CAPI_API_VERSION = 'cluster.x-k8s.io/v1beta2'
SYSTEM_NAMESPACE = 'eksa-system'

__all__ = ["RunningSpecError", "read_running_objects", "referenced", "strip_object"]


class RunningSpecError(Exception):
    def __init__(self, message):
        self.message = message
        super(RunningSpecError, self).__init__(message)


def strip_object(obj):
    """The object as a spec file holds it: server-set metadata and status dropped."""
    meta = obj.get('metadata') or {}
    out = {'apiVersion': obj.get('apiVersion'), 'kind': obj.get('kind'), 'metadata': {'name': meta.get('name')}}
    if meta.get('namespace'):
        out['metadata']['namespace'] = meta['namespace']
    if 'spec' in obj:
        out['spec'] = obj['spec']
    return out


def referenced(cluster):
    """The refs (kind, name) of the objects a Cluster refers to, each once."""
    spec = cluster.get('spec') or {}
    refs = [spec.get('datacenterRef')]
    refs.append((spec.get('controlPlaneConfiguration') or {}).get('machineGroupRef'))
    refs.append((spec.get('externalEtcdConfiguration') or {}).get('machineGroupRef'))
    refs.extend((g or {}).get('machineGroupRef') for g in spec.get('workerNodeGroupConfigurations') or [])
    refs.extend(spec.get('identityProviderRefs') or [])
    refs.append(spec.get('gitOpsRef'))
    seen, out = set(), []
    for ref in refs:
        if isinstance(ref, dict) and ref.get('kind') and ref.get('name') and (ref['kind'], ref['name']) not in seen:
            seen.add((ref['kind'], ref['name']))
            out.append(ref)
    return out


def read_running_objects(client, name, namespace='default'):
    """[Cluster, referenced objects...] of the running cluster ``name`` (stripped, see strip_object)."""
    namespace = namespace or 'default'
    cluster = client.get(API_VERSION, 'Cluster', name, namespace)
    if not cluster:
        raise RunningSpecError('the EKS Anywhere Cluster %s is not in namespace %s of the management cluster: give the '
                               'kubeconfig of the cluster that manages it (for a self-managed cluster, its own)'
                               % (name, namespace))
    objects = [strip_object(cluster)]
    for ref in referenced(cluster):
        found = client.get(API_VERSION, ref['kind'], ref['name'], namespace)
        if not found:
            raise RunningSpecError('the Cluster %s refers to %s %s, which is not in namespace %s of the management cluster'
                                   % (name, ref['kind'], ref['name'], namespace))
        objects.append(strip_object(found))
    return objects
