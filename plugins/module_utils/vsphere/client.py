# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""A small vSphere client for the collection: one session, few round trips.

Independent of AnsibleModule; tests, benchmarks and other plugins use it directly::

    client = VSphereClient('vc.example.com', username='u', password='p', thumbprint='AA:BB:...')
    client.connect()             # TLS probe + trust decision (thumbprint pinning), raises VSphereError
    client.login()
    inv = client.inventory()     # the whole inventory tree in one PropertyCollector call
    details = client.details(objects, props)   # detail properties of chosen objects, one call
    tags = client.attached_tags(template_morefs)   # vSphere Automation REST API
    client.close()
    client.round_trips            # {'soap': n, 'rest': m, 'tls': k}

Paths are inventory paths like ``/DC/vm/Templates/name``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import socket
import ssl
import traceback

try:
    from pyVmomi import vim, vmodl
    from pyVmomi.SoapAdapter import SoapStubAdapter
    HAS_PYVMOMI = True
    PYVMOMI_IMPORT_ERROR = None
except ImportError:
    HAS_PYVMOMI = False
    PYVMOMI_IMPORT_ERROR = traceback.format_exc()
    SoapStubAdapter = object

try:
    import requests
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

# vSphere 7.0U3 API: understood by vCenter 7.0U3 and 8.x and by govmomi's simulator.
API_VERSION = 'vim.version.v7_0_3_0'


class VSphereError(Exception):
    """A failure talking to vSphere; ``kind`` is connection, tls, auth, api or rest."""

    def __init__(self, message, kind='api'):
        super(VSphereError, self).__init__(message)
        self.message = message
        self.kind = kind


def thumbprint_of(der):
    """SHA-1 thumbprint of a DER certificate, as vSphere shows it (``AA:BB:...``)."""
    digest = hashlib.sha1(der).hexdigest().upper()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def normalize_thumbprint(value):
    return ''.join(ch for ch in (value or '').upper() if ch in '0123456789ABCDEF')


def split_server(server, port=443):
    """``host``, ``host:port``, ``https://host:port/sdk`` -> (host, port)."""
    text = (server or '').strip()
    if '://' in text:
        text = text.split('://', 1)[1]
    text = text.split('/', 1)[0]
    if text.startswith('['):
        host, _sep, rest = text[1:].partition(']')
        return host, int(rest[1:]) if rest.startswith(':') else port
    if text.count(':') == 1:
        host, _sep, p = text.partition(':')
        return host, int(p) if p.isdigit() else port
    return text, port


class _CountingStub(SoapStubAdapter):
    """SoapStubAdapter counting every SOAP request (methods and property accessors)."""

    def __init__(self, *args, **kwargs):
        self.calls = 0
        SoapStubAdapter.__init__(self, *args, **kwargs)

    def InvokeMethod(self, mo, info, args, outerStub=None):  # noqa: N802  pylint: disable=invalid-name
        self.calls += 1
        return SoapStubAdapter.InvokeMethod(self, mo, info, args, outerStub)

    def InvokeAccessor(self, mo, info):  # noqa: N802  pylint: disable=invalid-name
        self.calls += 1
        return SoapStubAdapter.InvokeAccessor(self, mo, info)


class Obj(object):
    """One inventory object: moref, type, name, parent moref id, path, props."""

    __slots__ = ('ref', 'type', 'name', 'parent', 'path', 'props')

    def __init__(self, ref, type_name, name, parent, props):
        self.ref = ref
        self.type = type_name
        self.name = name
        self.parent = parent
        self.path = None
        self.props = props

    def __repr__(self):
        return 'Obj(%s %s)' % (self.type, self.path)


