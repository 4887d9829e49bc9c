# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""The preflight checks on an in-memory vSphere (vsphere_fake.FakeClient)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import os
import sys

import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere import checks
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import load_spec

sys.path.insert(0, os.path.dirname(__file__))
from vsphere_fake import FakeClient, fail_with, lab_tree  # noqa: E402  pylint: disable=wrong-import-position

TEMPLATE = '/SDDC-Datacenter/vm/Templates/ubuntu-1804-kube-v1.19.6'
RELEASES = {'1.19': 'kubernetes-1-19-eks-4'}


def make_spec(cp=None, workers=None, etcd=None, dc=None, groups=1, endpoint='10.0.0.10'):
    base = dict(datastore='WorkloadDatastore', folder='/SDDC-Datacenter/vm/eksa', resourcePool='*/Resources',
                template=TEMPLATE, osFamily='ubuntu', diskGiB=25, memoryMiB=8192, numCPUs=2, cloneMode='linkedClone')
    objs = [{
        'apiVersion': 'anywhere.eks.amazonaws.com/v1alpha1', 'kind': 'Cluster', 'metadata': {'name': 'mgmt'},
        'spec': {
            'kubernetesVersion': '1.19',
            'controlPlaneConfiguration': {'count': 1, 'endpoint': {'host': endpoint},
                                          'machineGroupRef': {'kind': 'VSphereMachineConfig', 'name': 'cp'}},
            'workerNodeGroupConfigurations': [
                {'name': 'md-%d' % i, 'count': 2, 'machineGroupRef': {'kind': 'VSphereMachineConfig', 'name': 'w%d' % i}}
                for i in range(groups)],
            'datacenterRef': {'kind': 'VSphereDatacenterConfig', 'name': 'dc'},
            'clusterNetwork': {'cniConfig': {'cilium': {}}, 'pods': {'cidrBlocks': ['192.168.0.0/16']},
                               'services': {'cidrBlocks': ['10.96.0.0/12']}},
        }}, {
        'apiVersion': 'anywhere.eks.amazonaws.com/v1alpha1', 'kind': 'VSphereDatacenterConfig', 'metadata': {'name': 'dc'},
        'spec': dict({'datacenter': 'SDDC-Datacenter', 'network': 'sddc-cgw-network-1', 'server': 'vcenter.test',
                      'thumbprint': 'AA:BB'}, **(dc or {}))}]
    mcs = {'cp': dict(base, **(cp or {}))}
    for i in range(groups):
        mcs['w%d' % i] = dict(dict(base, memoryMiB=4096), **(workers or {}))
    if etcd is not None:
        ref = {'kind': 'VSphereMachineConfig', 'name': 'etcd'}
        objs[0]['spec']['externalEtcdConfiguration'] = {'count': 3, 'machineGroupRef': ref}
        mcs['etcd'] = dict(base, **etcd)
    for name, spec in mcs.items():
        objs.append({'apiVersion': 'anywhere.eks.amazonaws.com/v1alpha1', 'kind': 'VSphereMachineConfig',
                     'metadata': {'name': name}, 'spec': spec})
    return load_spec(data=objs)


def run(spec=None, client=None, check_mode=False, in_use=False, **opts):
    options = {'eksd_releases': RELEASES}
    options.update(opts)
    client = client or FakeClient()
    return checks.run(spec or make_spec(), client, options, check_mode=check_mode,
                      ip_in_use=lambda host: in_use), client


def failures(result):
    return [c['message'] for c in result['report'] if c['status'] == 'failed']


