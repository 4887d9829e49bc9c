# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""EKS Anywhere's vSphere preflight checks (``eksctl anywhere validate create cluster``), on one session.

``run(spec, options, client)`` takes the normalized spec of ``spec.load_spec()`` and a
``vsphere_client.VSphereClient`` (not yet connected), runs every check, collects every failure
and returns ``{'messages', 'report', 'resolved', 'changed', 'failed', 'warnings', 'round_trips'}``.
Nothing here depends on AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import ipaddress
import posixpath
import socket

from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere import _privileges as privs
from ansible_collections.eksa.anywhere.plugins.module_utils.vsphere.client import (
    COMPUTE_TYPES, NETWORK_TYPES, POOL_TYPES, Obj, VSphereError,
)

PASS = u'\u2705 '
FAIL = u'\u274c '
SKIP_PRIVILEGES = 'vsphere-user-privilege'
MIN_DISK_GIB = 20
GIB = 1024 ** 3
MIB = 1024 ** 2
BR_SINGLE_DISK_KB = 23068672
BR_DISK1_KB = 2097152
BR_DISK2_KB = 20971520


class Report(object):
    """Checks in order: each {name, object, status, message, remediation}; lines as EKS Anywhere prints them."""

    def __init__(self):
        self.checks = []
        self.messages = []
        self.warnings = []

    def add(self, name, obj, status, message, remediation=None, line=None):
        self.checks.append({'name': name, 'object': obj, 'status': status, 'message': message, 'remediation': remediation})
        if line:
            self.messages.append(line)

    def ok(self, name, obj, message, line=None):
        self.add(name, obj, 'passed', message, line=(PASS + line) if line else None)

    def fail(self, name, obj, message, remediation):
        self.add(name, obj, 'failed', message, remediation)

    def warn(self, name, obj, message):
        self.warnings.append(message)
        self.add(name, obj, 'warning', message)
        self.messages.append('Warning: %s' % message if not message.startswith('Warning') else message)

    def skip(self, name, obj, message):
        self.add(name, obj, 'skipped', message)

    @property
    def failures(self):
        return [c for c in self.checks if c['status'] == 'failed']

    def failed_since(self, index):
        return any(c['status'] == 'failed' for c in self.checks[index:])


def is_ip_in_use(host, port=80, timeout=0.5):
    """EKS Anywhere's rule: a completed TCP connection, 'connection refused' or 'connection reset' mean in use."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except (ConnectionRefusedError, ConnectionResetError):
        return True
    except OSError as exc:
        return exc.errno in (errno.ECONNREFUSED, errno.ECONNRESET)
    sock.close()
    return True


def _ip_in_use(host):
    return is_ip_in_use(host)


def eksd_releases_from_bundle(bundle):
    """{kubeVersion: EKS-D release name} of a Bundles manifest (a parsed mapping)."""
    out = {}
    for vb in ((bundle or {}).get('spec') or {}).get('versionsBundles') or []:
        if isinstance(vb, dict) and vb.get('kubeVersion') and isinstance(vb.get('eksD'), dict) and vb['eksD'].get('name'):
            out[str(vb['kubeVersion'])] = vb['eksD']['name']
    return out


def _get(obj, *keys):
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def _roles(spec):
    """[(role label, machine config name, count, kubernetes version, is worker)] in EKS Anywhere's order."""
    cluster = _get(spec, 'cluster', 'spec') or {}
    version = str(cluster.get('kubernetesVersion') or '')
    out = []
    cp = spec.get('control_plane_machine_config')
    if cp:
        out.append(('control plane', cp, int(_get(cluster, 'controlPlaneConfiguration', 'count') or 1), version, False))
    for group in cluster.get('workerNodeGroupConfigurations') or []:
        name = _get(group, 'machineGroupRef', 'name')
        if not name:
            continue
        count = group.get('count')
        if count is None:
            count = _get(group, 'autoscalingConfiguration', 'minCount') or 0
        out.append(('worker node group %s' % group.get('name'), name, int(count),
                    str(group.get('kubernetesVersion') or version), True))
    etcd = spec.get('etcd_machine_config')
    if etcd:
        out.append(('etcd', etcd, int(_get(cluster, 'externalEtcdConfiguration', 'count') or 0), version, False))
    return out


