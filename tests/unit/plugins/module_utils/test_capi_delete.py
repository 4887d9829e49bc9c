"""capi.delete: managed clusters, deleting and waiting, idempotence, check mode, timeout (a fake K8sClient)."""
import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import delete as capi_delete

EKSA = 'anywhere.eks.amazonaws.com/v1alpha1'
CAPI = 'cluster.x-k8s.io/v1beta2'


class FakeClient(object):
    """Objects by (api_version, kind, namespace, name); deleting a CAPI Cluster deletes its machines after `lag` looks."""

    def __init__(self, objects, lag=1, stuck=False):
        self.objects = dict(((o['apiVersion'], o['kind'], o['metadata'].get('namespace'), o['metadata']['name']), o)
                            for o in objects)
        self.lag, self.stuck, self.deleted, self.looks = lag, stuck, [], 0

    def serves(self, api_version, kind):
        return True

    def get(self, api_version, kind, name, namespace=None):
        return self.objects.get((api_version, kind, namespace, name))

    def list(self, api_version, kind, namespace=None, label_selector=None):
        if kind == 'Machine':
            self.looks += 1
            if any(d[1] == 'Cluster' and d[0] == CAPI for d in self.deleted) and self.looks > self.lag and not self.stuck:
                for key in [k for k in self.objects if k[1] in ('Machine', 'Cluster') and k[0] == CAPI]:
                    del self.objects[key]
        out = [o for (a, k, ns, n), o in sorted(self.objects.items()) if a == api_version and k == kind
               and (namespace is None or ns == namespace)]
        if label_selector:
            key, value = label_selector.split('=')
            out = [o for o in out if (o['metadata'].get('labels') or {}).get(key) == value]
        return out

    def delete(self, api_version, kind, name, namespace=None, propagation='Background'):
        self.deleted.append((api_version, kind, name))
        if api_version == EKSA:
            self.objects.pop((api_version, kind, namespace, name), None)


def eksa_cluster(name, mgmt, ns='default'):
    return {'apiVersion': EKSA, 'kind': 'Cluster', 'metadata': {'name': name, 'namespace': ns},
            'spec': {'managementCluster': {'name': mgmt}, 'datacenterRef': {'kind': 'VSphereDatacenterConfig', 'name': name},
                     'controlPlaneConfiguration': {'machineGroupRef': {'kind': 'VSphereMachineConfig', 'name': name + '-cp'}}}}


def capi_cluster(name, machines=2):
    objs = [{'apiVersion': CAPI, 'kind': 'Cluster', 'metadata': {'name': name, 'namespace': 'eksa-system'}}]
    labels = {'cluster.x-k8s.io/cluster-name': name}
    objs += [{'apiVersion': CAPI, 'kind': 'Machine',
              'metadata': {'name': '%s-m%d' % (name, i), 'namespace': 'eksa-system', 'labels': labels}}
             for i in range(machines)]
    return objs


def test_managed_clusters_exclude_itself():
    client = FakeClient([eksa_cluster('mgmt', 'mgmt'), eksa_cluster('w01', 'mgmt', 'team'), eksa_cluster('other', 'other')])
    assert capi_delete.managed_clusters(client, 'mgmt') == ['team/w01']
    assert capi_delete.managed_clusters(client, 'other') == []


def test_delete_waits_until_every_machine_is_gone_then_is_idempotent():
    client = FakeClient(capi_cluster('c1', 3), lag=2)
    result = capi_delete.delete_cluster(client, 'c1', sleeper=lambda s: None)
    assert result['changed'] and result['machines'] == ['c1-m0', 'c1-m1', 'c1-m2']
    assert (CAPI, 'Cluster', 'c1') in client.deleted
    assert capi_delete.delete_cluster(client, 'c1', sleeper=lambda s: None)['changed'] is False


def test_check_mode_deletes_nothing():
    client = FakeClient(capi_cluster('c1'))
    result = capi_delete.delete_cluster(client, 'c1', check_mode=True)
    assert result['changed'] and client.deleted == []


def test_workload_cluster_eksa_objects_deleted_cluster_first_refs_last():
    objs = capi_cluster('w01') + [eksa_cluster('w01', 'mgmt'),
                                  {'apiVersion': EKSA, 'kind': 'VSphereDatacenterConfig', 'metadata': {'name': 'w01', 'namespace': 'default'}},
                                  {'apiVersion': EKSA, 'kind': 'VSphereMachineConfig', 'metadata': {'name': 'w01-cp', 'namespace': 'default'}}]
    client = FakeClient(objs)
    result = capi_delete.delete_cluster(client, 'w01', eksa_namespace='default', sleeper=lambda s: None)
    assert [d[1] for d in client.deleted] == ['Cluster', 'Cluster', 'VSphereDatacenterConfig', 'VSphereMachineConfig']
    assert client.deleted[0][0] == EKSA and client.deleted[1][0] == CAPI
    assert result['eksa_deleted'] == ['Cluster/w01', 'VSphereDatacenterConfig/w01', 'VSphereMachineConfig/w01-cp']


def test_timeout_names_what_is_left_and_how_to_resume():
    client = FakeClient(capi_cluster('c1'), stuck=True)
    ticks = iter(range(0, 100000, 5))
    with pytest.raises(capi_delete.DeleteFailed) as err:
        capi_delete.delete_cluster(client, 'c1', timeout=10, clock=lambda: next(ticks), sleeper=lambda s: None)
    assert '2 machine(s) of cluster c1 left' in err.value.message and 'run the same command again' in err.value.message
    assert err.value.machines == ['c1-m0', 'c1-m1']