def test_valid_spec_prints_eksa_lines_in_order():
    result, client = run()
    assert not result['failed'], failures(result)
    assert result['messages'] == [
        u'\u2705 Connected to server', u'\u2705 Authenticated to vSphere', u'\u2705 Datacenter validated',
        u'\u2705 Network validated'] + [
        line % mc for mc in ('cp', 'w0') for line in (
            u'\u2705 Datastore validated (machine config %s)', u'\u2705 Folder validated (machine config %s)',
            u'\u2705 Resource pool validated (machine config %s)')] + [
        u'\u2705 Control plane and Workload templates validated',
        u'\u2705 administrator@vsphere.local user vSphere privileges validated',
        u'\u2705 Vsphere Provider setup is valid']
    assert client.closed
    assert result['changed'] is False
    mc = result['resolved']['machine_configs']['cp']
    assert mc == {'datastore': '/SDDC-Datacenter/datastore/WorkloadDatastore', 'folder': '/SDDC-Datacenter/vm/eksa',
                  'folder_created': False, 'resource_pool': '/SDDC-Datacenter/host/Cluster-1/Resources',
                  'template': TEMPLATE, 'template_disk_gib': 25, 'template_has_snapshot': True, 'disk_gib': 25,
                  'clone_mode': 'linkedClone'}
    assert result['resolved']['datacenter'] == '/SDDC-Datacenter'
    assert result['resolved']['network'] == '/SDDC-Datacenter/network/sddc-cgw-network-1'
    assert result['resolved']['thumbprint'] == 'AA:BB'


def test_round_trips_do_not_grow_with_machine_configs():
    small, dummy = run(make_spec(groups=1))
    big, dummy = run(make_spec(groups=50))
    assert not big['failed'], failures(big)
    assert small['round_trips'] == big['round_trips']
    assert big['round_trips']['total'] <= 8


def test_connection_failure_stops_with_remediation():
    client = FakeClient(fail={'connect': fail_with('connection', 'failed validating connection to vCenter: failed to reach '
                                                                 'server vcenter.test: Connection refused')})
    result, dummy = run(client=client)
    assert result['failed']
    assert result['messages'][0] == u'\u274c Validation failed'
    assert 'Connection refused' in result['messages'][1]
    assert result['messages'][2].startswith('   remediation: ')


@pytest.mark.parametrize('message', ['thumbprint mismatch detected, expected: AA, actual: BB',
                                     'thumbprint is required for secure mode with self-signed certificates'])
def test_thumbprint_failures(message):
    result, dummy = run(client=FakeClient(fail={'connect': fail_with('tls', message)}))
    assert result['messages'][0] == u'\u2705 Connected to server'
    assert failures(result) == [message]


def test_wrong_password():
    result, dummy = run(client=FakeClient(fail={'login': fail_with('auth', 'failed validating credentials for vCenter: '
                                                                           'vSphere authentication failed: x')}))
    assert failures(result) == ['failed validating credentials for vCenter: vSphere authentication failed: x']
    assert result['messages'][:1] == [u'\u2705 Connected to server']


def test_datacenter_missing_stops():
    result, dummy = run(make_spec(dc={'datacenter': 'nope'}))
    assert failures(result) == ['datacenter nope not found']


def test_every_failure_reported_at_once():
    spec = make_spec(dc={'network': 'nope'}, cp={'datastore': 'missing', 'resourcePool': 'pool', 'template': 'untagged'},
                     workers={'template': 'absent', 'folder': '/SDDC-Datacenter/vm/x/y'})
    result, dummy = run(spec, in_use=True)
    msgs = failures(result)
    assert 'network /SDDC-Datacenter/network/nope not found' in msgs
    assert 'failed to get datastore: datastore /SDDC-Datacenter/datastore/missing not found' in msgs
    assert any(m.startswith("specified resource pool 'pool' maps to multiple paths within the datacenter 'SDDC-Datacenter'")
               for m in msgs)
    assert 'template /SDDC-Datacenter/vm/Templates/untagged is missing tag os:ubuntu' in msgs
    assert 'template /SDDC-Datacenter/vm/Templates/untagged is missing tag eksdRelease:kubernetes-1-19-eks-4' in msgs
    assert 'template <absent> not found. Has the template been imported?' in msgs
    assert 'failed to get folder: /SDDC-Datacenter/vm/x/ is an invalid intermediate directory' in msgs
    assert 'cluster controlPlaneConfiguration.Endpoint.Host <10.0.0.10> is already in use, control plane IP must be unique' in msgs
    assert result['messages'].count(u'\u274c Validation failed') == 1
    assert u'\u2705 Vsphere Provider setup is valid' not in result['messages']


