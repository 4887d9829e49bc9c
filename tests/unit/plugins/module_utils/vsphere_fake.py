# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""An in-memory stand-in for vsphere_client.VSphereClient (unit tests of the checks and the module)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere.client import Inventory, Obj, VSphereError

GIB_KB = 1024 * 1024


class Ref(object):
    def __init__(self, moid, type_name):
        self._moId = moid
        self._type = type_name

    def __repr__(self):
        return 'Ref(%s)' % self._moId


class Disk(object):
    def __init__(self, kb, unit):
        self.capacityInKB = kb
        self.controllerKey = 1000
        self.unitNumber = unit


Disk.__name__ = 'vim.vm.device.VirtualDisk'


class Memory(object):
    def __init__(self, usage):
        self.overallUsage = usage


def lab_tree():
    """The lab's inventory shape: {path: (type, props, details, tags)}."""
    dc = '/SDDC-Datacenter'
    tree = {
        '/': ('Folder', {}, {}, []),
        dc: ('Datacenter', {}, {}, []),
        dc + '/vm': ('Folder', {}, {}, []),
        dc + '/vm/Templates': ('Folder', {}, {}, []),
        dc + '/vm/eksa': ('Folder', {}, {}, []),
        dc + '/network': ('Folder', {}, {}, []),
        dc + '/network/sddc-cgw-network-1': ('DistributedVirtualPortgroup', {}, {}, []),
        dc + '/network/network-1': ('DistributedVirtualPortgroup', {}, {}, []),
        dc + '/datastore': ('Folder', {}, {}, []),
        dc + '/datastore/WorkloadDatastore': ('Datastore', {}, {'summary.freeSpace': 10 * 1024 * 1024 * 1024 * 1024}, []),
        dc + '/datastore/small': ('Datastore', {}, {'summary.freeSpace': 30 * 1024 * 1024 * 1024}, []),
        dc + '/host': ('Folder', {}, {}, []),
        dc + '/host/Cluster-1': ('ClusterComputeResource', {}, {}, []),
        dc + '/host/Cluster-1/Resources': ('ResourcePool', {}, {
            'config.memoryAllocation.limit': -1, 'runtime.memory': Memory(0)}, []),
        dc + '/host/Cluster-1/Resources/Compute': ('ResourcePool', {}, {
            'config.memoryAllocation.limit': 16384, 'runtime.memory': Memory(1024 * 1024 * 1024)}, []),
        dc + '/host/Cluster-1/Resources/a/pool': ('ResourcePool', {}, {}, []),
        dc + '/host/Cluster-1/Resources/a': ('ResourcePool', {}, {}, []),
        dc + '/host/Cluster-1/Resources/b': ('ResourcePool', {}, {}, []),
        dc + '/host/Cluster-1/Resources/b/pool': ('ResourcePool', {}, {}, []),
    }
    for name, tags, snap, disks in [
            ('ubuntu-1804-kube-v1.19.6', ['os:ubuntu', 'eksdRelease:kubernetes-1-19-eks-4'], True, [25]),
            ('nosnap', ['os:ubuntu', 'eksdRelease:kubernetes-1-19-eks-4'], False, [25]),
            ('untagged', [], True, [25]),
            ('br', ['os:bottlerocket', 'eksdRelease:kubernetes-1-19-eks-4'], True, [22]),
            ('big', ['os:ubuntu', 'eksdRelease:kubernetes-1-19-eks-4'], True, [40])]:
        tree['%s/vm/Templates/%s' % (dc, name)] = ('VirtualMachine', {'config.template': True}, {
            'rootSnapshot': ['snap'] if snap else [],
            'config.hardware.device': [Disk(d * GIB_KB, i) for i, d in enumerate(disks)]}, tags)
    tree[dc + '/vm/eksa/ubuntu-1804-kube-v1.19.6'] = tree[dc + '/vm/Templates/ubuntu-1804-kube-v1.19.6']
    return tree


class FakeClient(object):
    def __init__(self, tree=None, fail=None, missing_privileges=None, username='administrator@vsphere.local',
                 insecure=False, tag_ids=()):
        self.tree = copy.deepcopy(tree if tree is not None else lab_tree())
        self.fail = fail or {}
        self.missing = missing_privileges or {}
        self.host, self.port = 'vcenter.test', 443
        self.username = username
        self.insecure = insecure
        self.server_thumbprint = 'AA:BB'
        self.self_signed = True
        self.trusted = False
        self.calls = []
        self.created = []
        self.closed = False
        self.credentials_asked = []
        self._tag_ids = set(tag_ids)
        self._ids = {}
        for i, path in enumerate(sorted(self.tree)):
            self._ids[path] = Ref('obj-%d' % i, self.tree[path][0])

    @property
    def round_trips(self):
        return {'soap': len([c for c in self.calls if c != 'rest']), 'rest': self.calls.count('rest'), 'tls': 1,
                'total': len(self.calls)}

    def with_credentials(self, username, password):
        """The client of another user: the one registered in ``others`` for that name (a plain one if none)."""
        self.credentials_asked.append((username, password))
        return getattr(self, 'others', {}).get(username) or FakeClient(username=username)

    @property
    def content(self):
        class Content(object):
            rootFolder = self._ids['/']
        return Content()

    def connect(self):
        if 'connect' in self.fail:
            raise self.fail['connect']

    def login(self):
        self.calls.append('login')
        if 'login' in self.fail:
            raise self.fail['login']

    def inventory(self):
        self.calls.append('inventory')
        objects = {}
        by_path = dict((path, ref) for path, ref in self._ids.items())
        for path, (type_name, props, dummy, dummy2) in self.tree.items():
            parent = None if path == '/' else (path.rsplit('/', 1)[0] or '/')
            name = '' if path == '/' else path.rsplit('/', 1)[1]
            objects[by_path[path]._moId] = Obj(by_path[path], type_name, name,
                                               by_path[parent]._moId if parent in by_path else None, dict(props))
        return Inventory(objects, by_path['/']._moId)

    def _path(self, ref):
        return next(p for p, r in self._ids.items() if r._moId == ref._moId)

    def details(self, wanted):
        self.calls.append('details')
        return dict((ref._moId, dict((k, v) for k, v in self.tree[self._path(ref)][2].items() if k in paths))
                    for ref, paths in wanted)

    def attached_tags(self, refs):
        self.calls.append('rest')
        return dict((r._moId, sorted(self.tree[self._path(r)][3])) for r in refs)

    def tag_ids(self):
        self.calls.append('rest')
        return set(self._tag_ids)

    def privileges(self, groups):
        out = {}
        for refs, dummy in groups:
            if refs:
                self.calls.append('privileges')
            for r in refs:
                out[r._moId] = list(self.missing.get(self._path(r), []))
        return out

    def create_folder(self, parent_ref, name):
        self.calls.append('create_folder')
        path = self._path(parent_ref).rstrip('/') + '/' + name
        self.created.append(path)
        ref = Ref('new-%d' % len(self.created), 'Folder')
        self._ids[path] = ref
        self.tree[path] = ('Folder', {}, {}, [])
        return ref

    def close(self):
        self.closed = True


def fail_with(kind, message):
    return VSphereError(message, kind)