class Inventory(object):
    """The inventory tree, indexed in memory."""

    def __init__(self, objects, root_id):
        self.by_id = objects
        self.root_id = root_id
        self.by_path = {}
        for obj in objects.values():
            self._path(obj)
            self.by_path[obj.path] = obj

    def _path(self, obj):
        if obj.path is not None:
            return obj.path
        parts = []
        cur, seen = obj, set()
        while cur is not None and cur.ref._moId != self.root_id and cur.ref._moId not in seen:
            seen.add(cur.ref._moId)
            parts.append(cur.name)
            cur = self.by_id.get(cur.parent) if cur.parent else None
        obj.path = '/' + '/'.join(reversed(parts))
        return obj.path

    def get(self, path, types=None):
        obj = self.by_path.get(path.rstrip('/') or '/')
        if obj is not None and types and obj.type not in types:
            return None
        return obj

    def under(self, prefix, types=None, name=None):
        """Objects whose path starts with ``prefix/`` (optionally of types, with a name)."""
        prefix = prefix.rstrip('/') + '/'
        return sorted((o for o in self.by_id.values()
                       if o.path.startswith(prefix) and (not types or o.type in types) and (name is None or o.name == name)),
                      key=lambda o: o.path)

    @property
    def root(self):
        return self.by_id[self.root_id]


NETWORK_TYPES = ('Network', 'DistributedVirtualPortgroup', 'OpaqueNetwork')
POOL_TYPES = ('ResourcePool', 'VirtualApp')
COMPUTE_TYPES = ('ClusterComputeResource', 'ComputeResource')