def test_datastore_outside_datacenter_kind():
    result, dummy = run(make_spec(cp={'datastore': '/SDDC-Datacenter/vm/eksa'}))
    assert failures(result) == ['invalid folder type, expected path under /SDDC-Datacenter/datastore']


def test_not_a_datastore():
    result, dummy = run(make_spec(cp={'datastore': '/SDDC-Datacenter/datastore/'}))
    assert failures(result)


def test_ambiguous_template():
    result, dummy = run(make_spec(cp={'template': 'ubuntu-1804-kube-v1.19.6'}))
    assert any(m.startswith("specified template 'ubuntu-1804-kube-v1.19.6' maps to multiple paths") for m in failures(result))


def test_template_by_name_resolves_full_path():
    result, dummy = run(make_spec(cp={'template': 'nosnap', 'cloneMode': None}))
    assert not result['failed'], failures(result)
    mc = result['resolved']['machine_configs']['cp']
    assert mc['template'] == '/SDDC-Datacenter/vm/Templates/nosnap'
    assert mc['clone_mode'] == 'fullClone'


def test_pool_suffix_and_star():
    result, dummy = run(make_spec(cp={'resourcePool': 'a/pool'}, workers={'resourcePool': '*/Resources/Compute'}))
    assert not result['failed'], failures(result)
    assert result['resolved']['machine_configs']['cp']['resource_pool'] == '/SDDC-Datacenter/host/Cluster-1/Resources/a/pool'


def test_pool_not_found():
    result, dummy = run(make_spec(cp={'resourcePool': 'nope'}))
    assert failures(result) == ["resource pool 'nope' not found"]


def test_missing_folder_created_or_predicted():
    spec = make_spec(cp={'folder': 'eksa/new'}, workers={'folder': 'eksa/new'})
    result, client = run(spec, check_mode=True)
    assert not result['failed'] and result['changed'] is False and client.created == []
    assert result['resolved']['machine_configs']['cp']['folder_would_be_created'] is True
    assert any('would be created' in m for m in result['messages'])
    result, client = run(copy.deepcopy(spec))
    assert result['changed'] is True
    assert client.created == ['/SDDC-Datacenter/vm/eksa/new']   # once, for both machine configs
    assert result['created_folders'] == ['/SDDC-Datacenter/vm/eksa/new']


def test_clone_mode_rules():
    result, dummy = run(make_spec(cp={'template': 'nosnap'}))
    assert failures(result) == ["cannot use 'linkedClone' for VSphereMachineConfig 'cp' because its template "
                                "(/SDDC-Datacenter/vm/Templates/nosnap) has no snapshots; create snapshots or change the "
                                "cloneMode to 'fullClone'"]
    result, dummy = run(make_spec(cp={'diskGiB': 30}))
    assert failures(result)[0].startswith("diskGiB cannot be customized for VSphereMachineConfig 'cp' when using 'linkedClone'")
    result, dummy = run(make_spec(cp={'diskGiB': 30, 'cloneMode': None}))
    assert not result['failed']
    assert result['resolved']['machine_configs']['cp']['clone_mode'] == 'fullClone'


def test_disk_raised_to_template_size_with_warning():
    result, dummy = run(make_spec(cp={'template': 'big', 'cloneMode': None, 'diskGiB': 25}))
    assert not result['failed'], failures(result)
    mc = result['resolved']['machine_configs']['cp']
    assert mc['disk_gib'] == 40 and mc['clone_mode'] == 'linkedClone'
    assert 'VSphereMachineConfig cp DiskGiB cannot be less than 40. Defaulting to 40.' in result['warnings']