def _prepend(kind, value, dc_path):
    """EKS Anywhere's prependPath: relative -> <dc>/<kind>/<value>; absolute must be under <dc>/<kind>."""
    if not value.startswith(dc_path):
        return '%s/%s/%s' % (dc_path, kind, value.strip('/')), None
    prefix = '%s/%s' % (dc_path, kind)
    if value.rstrip('/') != prefix and not value.startswith(prefix + '/'):
        return value, 'invalid folder type, expected path under %s' % prefix
    return value.rstrip('/'), None


class Preflight(object):
    def __init__(self, spec, client, options=None, check_mode=False, ip_in_use=None):
        self.spec = spec
        self.client = client
        self.opts = dict(options or {})
        self.check_mode = check_mode
        self.ip_in_use = ip_in_use or _ip_in_use
        self.report = Report()
        self.changed = False
        self.inv = None
        self.dc_path = None
        self.dc_name = None
        self.resolved = {'machine_configs': {}}
        self._cache = {}
        self.created = []
        self.details = {}
        self._datastores = {}
        self._pools = {}
        self.cp_round_trips = {}

    # ------------------------------------------------------------------ helpers
    def _memo(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    @property
    def dc_spec(self):
        return _get(self.spec, 'datacenter', 'spec') or {}

    def mc_spec(self, name):
        return _get(self.spec, 'machine_configs', name, 'spec') or {}

    # ------------------------------------------------------------------ phases
    def run(self):
        rep = self.report
        try:
            if not self._connect():
                return self._finish()
            self.inv = self.client.inventory()
            if not self._datacenter():
                return self._finish()
            self._network()
            mcs = self._machine_configs()
            self._failure_domains()
            self._details_and_templates(mcs)
            self._capacity()
            self._privileges(mcs)
            self._control_plane_ip()
        except VSphereError as exc:
            rep.fail('vsphere api', None, exc.message, 'Check that vCenter is healthy and reachable, then run the preflight again.')
        return self._finish()

    def _finish(self):
        rep = self.report
        failures = rep.failures
        if failures:
            rep.messages.append(FAIL + 'Validation failed')
            for c in failures:
                rep.messages.append(u'%s%s%s: %s' % (FAIL, c['name'], ' (%s)' % c['object'] if c['object'] else '', c['message']))
                if c['remediation']:
                    rep.messages.append('   remediation: %s' % c['remediation'])
        else:
            rep.messages.append(PASS + 'Vsphere Provider setup is valid')
        try:
            self.client.close()
        except Exception:  # pylint: disable=broad-except
            pass
        return {
            'messages': rep.messages,
            'report': rep.checks,
            'warnings': rep.warnings,
            'resolved': self.resolved,
            'changed': self.changed,
            'failed': bool(failures),
            'created_folders': self.created,
            'round_trips': dict((k, v + self.cp_round_trips.get(k, 0)) for k, v in self.client.round_trips.items()),
        }

    def _connect(self):
        rep, c = self.report, self.client
        if c.insecure:
            rep.warn('tls', c.host, 'VSphereDatacenterConfig configured in insecure mode: the certificate of %s is not verified'
                     % c.host)
        try:
            c.connect()
        except VSphereError as exc:
            if exc.kind == 'tls':
                rep.ok('connection', c.host, 'connected to %s' % c.host, 'Connected to server')
                rep.fail('thumbprint', c.host, exc.message,
                         'Set spec.thumbprint of the VSphereDatacenterConfig to the SHA-1 thumbprint of vCenter\'s certificate '
                         '(`govc about.cert -k -thumbprint`), give a CA bundle with ca_path, or set insecure: true.')
            else:
                rep.fail('connection', c.host, exc.message,
                         'Check the server name and port, the network path to vCenter and that vCenter is running.')
            return False
        rep.ok('connection', c.host, 'connected to %s' % c.host, 'Connected to server')
        self.resolved.update({'server': c.host, 'port': c.port, 'thumbprint': c.server_thumbprint,
                              'self_signed': c.self_signed, 'insecure': c.insecure})
        try:
            c.login()
        except VSphereError as exc:
            if exc.kind == 'auth':
                rep.fail('authentication', c.username, exc.message,
                         'Set EKSA_VSPHERE_USERNAME and EKSA_VSPHERE_PASSWORD (or the username and password options) '
                         'to a valid vSphere user.')
            else:
                rep.fail('connection', c.host, exc.message, 'Check that the server is a vCenter and is healthy.')
            return False
        rep.ok('authentication', c.username, 'authenticated as %s' % c.username, 'Authenticated to vSphere')
        return True

    def _datacenter(self):
        rep = self.report
        name = str(self.dc_spec.get('datacenter') or '')
        self.dc_name = name
        if name.startswith('/'):
            found = [self.inv.get(name, ('Datacenter',))]
            found = [o for o in found if o is not None]
        else:
            found = [o for o in self.inv.by_id.values() if o.type == 'Datacenter' and o.name == name]
        if len(found) != 1:
            msg = 'datacenter %s not found' % name if not found else 'datacenter %s maps to multiple paths: %s' % (
                name, ', '.join(sorted(o.path for o in found)))
            rep.fail('datacenter', name, msg, 'Set spec.datacenter of the VSphereDatacenterConfig to an existing datacenter '
                     '(`govc ls /`).')
            return False
        self.dc_path = found[0].path
        self.resolved['datacenter'] = self.dc_path
        rep.ok('datacenter', self.dc_path, 'datacenter %s found' % self.dc_path, 'Datacenter validated')
        return True

    def _network_path(self, value):
        if not value.startswith('/'):
            return '%s/network/%s' % (self.dc_path, value)
        return value.rstrip('/')

    def _network(self):
        rep = self.report
        value = str(self.dc_spec.get('network') or '')
        path = self._network_path(value)
        if self.inv.get(path, NETWORK_TYPES) is None:
            rep.fail('network', value, 'network %s not found' % value,
                     'Set spec.network of the VSphereDatacenterConfig to an existing network (`govc find / -type n`).')
            return
        self.resolved['network'] = path
        rep.ok('network', path, 'network %s found' % path, 'Network validated')

    # ------------------------------------------------------------------ per machine config
    def _machine_configs(self):
        """Datastore, folder and resource pool of every machine config the cluster uses."""
        names = []
        for dummy, name, dummy2, dummy3, dummy4 in _roles(self.spec):
            if name not in names and name in (self.spec.get('machine_configs') or {}):
                names.append(name)
        for name in names:
            spec = self.mc_spec(name)
            res = self.resolved['machine_configs'].setdefault(name, {})
            obj = 'VSphereMachineConfig/%s' % name
            self._datastore(name, spec, res, obj)
            self._folder(name, spec, res, obj)
            self._pool(name, spec, res, obj)
        return names

    def _datastore(self, name, spec, res, obj):
        rep = self.report
        value = str(spec.get('datastore') or '')
        path, err = _prepend('datastore', value, self.dc_path)
        if err is None:
            found = self.inv.get(path, ('Datastore',))
            if found is None:
                other = self.inv.get(path)
                err = ("failed to get datastore: valid path, but '%s' is not a datastore" % posixpath.basename(path)
                       if other is not None else 'failed to get datastore: datastore %s not found' % path)
        if err:
            rep.fail('datastore', obj, err, 'Set spec.datastore of VSphereMachineConfig %s to an existing datastore, relative '
                     'to or under %s/datastore (`govc find %s -type s`).' % (name, self.dc_path, self.dc_path))
            return
        res['datastore'] = path
        rep.ok('datastore', obj, 'datastore %s found' % path, 'Datastore validated (machine config %s)' % name)

    def _folder(self, name, spec, res, obj):
        rep = self.report
        value = str(spec.get('folder') or '')
        if not value:
            res['folder'] = '%s/vm' % self.dc_path
            rep.skip('folder', obj, 'folder not set: VMs go to the datacenter\'s root VM folder')
            return
        path, err = _prepend('vm', value, self.dc_path)
        remediation = ('Set spec.folder of VSphereMachineConfig %s to a VM folder relative to or under %s/vm whose parent '
                       'exists.' % (name, self.dc_path))
        if err:
            rep.fail('folder', obj, 'failed to get folder: %s' % err, remediation)
            return
        found = self.inv.get(path, ('Folder',))
        if found is not None:
            res['folder'] = path
            res['folder_created'] = path in self.created
            rep.ok('folder', obj, 'folder %s found' % path, 'Folder validated (machine config %s)' % name)
            return
        parent = self.inv.get(posixpath.dirname(path), ('Folder',))
        if parent is None:
            rep.fail('folder', obj, 'failed to get folder: %s/ is an invalid intermediate directory' % posixpath.dirname(path),
                     remediation)
            return
        res['folder'] = path
        if self.check_mode:
            res['folder_created'] = False
            res['folder_would_be_created'] = True
            rep.add('folder', obj, 'passed', 'folder %s does not exist and would be created' % path,
                    line=PASS + 'Folder validated (machine config %s: %s would be created)' % (name, path))
            return
        ref = self.client.create_folder(parent.ref, posixpath.basename(path))
        if ref is not None:
            new = Obj(ref, 'Folder', posixpath.basename(path), parent.ref._moId, {})
            new.path = path
            self.inv.by_id[ref._moId] = new
            self.inv.by_path[path] = new
        self.changed = True
        self.created.append(path)
        res['folder_created'] = True
        rep.add('folder', obj, 'changed', 'folder %s created' % path,
                line=PASS + 'Folder validated (machine config %s: %s created)' % (name, path))

    def _find_pool(self, value):
        want = value[2:] if value.startswith('*/') else value
        base = posixpath.basename(want.rstrip('/'))
        cands = [o for o in self.inv.under(self.dc_path, POOL_TYPES, base) if o.path.endswith(want)]
        return want, cands

    def _pool(self, name, spec, res, obj):
        rep = self.report
        value = str(spec.get('resourcePool') or '')
        want, cands = self._memo(('pool', value), lambda: self._find_pool(value))
        remediation = ('Set spec.resourcePool of VSphereMachineConfig %s to a path that names exactly one resource pool of '
                       'the datacenter (`govc find %s -type p`).' % (name, self.dc_path))
        if not cands:
            rep.fail('resource pool', obj, "resource pool '%s' not found" % want, remediation)
            return
        if len(cands) > 1:
            rep.fail('resource pool', obj, "specified resource pool '%s' maps to multiple paths within the datacenter '%s': %s"
                     % (want, self.dc_name, ', '.join(o.path for o in cands)), remediation)
            return
        res['resource_pool'] = cands[0].path
        rep.ok('resource pool', obj, 'resource pool %s found' % cands[0].path,
               'Resource pool validated (machine config %s)' % name)

    def _failure_domains(self):
        rep = self.report
        for fd in self.dc_spec.get('failureDomains') or []:
            if not isinstance(fd, dict):
                continue
            obj = 'failure domain %s' % fd.get('name')
            cc = str(fd.get('computeCluster') or '')
            if cc:
                path = cc if cc.startswith('/') else '%s/host/%s' % (self.dc_path, cc)
                cands = [self.inv.get(path, COMPUTE_TYPES)] if cc.startswith('/') else [
                    o for o in self.inv.under(self.dc_path, COMPUTE_TYPES, posixpath.basename(cc)) if o.path.endswith(cc)]
                cands = [o for o in cands if o is not None]
                if len(cands) != 1:
                    rep.fail('compute cluster', obj, "compute cluster '%s' %s" % (
                        cc, 'not found' if not cands else 'maps to multiple paths within the datacenter'),
                        'Set computeCluster of the failure domain to one existing compute cluster.')
                else:
                    self.resolved.setdefault('failure_domains', {})[fd.get('name')] = {'compute_cluster': cands[0].path}
                    rep.ok('compute cluster', obj, 'compute cluster %s found' % cands[0].path)

    # ------------------------------------------------------------------ templates (one detail call, tags over REST)
    def _find_template(self, value):
        base = posixpath.basename(value.rstrip('/'))
        return [o for o in self.inv.under(self.dc_path, ('VirtualMachine',), base) if o.path.endswith(value)]

    def _details_and_templates(self, names):
        rep = self.report
        start = len(rep.checks)
        templates = {}   # template path -> Obj
        for name in names:
            spec, res = self.mc_spec(name), self.resolved['machine_configs'][name]
            value = str(spec.get('template') or '')
            obj = 'VSphereMachineConfig/%s' % name
            if not value:
                rep.warn('template', obj, 'VSphereMachineConfig %s template is not set: EKS Anywhere imports the default '
                         '%s template of the bundle when the cluster is created; template checks skipped'
                         % (name, spec.get('osFamily')))
                continue
            cands = self._memo(('template', value), lambda v=value: self._find_template(v))
            remediation = ('Import the template (see EKS Anywhere\'s "Import OVAs"), or set spec.template of '
                           'VSphereMachineConfig %s to the path of one existing template.' % name)
            if not cands:
                rep.fail('template', obj, 'template <%s> not found. Has the template been imported?' % value, remediation)
                continue
            if len(cands) > 1:
                rep.fail('template', obj, "specified template '%s' maps to multiple paths within the datacenter '%s': %s"
                         % (value, self.dc_name, ', '.join(o.path for o in cands)), remediation)
                continue
            res['template'] = cands[0].path
            templates[cands[0].path] = cands[0]
        # one PropertyCollector call for every detail: templates, datastores, pools
        wanted = [(o.ref, ['rootSnapshot', 'config.hardware.device']) for o in templates.values()]
        self._datastores = dict((r['datastore'], self.inv.get(r['datastore'])) for r in self.resolved['machine_configs'].values()
                                if r.get('datastore'))
        self._pools = dict((r['resource_pool'], self.inv.get(r['resource_pool']))
                           for r in self.resolved['machine_configs'].values() if r.get('resource_pool'))
        wanted += [(o.ref, ['summary.freeSpace', 'summary.capacity']) for o in self._datastores.values()]
        wanted += [(o.ref, ['config.memoryAllocation.limit', 'runtime.memory']) for o in self._pools.values()]
        self.details = self.client.details(wanted)
        tpl_info = {}
        for path, o in templates.items():
            d = self.details.get(o.ref._moId, {})
            disks = sorted((dev for dev in d.get('config.hardware.device') or [] if type(dev).__name__.endswith('VirtualDisk')),
                           key=lambda dev: (dev.controllerKey or 0, dev.unitNumber or 0))
            tpl_info[path] = {'snapshot': bool(d.get('rootSnapshot')), 'disks_kb': [int(dev.capacityInKB or 0) for dev in disks],
                              'is_template': bool(o.props.get('config.template'))}
        tags = self.client.attached_tags([o.ref for o in templates.values()]) if templates else {}
        self._template_tags(names, templates, tags)
        self._user_tags(names)
        self._disks_and_clone(names, tpl_info)
        self._networks(names)
        if not rep.failed_since(start):
            rep.ok('templates', None, 'control plane and workload templates validated',
                   'Control plane and Workload templates validated')

    def _eksd_release(self, version):
        releases = self.opts.get('eksd_releases') or {}
        if version in releases:
            return releases[version]
        if self.opts.get('eksd_release') and version == str(_get(self.spec, 'cluster', 'spec', 'kubernetesVersion')):
            return self.opts['eksd_release']
        return None

    def _template_tags(self, names, templates, tags):
        rep = self.report
        required = {}   # template path -> [tags]
        unknown = set()
        for dummy0, name, dummy, version, dummy2 in _roles(self.spec):
            path = self.resolved['machine_configs'].get(name, {}).get('template')
            if not path:
                continue
            want = required.setdefault(path, [])
            os_tag = 'os:%s' % self.mc_spec(name).get('osFamily')
            if os_tag not in want:
                want.append(os_tag)
            release = self._eksd_release(version)
            if release is None:
                unknown.add(version)
            elif 'eksdRelease:%s' % release not in want:
                want.append('eksdRelease:%s' % release)
        for version in sorted(unknown):
            rep.warn('template tags', None, 'the EKS-D release of Kubernetes %s is unknown (give the bundle or eksd_release '
                     'option): the eksdRelease tag of its templates is not checked' % version)
        for path, want in required.items():
            have = set(tags.get(templates[path].ref._moId, []))
            missing = [t for t in want if t not in have]
            for tag in missing:
                rep.fail('template tags', path, 'template %s is missing tag %s' % (path, tag),
                         'Tag the template: `govc tags.attach %s %s` (create the tag in category %s first if needed).'
                         % (tag, path, tag.split(':', 1)[0]))
            if not missing:
                rep.ok('template tags', path, 'template %s has tags %s' % (path, ', '.join(want)))
            self.resolved.setdefault('template_tags', {})[path] = sorted(have)

    def _user_tags(self, names):
        rep = self.report
        wanted = [(name, t) for name in names for t in self.mc_spec(name).get('tags') or self.mc_spec(name).get('tagIDs') or []]
        if not wanted:
            return
        existing = self.client.tag_ids()
        bad = False
        for name, tag in wanted:
            if tag not in existing:
                bad = True
                rep.fail('tags', 'VSphereMachineConfig/%s' % name,
                         'tag (%s) does not exist in vSphere. please provide a valid tag id in the urn format (example: '
                         'urn:vmomi:InventoryServiceTag:8e0ce079-0677-48d6-8865-19ada4e6dabd:GLOBAL)' % tag,
                         'Use the ID of an existing tag (`govc tags.ls -json`) in spec.tags.')
        if not bad:
            rep.ok('tags', None, 'machine config tags exist', 'Machine config tags validated')

    def _disks_and_clone(self, names, tpl_info):
        rep = self.report
        for name in names:
            spec, res = self.mc_spec(name), self.resolved['machine_configs'][name]
            obj = 'VSphereMachineConfig/%s' % name
            path = res.get('template')
            if not path or path not in tpl_info:
                continue
            info = tpl_info[path]
            tpl_gib = info['disks_kb'][0] // (1024 * 1024) if info['disks_kb'] else 0
            res['template_disk_gib'] = tpl_gib
            res['template_has_snapshot'] = info['snapshot']
            disk = int(spec.get('diskGiB') or 0)
            minimum = max(MIN_DISK_GIB, tpl_gib)
            if disk < minimum:
                rep.warn('disk size', obj, 'VSphereMachineConfig %s DiskGiB cannot be less than %d. Defaulting to %d.'
                         % (name, minimum, minimum))
                disk = minimum
            res['disk_gib'] = disk
            mode = spec.get('cloneMode') or ''
            remediation = 'Create a snapshot of the template or set cloneMode: fullClone, and keep diskGiB at the template\'s size ' \
                          'for linkedClone.'
            if mode == 'linkedClone':
                if not info['snapshot']:
                    rep.fail('clone mode', obj, "cannot use 'linkedClone' for VSphereMachineConfig '%s' because its template (%s) "
                             "has no snapshots; create snapshots or change the cloneMode to 'fullClone'" % (name, path), remediation)
                elif disk != tpl_gib:
                    rep.fail('clone mode', obj, "diskGiB cannot be customized for VSphereMachineConfig '%s' when using "
                             "'linkedClone'; change the cloneMode to 'fullClone' or the diskGiB to match the template's (%s) "
                             "disk size of %d GiB" % (name, path, tpl_gib), remediation)
            elif mode in ('', None):
                mode = 'linkedClone' if info['snapshot'] and disk == tpl_gib else 'fullClone'
            elif mode != 'fullClone':
                rep.fail('clone mode', obj, 'cloneMode %s is not supported for VSphereMachineConfig %s. Supported clone modes: '
                         '[linkedClone, fullClone]' % (mode, name), 'Set cloneMode to linkedClone or fullClone.')
            res['clone_mode'] = mode
            if spec.get('osFamily') == 'bottlerocket':
                self._bottlerocket_disks(name, path, info['disks_kb'], obj)

    def _bottlerocket_disks(self, name, path, disks, obj):
        rep = self.report
        err = None
        if not disks:
            err = 'no hard disks found for template: %s' % path
        elif len(disks) > 1:
            if disks[0] != BR_DISK1_KB:
                err = 'Incorrect disk size for disk1 - expected: %d kB got: %d' % (BR_DISK1_KB, disks[0])
            elif disks[1] != BR_DISK2_KB:
                err = 'Incorrect disk size for disk2 - expected: %d kB got: %d' % (BR_DISK2_KB, disks[1])
        elif disks[0] != BR_SINGLE_DISK_KB:
            err = 'Incorrect disk size for disk1 - expected: %d kB got: %d' % (BR_SINGLE_DISK_KB, disks[0])
        if err:
            rep.fail('bottlerocket disks', obj, 'failed validating BR Hard Disk size: %s' % err,
                     'Use an unmodified Bottlerocket template of the EKS Anywhere bundle.')
        else:
            rep.ok('bottlerocket disks', obj, 'Bottlerocket disk layout of %s validated' % path)

    def _networks(self, names):
        rep = self.report
        start = len(rep.checks)
        cp_etcd = set(n for dummy, n, dummy2, dummy3, worker in _roles(self.spec) if not worker)
        any_networks = False
        for name in names:
            nets = self.mc_spec(name).get('networks') or []
            if not nets:
                continue
            any_networks = True
            obj = 'VSphereMachineConfig/%s' % name
            if name in cp_etcd:
                rep.fail('machine config networks', obj, 'networks field is only supported for worker node groups; '
                         'VSphereMachineConfig %s is used by the control plane or etcd' % name,
                         'Remove spec.networks from the control plane and etcd machine configs.')
                continue
            paths = []
            for net in nets:
                path = self._network_path(str(net))
                if self.inv.get(path, NETWORK_TYPES) is None:
                    rep.fail('machine config networks', obj, 'network %s not found for VSphereMachineConfig %s' % (net, name),
                             'List existing networks in spec.networks (`govc find / -type n`).')
                else:
                    paths.append(path)
            self.resolved['machine_configs'][name]['networks'] = paths
        if any_networks and not rep.failed_since(start):
            rep.ok('machine config networks', None, 'machine config networks validated', 'Machine config networks validated')

    # ------------------------------------------------------------------ capacity
    def _capacity(self):
        rep = self.report
        need_disk, need_mem = {}, {}
        for dummy0, name, count, dummy, dummy2 in _roles(self.spec):
            res = self.resolved['machine_configs'].get(name, {})
            spec = self.mc_spec(name)
            if res.get('datastore'):
                need_disk[res['datastore']] = need_disk.get(res['datastore'], 0) + count * int(res.get('disk_gib') or spec.get('diskGiB') or 0)
            if res.get('resource_pool'):
                need_mem[res['resource_pool']] = need_mem.get(res['resource_pool'], 0) + count * int(spec.get('memoryMiB') or 0)
        for path, need in sorted(need_disk.items()):
            d = self.details.get(self._datastores[path].ref._moId, {})
            free = (d.get('summary.freeSpace') or 0) / float(GIB)
            if need > free:
                rep.fail('datastore space', path, 'not enough space in datastore %s for given diskGiB and count for respective '
                         'machine groups: %d GiB needed, %.1f GiB free' % (path, need, free),
                         'Free space on the datastore, use another datastore, or lower diskGiB or the machine counts.')
            else:
                rep.ok('datastore space', path, '%d GiB needed, %.1f GiB free' % (need, free))
        for path, need in sorted(need_mem.items()):
            d = self.details.get(self._pools[path].ref._moId, {})
            limit = d.get('config.memoryAllocation.limit')
            usage = getattr(d.get('runtime.memory'), 'overallUsage', 0) or 0
            if limit is None or limit == -1:
                rep.ok('resource pool memory', path, '%d MiB needed, memory unlimited' % need)
                continue
            available = int(limit) - int(usage) // MIB
            if need > available:
                rep.fail('resource pool memory', path, 'not enough memory available in resource pool %s for given memoryMiB and '
                         'count for respective machine groups: %d MiB needed, %d MiB available' % (path, need, available),
                         'Raise the memory limit of the resource pool, use another pool, or lower memoryMiB or the counts.')
            else:
                rep.ok('resource pool memory', path, '%d MiB needed, %d MiB available' % (need, available))

    # ------------------------------------------------------------------ privileges
    def _privileges(self, names):
        rep = self.report
        user = self.client.username
        if SKIP_PRIVILEGES in (self.opts.get('skip_validations') or []):
            rep.skip('user privileges', user, 'skipped (skip_validations: %s)' % SKIP_PRIVILEGES)
            return
        groups = {'global': [], 'user': [], 'admin': []}
        labels = {}

        def add(kind, path, types, label):
            obj = self.inv.get(path, types) if path else None
            while obj is None and path and path != '/':   # a folder still to be created: its nearest existing parent
                path = posixpath.dirname(path)
                obj = self.inv.get(path, types)
            if obj is not None and obj.ref._moId not in labels:
                groups[kind].append(obj.ref)
                labels[obj.ref._moId] = (label, obj.path)

        add('global', '/', ('Folder',), 'Folder')
        add('user', self.resolved.get('network'), NETWORK_TYPES, 'Network')
        for name in names:
            res = self.resolved['machine_configs'][name]
            add('user', res.get('datastore'), ('Datastore',), 'Datastore')
            add('user', res.get('resource_pool'), POOL_TYPES, 'ResourcePool')
            add('admin', res.get('folder'), ('Folder',), 'Folder')
            if res.get('template'):
                add('admin', res['template'], ('VirtualMachine',), 'VirtualMachine')
                add('admin', posixpath.dirname(res['template']), ('Folder',), 'Folder')
        for fd in (self.resolved.get('failure_domains') or {}).values():
            add('user', fd.get('compute_cluster'), COMPUTE_TYPES, 'ClusterComputeResource')
        missing = self.client.privileges([(groups['global'], privs.GLOBAL_PRIVILEGES), (groups['user'], privs.USER_PRIVILEGES),
                                          (groups['admin'], privs.ADMIN_PRIVILEGES)])
        bad = [(labels[i], sorted(m)) for i, m in missing.items() if m and i in labels]
        for (kind, path), lost in sorted(bad, key=lambda b: b[0][1]):
            shown = ', '.join(lost[:10]) + (' (and %d more)' % (len(lost) - 10) if len(lost) > 10 else '')
            rep.fail('user privileges', '%s %s' % (kind, path), 'user %s missing vSphere permissions on %s %s: %s'
                     % (user, kind, path, shown),
                     'Grant the EKS Anywhere roles to %s (see EKS Anywhere\'s vSphere user permissions) or skip with '
                     'skip_validations: [%s].' % (user, SKIP_PRIVILEGES))
            self.resolved.setdefault('missing_privileges', {})[path] = lost
        if not bad:
            rep.ok('user privileges', user, 'all required privileges granted on %d objects' % len(labels),
                   '%s user vSphere privileges validated' % user)
        cp_user, cp_password = self.opts.get('cp_credentials') or (None, None)
        if cp_user and cp_user != user:
            self._cp_privileges(self.client.with_credentials(cp_user, cp_password))

    def _cp_privileges(self, cp):
        """The cloud provider's own user (EKSA_VSPHERE_CP_USERNAME) logs in and needs read-only on the root folder."""
        rep = self.report
        fix = ('Set EKSA_VSPHERE_CP_USERNAME and EKSA_VSPHERE_CP_PASSWORD (or the cp_username and cp_password options) to a '
               'valid vSphere user, or unset both to let the cloud provider use the main user.')
        try:
            cp.login()
            root = cp.content.rootFolder
            missing = cp.privileges([([root], privs.READ_ONLY_PRIVILEGES)]).get(root._moId) or []
        except VSphereError as exc:
            rep.fail('cloud provider user privileges', cp.username, 'cloud provider user %s: %s' % (cp.username, exc.message), fix)
            return
        finally:
            self.cp_round_trips = cp.round_trips
            try:
                cp.close()
            except Exception:  # pylint: disable=broad-except
                pass
        if missing:
            rep.fail('cloud provider user privileges', 'Folder /', 'user %s missing vSphere permissions on Folder /: %s'
                     % (cp.username, ', '.join(sorted(missing))),
                     'Grant the read-only role on the root folder to %s, or skip with skip_validations: [%s].'
                     % (cp.username, SKIP_PRIVILEGES))
        else:
            rep.ok('cloud provider user privileges', cp.username, 'read-only privileges granted on the root folder',
                   '%s user vSphere privileges validated' % cp.username)

    def _control_plane_ip(self):
        rep = self.report
        host = str(_get(self.spec, 'cluster', 'spec', 'controlPlaneConfiguration', 'endpoint', 'host') or '')
        try:  # EKS Anywhere's vSphere validator (validateControlPlaneIp): the endpoint is an IP, not a host name
            ipaddress.ip_address(host)
        except ValueError:
            rep.fail('control plane ip', host, 'cluster controlPlaneConfiguration.Endpoint.Host is invalid: %s' % host,
                     'Set controlPlaneConfiguration.endpoint.host to an unused IP address of the VM network (kube-vip '
                     'serves the control plane on it); a host name is not supported on vSphere.')
            return
        if self.opts.get('skip_ip_check'):
            rep.skip('control plane ip', host, 'Skipping check for whether control plane ip is in use')
            rep.messages.append('Skipping check for whether control plane ip is in use')
            return
        if not host:
            return
        if self.ip_in_use(host):
            rep.fail('control plane ip', host, 'cluster controlPlaneConfiguration.Endpoint.Host <%s> is already in use, control '
                     'plane IP must be unique' % host,
                     'Pick an unused IP address (outside the DHCP range) for controlPlaneConfiguration.endpoint.host, or '
                     'skip this check with skip_ip_check.')
        else:
            rep.ok('control plane ip', host, 'control plane IP %s is not in use' % host)


def run(spec, client, options=None, check_mode=False, ip_in_use=None):
    """Run every preflight check; see the module docstring."""
    return Preflight(spec, client, options, check_mode, ip_in_use).run()