class VSphereClient(object):
    """One vSphere session (SOAP, plus a REST session for tags when needed)."""

    def __init__(self, host, port=443, username=None, password=None, insecure=False, thumbprint=None,
                 ca_path=None, timeout=20.0):
        self.host, self.port = split_server(host, port)
        self.username = username
        self._password = password
        self.insecure = bool(insecure)
        self.thumbprint = thumbprint or ''
        self.ca_path = ca_path
        self.timeout = float(timeout or 20.0)
        self.server_thumbprint = None
        self.self_signed = None
        self.trusted = None
        self.session_key = None
        self.si = None
        self.content = None
        self._stub = None
        self._rest = None
        self._rest_calls = 0
        self._tls_probes = 0

    def with_credentials(self, username, password):
        """A client for another user of the same server, keeping this one's trust decision (no new TLS probe)."""
        other = VSphereClient(self.host, self.port, username=username, password=password, insecure=self.insecure,
                              thumbprint=self.thumbprint, ca_path=self.ca_path, timeout=self.timeout)
        other.server_thumbprint, other.self_signed, other.trusted = self.server_thumbprint, self.self_signed, self.trusted
        return other

    # ------------------------------------------------------------------ accounting
    @property
    def round_trips(self):
        soap = self._stub.calls if self._stub is not None else 0
        return {'soap': soap, 'rest': self._rest_calls, 'tls': self._tls_probes, 'total': soap + self._rest_calls}

    # ------------------------------------------------------------------ connection and trust
    def _handshake(self, context):
        self._tls_probes += 1
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        try:
            tls = context.wrap_socket(sock, server_hostname=self.host)
            try:
                return tls.getpeercert(binary_form=True)
            finally:
                tls.close()
        finally:
            sock.close()

    def _verifying_context(self):
        ctx = ssl.create_default_context(cafile=self.ca_path) if self.ca_path else ssl.create_default_context()
        return ctx

    @staticmethod
    def _unverified_context():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def connect(self):
        """Reach the server over TLS and decide how to trust it (EKS Anywhere's rules).

        Raises VSphereError(kind='connection') when the server cannot be reached and
        VSphereError(kind='tls') for a thumbprint problem.  Sets ``server_thumbprint``,
        ``self_signed`` and ``trusted``.
        """
        where = '%s:%d' % (self.host, self.port) if self.port != 443 else self.host
        try:
            if self.insecure:
                der = self._handshake(self._unverified_context())
                self.self_signed, self.trusted = None, False
            else:
                try:
                    der = self._handshake(self._verifying_context())
                    self.self_signed, self.trusted = False, True
                except ssl.SSLCertVerificationError:
                    der = self._handshake(self._unverified_context())
                    self.self_signed, self.trusted = True, False
        except (socket.timeout, TimeoutError):
            raise VSphereError('failed validating connection to vCenter: failed to reach server %s: timed out after %gs'
                               % (where, self.timeout), 'connection')
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, 'strerror', None) or getattr(exc, 'reason', None) or str(exc) or type(exc).__name__
            raise VSphereError('failed validating connection to vCenter: failed to reach server %s: %s' % (where, reason),
                               'connection')
        self.server_thumbprint = thumbprint_of(der)
        if self.self_signed:
            if not self.thumbprint:
                raise VSphereError('thumbprint is required for secure mode with self-signed certificates', 'tls')
            if normalize_thumbprint(self.thumbprint) != normalize_thumbprint(self.server_thumbprint):
                raise VSphereError('thumbprint mismatch detected, expected: %s, actual: %s'
                                   % (self.thumbprint, self.server_thumbprint), 'tls')
        return self.server_thumbprint

    def login(self):
        """Log in (SOAP).  Raises VSphereError(kind='auth') for bad credentials."""
        if not HAS_PYVMOMI:
            raise VSphereError('the pyvmomi Python library is required', 'api')
        if self.server_thumbprint is None:
            self.connect()
        if self.trusted:
            ctx, pin = self._verifying_context(), None
        else:
            ctx = self._unverified_context()
            pin = None if self.insecure else normalize_thumbprint(self.server_thumbprint).lower()
        self._stub = _CountingStub(host=self.host, port=self.port, version=API_VERSION, sslContext=ctx, thumbprint=pin,
                                   httpConnectionTimeout=self.timeout, connectionPoolTimeout=-1)
        self.si = vim.ServiceInstance('ServiceInstance', self._stub)
        try:
            self.content = self.si.RetrieveContent()
        except Exception as exc:  # pylint: disable=broad-except
            raise VSphereError('failed validating connection to vCenter: %s' % _fault_text(exc), 'connection')
        if not self.username or self._password is None:
            raise VSphereError('failed validating credentials for vCenter: vSphere authentication failed: no username or '
                               'password given', 'auth')
        try:
            session = self.content.sessionManager.Login(userName=self.username, password=self._password)
        except vim.fault.InvalidLogin:
            raise VSphereError('failed validating credentials for vCenter: vSphere authentication failed: cannot complete '
                               'login due to an incorrect user name or password', 'auth')
        except Exception as exc:  # pylint: disable=broad-except
            raise VSphereError('failed validating credentials for vCenter: vSphere authentication failed: %s'
                               % _fault_text(exc), 'auth')
        self.session_key = session.key
        return session

    def close(self):
        if self._rest is not None:
            try:
                self._rest_calls += 1
                self._rest.delete(self._rest_url('/com/vmware/cis/session'), timeout=self.timeout, verify=self._rest_verify())
            except Exception:  # pylint: disable=broad-except
                pass
            self._rest.close()
            self._rest = None
        if self.content is not None and self.session_key:
            try:
                self.content.sessionManager.Logout()
            except Exception:  # pylint: disable=broad-except
                pass
            self.session_key = None

    # ------------------------------------------------------------------ inventory
    def inventory(self):
        """Every folder, datacenter, compute resource, resource pool, datastore, network and VM
        (name, parent, template flag) in one RetrievePropertiesEx call (plus continuations)."""
        ts = vmodl.query.PropertyCollector.TraversalSpec
        sel = vmodl.query.PropertyCollector.SelectionSpec
        specs = [
            ts(name='folder', type=vim.Folder, path='childEntity', skip=False,
               selectSet=[sel(name='folder'), sel(name='dc_vm'), sel(name='dc_host'), sel(name='dc_ds'), sel(name='dc_net'),
                          sel(name='cr'), sel(name='rp')]),
            ts(name='dc_vm', type=vim.Datacenter, path='vmFolder', skip=False, selectSet=[sel(name='folder')]),
            ts(name='dc_host', type=vim.Datacenter, path='hostFolder', skip=False, selectSet=[sel(name='folder')]),
            ts(name='dc_ds', type=vim.Datacenter, path='datastoreFolder', skip=False, selectSet=[sel(name='folder')]),
            ts(name='dc_net', type=vim.Datacenter, path='networkFolder', skip=False, selectSet=[sel(name='folder')]),
            ts(name='cr', type=vim.ComputeResource, path='resourcePool', skip=False, selectSet=[sel(name='rp')]),
            ts(name='rp', type=vim.ResourcePool, path='resourcePool', skip=False, selectSet=[sel(name='rp')]),
        ]
        prop = vmodl.query.PropertyCollector.PropertySpec
        prop_set = [prop(type=vim.ManagedEntity, pathSet=['name', 'parent']),
                    prop(type=vim.VirtualMachine, pathSet=['name', 'parent', 'config.template'])]
        root = self.content.rootFolder
        fs = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=root, skip=False, selectSet=specs)], propSet=prop_set)
        objects = {}
        for oc in self._retrieve([fs]):
            props = dict((p.name, p.val) for p in oc.propSet or [])
            parent = props.pop('parent', None)
            objects[oc.obj._moId] = Obj(oc.obj, type(oc.obj).__name__.split('.')[-1], props.pop('name', ''),
                                        parent._moId if parent is not None else None, props)
        if root._moId not in objects:
            objects[root._moId] = Obj(root, 'Folder', '', None, {})
        return Inventory(objects, root._moId)

    def details(self, wanted):
        """Properties of chosen objects in one call: ``wanted`` is [(moref, [property paths])]."""
        if not wanted:
            return {}
        prop = vmodl.query.PropertyCollector.PropertySpec
        by_type = {}
        for ref, paths in wanted:
            by_type.setdefault(type(ref), set()).update(paths)
        fs = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=ref, skip=False) for ref, dummy in wanted],
            propSet=[prop(type=t, pathSet=sorted(paths)) for t, paths in by_type.items()])
        out = {}
        for oc in self._retrieve([fs]):
            out[oc.obj._moId] = dict((p.name, p.val) for p in oc.propSet or [])
        return out

    def _retrieve(self, filter_specs):
        pc = self.content.propertyCollector
        try:
            result = pc.RetrievePropertiesEx(specSet=filter_specs, options=vmodl.query.PropertyCollector.RetrieveOptions())
            objects = list(result.objects) if result else []
            while result is not None and result.token:
                result = pc.ContinueRetrievePropertiesEx(token=result.token)
                objects.extend(result.objects or [])
        except Exception as exc:  # pylint: disable=broad-except
            raise VSphereError('reading the vSphere inventory failed: %s' % _fault_text(exc))
        return objects

    def privileges(self, groups):
        """Privileges not granted to this session: ``groups`` is [(list of morefs, privilege IDs)],
        one HasPrivilegeOnEntities call per group.  Returns {moref id: [missing privilege IDs]}."""
        missing = {}
        am = self.content.authorizationManager
        for entities, privs in groups:
            if not entities:
                continue
            try:
                result = am.HasPrivilegeOnEntities(entity=list(entities), sessionId=self.session_key, privId=list(privs))
            except Exception as exc:  # pylint: disable=broad-except
                raise VSphereError('checking the user\'s privileges failed: %s' % _fault_text(exc))
            for item in result or []:
                lost = [p.privId for p in item.privAvailability or [] if not p.isGranted]
                missing.setdefault(item.entity._moId, [])
                missing[item.entity._moId].extend(p for p in lost if p not in missing[item.entity._moId])
        return missing

    def create_folder(self, parent_ref, name):
        try:
            return parent_ref.CreateFolder(name)
        except vim.fault.DuplicateName:
            return None
        except Exception as exc:  # pylint: disable=broad-except
            raise VSphereError('error creating folder %s: %s' % (name, _fault_text(exc)))

    # ------------------------------------------------------------------ REST (tags)
    def _rest_verify(self):
        if self.trusted:
            return self.ca_path or True
        return False

    def _rest_url(self, path):
        host = '[%s]' % self.host if ':' in self.host else self.host
        return 'https://%s:%d/rest%s' % (host, self.port, path)

    def _rest_call(self, method, path, **kwargs):
        if not HAS_REQUESTS:
            raise VSphereError('the requests Python library is required for vSphere tags', 'rest')
        if self._rest is None:
            self._rest = requests.Session()
            self._rest_calls += 1
            try:
                resp = self._rest.post(self._rest_url('/com/vmware/cis/session'), auth=(self.username, self._password),
                                       timeout=self.timeout, verify=self._rest_verify())
            except requests.RequestException as exc:
                raise VSphereError('vSphere Automation API session failed: %s' % type(exc).__name__, 'rest')
            if resp.status_code != 200:
                raise VSphereError('vSphere Automation API session failed: HTTP %d' % resp.status_code, 'rest')
            self._check_pin(resp)
            self._rest.headers['vmware-api-session-id'] = resp.json()['value']
        self._rest_calls += 1
        try:
            resp = self._rest.request(method, self._rest_url(path), timeout=self.timeout, verify=self._rest_verify(), **kwargs)
        except requests.RequestException as exc:
            raise VSphereError('vSphere Automation API call %s failed: %s' % (path, type(exc).__name__), 'rest')
        if resp.status_code == 404:
            return None
        if resp.status_code >= 300:
            raise VSphereError('vSphere Automation API call %s failed: HTTP %d' % (path, resp.status_code), 'rest')
        return resp.json().get('value') if resp.content else None

    def _check_pin(self, resp):
        """With a pinned thumbprint, the REST connection must present the same certificate."""
        if self.trusted or self.insecure:
            return
        try:
            sock = resp.raw.connection.sock
            der = sock.getpeercert(binary_form=True) if sock is not None else None
        except Exception:  # pylint: disable=broad-except
            der = None
        if der is not None and normalize_thumbprint(thumbprint_of(der)) != normalize_thumbprint(self.server_thumbprint):
            raise VSphereError('thumbprint mismatch detected, expected: %s, actual: %s'
                               % (self.server_thumbprint, thumbprint_of(der)), 'tls')

    def attached_tags(self, refs):
        """{moref id: [tag names]} for the given objects: one list call plus one call per distinct tag."""
        refs = list(refs)
        if not refs:
            return {}
        body = {'object_ids': [{'id': r._moId, 'type': type(r).__name__.split('.')[-1]} for r in refs]}
        value = self._rest_call('POST', '/com/vmware/cis/tagging/tag-association',
                                params={'~action': 'list-attached-tags-on-objects'}, json=body) or []
        ids = {}
        for item in value:
            ids[item['object_id']['id']] = list(item.get('tag_ids') or [])
        names = self.tag_names(sorted(set(t for tags in ids.values() for t in tags)))
        return dict((r._moId, sorted(names.get(t, t) for t in ids.get(r._moId, []))) for r in refs)

    def tag_names(self, tag_ids):
        names = {}
        for tid in tag_ids:
            tag = self._rest_call('GET', '/com/vmware/cis/tagging/tag/id:%s' % tid)
            if tag:
                names[tid] = tag.get('name', tid)
        return names

    def tag_ids(self):
        return set(self._rest_call('GET', '/com/vmware/cis/tagging/tag') or [])


def _fault_text(exc):
    msg = getattr(exc, 'msg', None) or getattr(exc, 'message', None) or str(exc)
    if isinstance(msg, str) and msg.strip():
        return msg.strip().splitlines()[0]
    return type(exc).__name__