def test_bottlerocket_disk_layout():
    spec = make_spec(cp={'template': 'br', 'osFamily': 'bottlerocket', 'cloneMode': None, 'diskGiB': 22},
                     workers={'template': 'br', 'osFamily': 'bottlerocket', 'cloneMode': None, 'diskGiB': 22})
    result, dummy = run(spec)
    assert not result['failed'], failures(result)
    tree = lab_tree()
    tree['/SDDC-Datacenter/vm/Templates/br'][2]['config.hardware.device'][0].capacityInKB = 25 * 1024 * 1024
    result, dummy = run(spec, client=FakeClient(tree))
    assert 'failed validating BR Hard Disk size: Incorrect disk size for disk1 - expected: 23068672 kB got: 26214400' \
        in failures(result)


def test_eksd_release_unknown_warns():
    result, dummy = checks.run(make_spec(), FakeClient(), {}, ip_in_use=lambda h: False), None
    assert not result['failed']
    assert any('EKS-D release of Kubernetes 1.19 is unknown' in w for w in result['warnings'])
    result = checks.run(make_spec(), FakeClient(), {'eksd_release': 'kubernetes-1-19-eks-9'}, ip_in_use=lambda h: False)
    assert 'template %s is missing tag eksdRelease:kubernetes-1-19-eks-9' % TEMPLATE in failures(result)


def test_eksd_releases_from_bundle():
    bundle = {'spec': {'versionsBundles': [{'kubeVersion': '1.19', 'eksD': {'name': 'kubernetes-1-19-eks-4'}}, {'x': 1}]}}
    assert checks.eksd_releases_from_bundle(bundle) == RELEASES


def test_datastore_space_and_pool_memory():
    spec = make_spec(cp={'datastore': 'small'}, workers={'datastore': 'small', 'resourcePool': 'Compute', 'memoryMiB': 8192})
    result, dummy = run(spec)
    msgs = failures(result)
    assert any(m.startswith('not enough space in datastore /SDDC-Datacenter/datastore/small for given diskGiB and count') for m in msgs)
    assert any(m.startswith('not enough memory available in resource pool /SDDC-Datacenter/host/Cluster-1/Resources/Compute')
               for m in msgs)


def test_user_tag_ids():
    tag = 'urn:vmomi:InventoryServiceTag:x:GLOBAL'
    result, dummy = run(make_spec(cp={'tags': [tag]}), client=FakeClient(tag_ids=[tag]))
    assert u'\u2705 Machine config tags validated' in result['messages']
    result, dummy = run(make_spec(cp={'tags': [tag]}))
    assert failures(result)[0].startswith('tag (%s) does not exist in vSphere' % tag)


def test_machine_config_networks():
    result, dummy = run(make_spec(workers={'networks': ['network-1', '/SDDC-Datacenter/network/nope']}))
    assert failures(result) == ['network /SDDC-Datacenter/network/nope not found for VSphereMachineConfig w0']
    result, dummy = run(make_spec(workers={'networks': ['network-1']}))
    assert u'\u2705 Machine config networks validated' in result['messages']
    assert result['resolved']['machine_configs']['w0']['networks'] == ['/SDDC-Datacenter/network/network-1']


def test_missing_privileges_per_object_and_skip():
    client = FakeClient(missing_privileges={'/SDDC-Datacenter/datastore/WorkloadDatastore': ['Datastore.Browse'],
                                            '/': ['System.Read']})
    result, dummy = run(client=client)
    msgs = failures(result)
    assert 'user administrator@vsphere.local missing vSphere permissions on Datastore ' \
           '/SDDC-Datacenter/datastore/WorkloadDatastore: Datastore.Browse' in msgs
    assert 'user administrator@vsphere.local missing vSphere permissions on Folder /: System.Read' in msgs
    client = FakeClient(missing_privileges={'/': ['System.Read']})
    result, dummy = run(client=client, skip_validations=['vsphere-user-privilege'])
    assert not result['failed']
    assert 'privileges' not in client.calls


def _with_cp(cp, **kwargs):
    """A main client whose cloud provider user's client is cp."""
    main = FakeClient(**kwargs)
    main.others = {cp.username: cp}
    return main


CP_CREDS = ('cpi@vsphere.local', 'Cp-Secret-1')


def test_cloud_provider_user_logs_in_and_needs_read_only_on_root():
    cp = FakeClient(username='cpi@vsphere.local')
    main = _with_cp(cp)
    result, dummy = run(client=main, cp_credentials=CP_CREDS)
    assert main.credentials_asked == [CP_CREDS]
    assert not result['failed'], failures(result)
    assert result['messages'][-3:] == [u'\u2705 administrator@vsphere.local user vSphere privileges validated',
                                       u'\u2705 cpi@vsphere.local user vSphere privileges validated',
                                       u'\u2705 Vsphere Provider setup is valid']
    assert cp.calls == ['login', 'privileges'] and cp.closed
    assert result['round_trips']['total'] > dummy.round_trips['total']  # both sessions counted


def test_cloud_provider_user_missing_privileges_or_bad_login():
    result, dummy = run(client=_with_cp(FakeClient(username='cpi@vsphere.local', missing_privileges={'/': ['System.View']})),
                        cp_credentials=CP_CREDS)
    assert 'user cpi@vsphere.local missing vSphere permissions on Folder /: System.View' in failures(result)
    bad = FakeClient(username='cpi@vsphere.local', fail={'login': checks.VSphereError(
        'failed validating credentials for vCenter: vSphere authentication failed: cannot complete login due to an incorrect '
        'user name or password', 'auth')})
    result, dummy = run(client=_with_cp(bad), cp_credentials=CP_CREDS)
    msg = failures(result)
    assert msg == ['cloud provider user cpi@vsphere.local: failed validating credentials for vCenter: vSphere authentication '
                   'failed: cannot complete login due to an incorrect user name or password']
    assert 'EKSA_VSPHERE_CP_PASSWORD' in [c for c in result['report'] if c['status'] == 'failed'][0]['remediation']


def test_cloud_provider_user_same_as_main_or_skipped_is_not_checked():
    same = FakeClient()
    main = _with_cp(same)
    result, dummy = run(client=main, cp_credentials=('administrator@vsphere.local', 'x'))
    assert same.calls == [] and main.credentials_asked == [] and not result['failed']
    other = FakeClient(username='cpi@vsphere.local')
    main = _with_cp(other)
    result, dummy = run(client=main, cp_credentials=CP_CREDS, skip_validations=['vsphere-user-privilege'])
    assert other.calls == [] and main.credentials_asked == [] and not result['failed']


def test_skip_ip_check_message():
    result, dummy = run(in_use=True, skip_ip_check=True)
    assert not result['failed']
    assert 'Skipping check for whether control plane ip is in use' in result['messages']


def test_etcd_and_insecure_warning():
    result, dummy = run(make_spec(etcd={}), client=FakeClient(insecure=True))
    assert not result['failed'], failures(result)
    assert any('insecure mode' in w for w in result['warnings'])
    assert 'etcd' in result['resolved']['machine_configs']


def test_is_ip_in_use_loopback():
    import socket
    srv = socket.socket()
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    try:
        assert checks.is_ip_in_use('127.0.0.1', port, 0.5) is True
    finally:
        srv.close()
    # nothing listening on loopback: "connection refused" also means in use (EKS Anywhere's rule)
    assert checks.is_ip_in_use('127.0.0.1', port, 0.5) is True


@pytest.mark.parametrize('host', ['vip.example.com', 'not-an-ip'])
def test_endpoint_host_must_be_an_ip_as_eksa_vsphere_validator_requires(host):
    """A host name passes the spec rules but not EKS Anywhere's vSphere validator (validateControlPlaneIp)."""
    spec = make_spec()
    spec['cluster']['spec']['controlPlaneConfiguration']['endpoint']['host'] = host
    for skip in (False, True):
        result, dummy = run(spec=spec, skip_ip_check=skip)
        assert result['failed']
        assert failures(result) == ['cluster controlPlaneConfiguration.Endpoint.Host is invalid: %s' % host]
