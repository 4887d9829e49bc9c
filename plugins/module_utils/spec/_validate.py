# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Schema and semantic validation of EKS Anywhere specs (private to the spec model).

The semantic rules follow aws/eks-anywhere ``pkg/api/v1alpha1`` (v0.26): cluster.go
(ValidateClusterConfigContent), vspheredatacenterconfig*.go, vspheremachineconfig.go and
the vSphere provider's defaults/validator; messages keep EKS Anywhere's wording where it
has one, with the file, object and field added by :class:`SpecProblem`.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
import ipaddress
import re

from ansible_collections.eksa.anywhere.plugins.module_utils.spec._schema import SCHEMAS
from ansible_collections.eksa.anywhere.plugins.module_utils.common.address import parse_server
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.loader import YamlFloat, YamlInt, scalar_text
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.names import dns1123_subdomain_problem

VSPHERE_DC = 'VSphereDatacenterConfig'
DOCKER_DC = 'DockerDatacenterConfig'
VSPHERE_MC = 'VSphereMachineConfig'
GITOPS_KINDS = ('GitOpsConfig', 'FluxConfig')
IDP_KINDS = ('OIDCConfig', 'AWSIamConfig')
OS_FAMILIES = ('bottlerocket', 'ubuntu', 'redhat')
VALID_CNIS = ('cilium', 'kindnetd')
CILIUM_POLICY_MODES = ('default', 'always', 'never')
MAX_CLUSTER_NAME = 35
DEFAULT_NODE_CIDR_MASK = 24
POD_SUBNET_NODE_MASK_MAX_DIFF = 16

# Anchored patterns are applied with fullmatch() and ASCII classes: Go's `$` is the end of the text (Python's also
# matches before a trailing newline) and Go's \d is [0-9] (Python's matches every Unicode digit).
CLUSTER_NAME_RE = re.compile(r'[a-zA-Z][a-zA-Z0-9-]+', re.ASCII)
# Same pattern as EKS Anywhere's domainNameRegex (matched anywhere in the string, as Go's MatchString does).
DOMAIN_NAME_RE = re.compile(r'(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9][a-z0-9-]{0,61}[a-z0-9]', re.ASCII)
HOSTNAME_RE = re.compile(r'(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*',
                         re.ASCII | re.DOTALL)
SEMVER_RE = re.compile(r'v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?', re.ASCII)
KUBE_VERSION_RE = re.compile(r'1\.[0-9]+', re.ASCII)
PORT_RE = re.compile(r'[0-9]{1,5}', re.ASCII)
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
# EKS Anywhere's DefaultCuratedPackagesRegistryRegex (Go MatchString: unanchored, '.' any character)
CURATED_PACKAGES_REGISTRY_RE = re.compile(r'783794618700.dkr.ecr.*.amazonaws.com')
# Array items whose CRD "required" fields EKS Anywhere insists on (the rest are Go zero values).
ITEM_REQUIRED = ('spec.failureDomains[]', 'spec.controlPlaneConfiguration.taints[]', 'spec.workerNodeGroupConfigurations[].taints[]',
                 'spec.mapRoles[]', 'spec.mapUsers[]', 'spec.registryMirrorConfiguration.ociNamespaces[]')

INVALID = object()  # what check_schema() returns for a value of the wrong type (dropped from the object)

_TYPE_NAMES = {'string': 'a string', 'integer': 'an integer', 'number': 'a number', 'boolean': 'a boolean (true or false)',
               'object': 'a mapping', 'array': 'a list'}


class SpecProblem(object):
    """One problem (error or warning) in a spec: where it is and what is wrong."""

    __slots__ = ('source', 'kind', 'name', 'path', 'message')

    def __init__(self, source, kind, name, path, message):
        self.source = source
        self.kind = kind
        self.name = name
        self.path = path
        self.message = message

    def to_dict(self):
        return {'file': self.source, 'kind': self.kind, 'name': self.name, 'path': self.path, 'message': self.message}

    def __eq__(self, other):
        return isinstance(other, SpecProblem) and self.to_dict() == other.to_dict()

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.source, self.kind, self.name, self.path, self.message))

    def __repr__(self):
        return 'SpecProblem(%r)' % str(self)

    def __str__(self):
        parts = [self.source or 'inline']
        if self.kind:
            parts.append('%s/%s' % (self.kind, self.name or '<unnamed>'))
        if self.path:
            parts.append(self.path)
        parts.append(self.message)
        return ': '.join(parts)


class SpecError(Exception):
    """The spec is invalid; ``errors`` lists every problem found, ``warnings`` the warnings."""

    def __init__(self, errors, warnings=None):
        self.errors = list(errors)
        self.warnings = list(warnings or [])
        count = len(self.errors)
        header = 'invalid EKS Anywhere cluster spec (%d problem%s):' % (count, '' if count == 1 else 's')
        super(SpecError, self).__init__('\n'.join([header] + ['  - %s' % e for e in self.errors]))


class Report(object):
    """Collects the problems of one load."""

    def __init__(self, source):
        self.source = source
        self.errors = []
        self.warnings = []
        self._error_fields = set()  # (kind, name, path) of the errors: a lookup per ancestor, never a scan
        self._warning_set = set()

    def error(self, kind, name, path, message):
        """Record an error, unless one was already recorded at this field or a field containing it."""
        if path:
            if any((kind, name, prefix) in self._error_fields for prefix in _field_prefixes(path)):
                return
            self._error_fields.add((kind, name, path))
        self.errors.append(SpecProblem(self.source, kind, name, path, message))

    def warn(self, kind, name, path, message):
        problem = SpecProblem(self.source, kind, name, path, message)
        if problem not in self._warning_set:
            self._warning_set.add(problem)
            self.warnings.append(problem)

    def for_object(self, obj):
        return ObjectReport(self, obj['kind'], obj_name(obj))


class ObjectReport(object):
    """A Report bound to one object."""

    def __init__(self, report, kind, name):
        self.report, self.kind, self.name = report, kind, name

    def error(self, path, message):
        self.report.error(self.kind, self.name, path, message)

    def warn(self, path, message):
        self.report.warn(self.kind, self.name, path, message)


def _field_prefixes(path):
    """``path`` and every field containing it: a.b[0].c -> a.b[0].c, a.b[0], a.b, a."""
    yield path
    for index in range(len(path) - 1, 0, -1):
        if path[index] in '.[':
            yield path[:index]


def redact_url(text):
    """``text`` with the user information of a URL (``user:password@``) replaced: safe to print."""
    if not isinstance(text, str):
        return text
    scheme, sep, rest = text.partition('://')
    if not sep:
        scheme, rest = '', text
    authority_end = len(rest)
    for stop in '/?#':
        found = rest.find(stop)
        if found != -1:
            authority_end = min(authority_end, found)
    authority = rest[:authority_end]
    if '@' not in authority:
        return text
    return '%s%s%s@%s' % (scheme, sep, '<credentials>', rest[authority.rindex('@') + 1:])


def obj_name(obj):
    meta = obj.get('metadata')
    name = meta.get('name') if isinstance(meta, dict) else None
    return name if isinstance(name, str) else None


def _join(path, key):
    return '%s.%s' % (path, key) if path else str(key)


def _describe(value):
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'boolean %s' % ('true' if value else 'false')
    if isinstance(value, (YamlInt, YamlFloat)):
        return 'number %s' % value.source_text
    if isinstance(value, (int, float)):
        return 'number %r' % value
    if isinstance(value, str):
        return 'string %r' % value
    if isinstance(value, dict):
        return 'a mapping'
    if isinstance(value, list):
        return 'a list'
    return type(value).__name__


def suggest(name, valid):
    """A 'did you mean' hint for an unknown field name."""
    lowered = dict((v.lower(), v) for v in valid)
    if str(name).lower() in lowered:
        return lowered[str(name).lower()]
    close = difflib.get_close_matches(str(name), list(valid), n=1, cutoff=0.6)
    return close[0] if close else None


def fold_case(name):
    """The folded form Go's encoding/json compares field names in: ASCII letters lower-cased, any other
    character mapped as unicode.ToLower(unicode.ToUpper(r)) (so the Kelvin sign matches "k")."""
    out = []
    for char in name:
        if char < '\x80':
            out.append(char.lower())
        else:
            folded = char.upper().lower()
            out.append(folded if len(folded) == 1 else char)
    return ''.join(out)


def match_field(key, fields):
    """The canonical field name ``key`` sets, as Go's encoding/json matches it: the exact name when there is one,
    else the field whose name equals ``key`` regardless of letter case; None when no field matches."""
    if key in fields:
        return key
    folded = fold_case(key)
    for field in fields:
        if fold_case(field) == folded:
            return field
    return None


def canonical_keys(value, fields):
    """A copy of mapping ``value`` with the keys that match ``fields`` regardless of case renamed to the field."""
    if not isinstance(value, dict):
        return value
    out = {}
    for key, sub in value.items():
        name = match_field(key, fields) if isinstance(key, str) else None
        out[name or key] = sub
    return out


def check_schema(kind, value, rep, schema_path='', field_path=''):
    """Check ``value`` against the kind's schema; return it with string fields as strings.

    Unknown fields, wrong types, enum and maxItems violations are reported on ``rep``; values of
    the wrong type are dropped (INVALID is returned for them) so that the semantic rules see
    well-typed objects.  ``None`` values are dropped (the CLI decodes null as the zero value).
    """
    schemas = SCHEMAS[kind]
    node = schemas.get(schema_path, {})
    if node.get('x-kubernetes-preserve-unknown-fields') and 'properties' not in node:
        return value
    if node.get('x-kubernetes-int-or-string'):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            rep.error(field_path, 'must be an integer or a string (e.g. 40%%), got %s' % _describe(value))
        return INVALID
    expected = node.get('type')
    if expected == 'object':
        if not isinstance(value, dict):
            rep.error(field_path, 'must be %s, got %s' % (_TYPE_NAMES['object'], _describe(value)))
            return INVALID
        props = node.get('properties')
        result = {}
        written = {}
        for key, sub in value.items():
            if not isinstance(key, str):
                rep.error(_join(field_path, key), 'field names must be strings, got %s' % _describe(key))
                continue
            field = match_field(key, props) if props is not None else None
            if field is not None and field in written and written[field] != key:
                # encoding/json: both keys set the same field, the later one wins
                rep.warn(_join(field_path, field), 'both "%s" and "%s" set this field (names match regardless of letter '
                         'case); the later one, "%s", is used' % (written[field], key, key))
                result.pop(field, None)
            if field is not None:
                written[field] = key
            if sub is None:
                continue
            if field is not None:
                checked = check_schema(kind, sub, rep, _join(schema_path, field), _join(field_path, field))
                if checked is not INVALID:
                    result[field] = checked
            elif props is None and node.get('additionalProperties'):
                checked = check_schema(kind, sub, rep, schema_path + '{}', '%s[%s]' % (field_path, key))
                if checked is not INVALID:
                    result[key] = checked
            elif node.get('x-kubernetes-preserve-unknown-fields'):
                result[key] = sub
            else:
                valid = props or ()
                hint = suggest(key, valid)
                message = 'unknown field "%s"' % key
                if hint:
                    message += '; did you mean "%s"?' % hint
                message += (' Valid fields here: %s' % ', '.join(valid)) if valid else ' (no fields are allowed here)'
                rep.error(_join(field_path, key), message)
        if schema_path in ITEM_REQUIRED:
            for req in node.get('required', ()):
                if result.get(req) in (None, '', [], {}):
                    rep.error(_join(field_path, req), 'required field is not set or is empty')
        return result
    if expected == 'array':
        if not isinstance(value, list):
            rep.error(field_path, 'must be %s, got %s' % (_TYPE_NAMES['array'], _describe(value)))
            return INVALID
        if 'maxItems' in node and len(value) > node['maxItems']:
            rep.error(field_path, 'must have at most %d items, got %d' % (node['maxItems'], len(value)))
        checked = [check_schema(kind, item, rep, schema_path + '[]', '%s[%d]' % (field_path, i))
                   for i, item in enumerate(value) if item is not None]
        return [item for item in checked if item is not INVALID]
    if expected == 'string':
        if isinstance(value, (bool, int, float)):
            value = scalar_text(value)
        elif not isinstance(value, str):
            rep.error(field_path, 'must be %s, got %s' % (_TYPE_NAMES['string'], _describe(value)))
            return INVALID
    elif expected == 'integer':
        if isinstance(value, bool) or not isinstance(value, int):
            rep.error(field_path, 'must be %s, got %s' % (_TYPE_NAMES['integer'], _describe(value)))
            return INVALID
        low, high = (INT32_MIN, INT32_MAX) if node.get('format') == 'int32' else (INT64_MIN, INT64_MAX)
        if not low <= value <= high:
            rep.error(field_path, 'integer %s is out of range: it must be between %d and %d (%s)'
                      % (_describe(value)[len('number '):], low, high, node.get('format') or 'int64'))
            return INVALID
        value = int(value)
    elif expected == 'number':
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            rep.error(field_path, 'must be %s, got %s' % (_TYPE_NAMES['number'], _describe(value)))
            return INVALID
    elif expected == 'boolean':
        if not isinstance(value, bool):
            rep.error(field_path, 'must be %s, got %s' % (_TYPE_NAMES['boolean'], _describe(value)))
            return INVALID
    if 'enum' in node and value not in node['enum']:
        rep.error(field_path, 'unsupported value %s; supported values: %s' % (_describe(value), ', '.join(node['enum'])))
    return value


# --------------------------------------------------------------------------- helpers for the semantic rules

def get(obj, *path):
    """obj[path[0]][path[1]]... or None (never raises)."""
    for key in path:
        if isinstance(obj, dict):
            obj = obj.get(key)
        elif isinstance(obj, list) and isinstance(key, int) and -len(obj) <= key < len(obj):
            obj = obj[key]
        else:
            return None
    return obj


def _as_list(value):
    return value if isinstance(value, list) else []


def _as_int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_cidr(text):
    """Parse a CIDR as Go's net.ParseCIDR does (host bits allowed); None when invalid."""
    if not isinstance(text, str) or '/' not in text:
        return None
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def parse_ip(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def valid_port(port):
    """A TCP port 1-65535 written in ASCII digits only (no sign, space or other digits)."""
    text = str(port)
    return bool(PORT_RE.fullmatch(text)) and 0 < int(text) <= 65535


# --------------------------------------------------------------------------- Cluster rules

def validate_cluster(cluster, provider, rep, idx):
    """Run the ValidateClusterConfigContent rules on a defaulted Cluster; ``idx`` maps (kind, name) to objects."""
    spec = cluster.get('spec') or {}
    name = obj_name(cluster) or ''
    _validate_name(name, rep)
    _validate_endpoint(spec, provider, rep)
    _validate_machine_group_refs(spec, provider, rep, idx)
    _validate_control_plane_count(spec, provider, rep)
    _warn_skip_admission(spec, rep)
    _validate_worker_node_groups(cluster, provider, rep)
    _validate_networking(spec, provider, rep)
    _validate_gitops(spec, rep, idx)
    _validate_etcd_count(spec, provider, rep)
    _validate_identity_providers(spec, rep, idx)
    _validate_proxy(spec, rep)
    _validate_mirror(spec, rep)
    _validate_misc(cluster, rep)


def _validate_name(name, rep):
    if not CLUSTER_NAME_RE.fullmatch(name):
        rep.error('metadata.name', 'failed to validate cluster config name: %s is not a valid cluster name, cluster names must start with '
                  'lowercase/uppercase letters and can include numbers and dashes. For instance \'testCluster-123\' is a valid name '
                  'but \'123testCluster\' is not.' % (name or '""'))
    if len(name) > MAX_CLUSTER_NAME:
        rep.error('metadata.name', 'failed to validate cluster config name: number of characters in %s should be less than %d'
                  % (name, MAX_CLUSTER_NAME + 1))


def _validate_endpoint(spec, provider, rep):
    host = get(spec, 'controlPlaneConfiguration', 'endpoint', 'host')
    path = 'spec.controlPlaneConfiguration.endpoint.host'
    if provider == 'docker':
        if host:
            rep.error(path, 'specifying endpoint host configuration in Cluster is not supported for the docker provider; remove it')
    elif not host:
        rep.error(path, 'cluster controlPlaneConfiguration.Endpoint.Host is not set or is empty; set the control plane '
                  'virtual IP (an unused IP address in the VM network)')
    elif parse_ip(host) is None and not HOSTNAME_RE.fullmatch(host):
        rep.error(path, 'control plane endpoint %r is invalid; give an IP address or a host name' % host)


def _check_ref(ref, path, role, allowed_kind, rep, idx):
    if not isinstance(ref, dict) or not ref:
        rep.error(path, 'must specify machineGroupRef %s' % role)
        return None
    kind, ref_name = ref.get('kind'), ref.get('name')
    if kind != allowed_kind:
        rep.error(path + '.kind', 'machineGroupRef kind %s is not supported for %s; use %s' % (kind or '""', role, allowed_kind))
        return None
    if not ref_name:
        rep.error(path + '.name', 'machineGroupRef name is not set; name the %s for %s' % (allowed_kind, role))
        return None
    if (kind, ref_name) not in idx:
        known = sorted(n for k, n in idx if k == kind)
        rep.error(path + '.name', 'cannot find %s %s for %s; the spec defines %s' % (kind, ref_name, role, ', '.join(known) or 'none'))
        return None
    return ref_name


def _validate_machine_group_refs(spec, provider, rep, idx):
    if provider != 'vsphere':
        return
    _check_ref(get(spec, 'controlPlaneConfiguration', 'machineGroupRef'), 'spec.controlPlaneConfiguration.machineGroupRef',
               'control plane machines', VSPHERE_MC, rep, idx)
    for i, group in enumerate(_as_list(spec.get('workerNodeGroupConfigurations'))):
        _check_ref(get(group, 'machineGroupRef'), 'spec.workerNodeGroupConfigurations[%d].machineGroupRef' % i,
                   'worker nodes', VSPHERE_MC, rep, idx)
    if isinstance(spec.get('externalEtcdConfiguration'), dict):
        _check_ref(get(spec, 'externalEtcdConfiguration', 'machineGroupRef'), 'spec.externalEtcdConfiguration.machineGroupRef',
                   'etcd machines', VSPHERE_MC, rep, idx)


def _validate_control_plane_count(spec, provider, rep):
    count = _as_int(get(spec, 'controlPlaneConfiguration', 'count'))
    path = 'spec.controlPlaneConfiguration.count'
    if count is None or count <= 0:
        rep.error(path, 'control plane node count must be positive')
        return
    if isinstance(spec.get('externalEtcdConfiguration'), dict):
        return  # with external etcd the control plane count may be even
    if count % 2 == 0:
        rep.error(path, 'control plane node count cannot be an even number (%d) with stacked etcd; use an odd count such as 3 or 5' % count)
    elif count not in (3, 5) and provider != 'docker':
        rep.warn(path, 'The recommended number of control plane nodes is 3 or 5')


SKIP_ADMISSION_NOT_RENDERED = (
    'skipAdmissionForSystemResources is not rendered by this collection: EKS Anywhere writes its admission plugin '
    'exclusion rules (/etc/kubernetes/admission-plugin-exclusion-rules.json, the EKS_PATCH_EXCLUSION_RULES_FILE '
    'environment variable of kube-apiserver and the file\'s volume); here admission webhooks still apply to system '
    'resources')


def _warn_skip_admission(spec, rep):
    if get(spec, 'controlPlaneConfiguration', 'skipAdmissionForSystemResources') is True:
        rep.warn('spec.controlPlaneConfiguration.skipAdmissionForSystemResources', SKIP_ADMISSION_NOT_RENDERED)


def _validate_worker_node_groups(cluster, provider, rep):
    spec = cluster.get('spec') or {}
    groups = _as_list(spec.get('workerNodeGroupConfigurations'))
    path = 'spec.workerNodeGroupConfigurations'
    if not groups:
        rep.error(path, 'WorkerNodeGroupConfigs cannot be empty for %s; define at least one worker node group'
                  % get(spec, 'datacenterRef', 'kind'))
        return
    names = {}
    tainted = 0
    for i, group in enumerate(groups):
        gpath = '%s[%d]' % (path, i)
        group_name = group.get('name')
        if not group_name:
            rep.error(gpath + '.name', 'must specify name for worker nodes')
        elif _group_name_problem(cluster, group_name):
            rep.error(gpath + '.name', _group_name_problem(cluster, group_name))
        elif group_name in names:
            rep.error(gpath + '.name', 'worker node group names must be unique; %s is also used by %s[%d]' % (group_name, path, names[group_name]))
        else:
            names[group_name] = i
        count = _as_int(group.get('count'))
        autoscaling = group.get('autoscalingConfiguration')
        if count is None:
            rep.error(gpath + '.count', 'worker node count must be >= 0')
        elif autoscaling is None and count < 0:
            rep.error(gpath + '.count', 'validating autoscaling configuration: worker node count must be zero or greater if autoscaling is not enabled')
        if isinstance(autoscaling, dict) and count is not None:
            _validate_autoscaling(autoscaling, count, gpath, rep)
        _validate_md_rollout(group.get('upgradeRolloutStrategy'), gpath, rep)
        if any(get(t, 'effect') in ('NoSchedule', 'NoExecute') for t in _as_list(group.get('taints'))):
            tainted += 1
    if tainted == len(groups) and _is_self_managed(cluster):
        rep.error(path, 'at least one WorkerNodeGroupConfiguration must not have NoExecute and/or NoSchedule taints')


def _group_name_problem(cluster, group_name):
    """Why ``<cluster>-<group>`` (the MachineDeployment and its templates) cannot be a Kubernetes object name, or None."""
    composed = '%s-%s' % ((obj_name(cluster) or 'x').lower(), group_name)
    problem = dns1123_subdomain_problem(composed)
    if problem is None:
        return None
    return ('worker node group name %r cannot form a valid object name %r (its MachineDeployment): %s; use lowercase '
            'letters, digits and \'-\' such as md-0' % (group_name, composed, problem))


def _validate_autoscaling(autoscaling, count, gpath, rep):
    apath = gpath + '.autoscalingConfiguration'
    low, high = _as_int(autoscaling.get('minCount')) or 0, _as_int(autoscaling.get('maxCount')) or 0
    prefix = 'validating autoscaling configuration: '
    if low < 0:
        rep.error(apath + '.minCount', prefix + 'min count must be non negative')
    elif low > high:
        rep.error(apath, prefix + 'min count must be no greater than max count (minCount %d, maxCount %d)' % (low, high))
    elif low > count:
        rep.error(gpath + '.count', prefix + 'min count must be less than or equal to count (minCount %d, count %d)' % (low, count))
    elif high < count:
        rep.error(gpath + '.count', prefix + 'max count must be greater than or equal to count (maxCount %d, count %d)' % (high, count))


def _validate_md_rollout(strategy, gpath, rep):
    if not isinstance(strategy, dict):
        return
    spath = gpath + '.upgradeRolloutStrategy'
    if strategy.get('type', 'RollingUpdate') not in ('RollingUpdate', 'InPlace'):
        rep.error(spath + '.type', "WorkerNodeGroupConfiguration: only 'RollingUpdate' and 'InPlace' are supported for upgrade rollout strategy type")
    rolling = strategy.get('rollingUpdate') or {}
    surge, unavailable = _as_int(rolling.get('maxSurge')) or 0, _as_int(rolling.get('maxUnavailable')) or 0
    if rolling and (surge < 0 or unavailable < 0):
        rep.error(spath + '.rollingUpdate', 'WorkerNodeGroupConfiguration: maxSurge and maxUnavailable values cannot be negative')
    elif rolling and surge == 0 and unavailable == 0:
        rep.error(spath + '.rollingUpdate', 'WorkerNodeGroupConfiguration: maxSurge and maxUnavailable not specified or are 0. '
                  'maxSurge and maxUnavailable cannot both be 0')


def _is_self_managed(cluster):
    managed_by = get(cluster, 'spec', 'managementCluster', 'name')
    return not managed_by or managed_by == obj_name(cluster)


def _validate_cidrs(network, which, rep):
    blocks = get(network, which, 'cidrBlocks')
    path = 'spec.clusterNetwork.%s.cidrBlocks' % which
    label = 'Pods' if which == 'pods' else 'Services'
    if not blocks:
        rep.error(path, '%s CIDR block not specified or empty' % which)
        return None
    if len(blocks) > 1:
        rep.error(path, 'multiple CIDR blocks for %s are not yet supported; give exactly one' % label)
        return None
    cidr = parse_cidr(blocks[0])
    if cidr is None:
        if which == 'pods':
            rep.error(path + '[0]', 'invalid CIDR block format for Pods: %s. Please specify a valid CIDR block for pod subnet' % blocks[0])
        else:
            rep.error(path + '[0]', 'invalid CIDR block for Services: %s. Please specify a valid CIDR block for service subnet' % blocks[0])
    return cidr


def _validate_networking(spec, provider, rep):
    network = spec.get('clusterNetwork') or {}
    cni_config = network.get('cniConfig')
    if isinstance(cni_config, dict) and 'kindnetd' in cni_config and provider != 'docker':
        rep.error('spec.clusterNetwork.cniConfig.kindnetd',
                  'kindnetd is only supported on Docker provider for development and testing. For all other providers please use Cilium CNI')
    pods = _validate_cidrs(network, 'pods', rep)
    _validate_cidrs(network, 'services', rep)
    if pods is not None:
        mask = _as_int(get(network, 'nodes', 'cidrMaskSize'))
        node_mask = DEFAULT_NODE_CIDR_MASK if mask is None else mask
        path = 'spec.clusterNetwork.nodes.cidrMaskSize'
        if pods.prefixlen >= node_mask:
            rep.error(path, 'the size of pod subnet with mask %d is smaller than or equal to the size of node subnet with mask %d; '
                      'use a node mask between %d and %d' % (pods.prefixlen, node_mask, pods.prefixlen + 1,
                                                             min(pods.prefixlen + POD_SUBNET_NODE_MASK_MAX_DIFF, pods.max_prefixlen)))
        elif node_mask - pods.prefixlen > POD_SUBNET_NODE_MASK_MAX_DIFF:
            rep.error(path, 'pod subnet mask (%d) and node-mask (%d) difference is greater than %d'
                      % (pods.prefixlen, node_mask, POD_SUBNET_NODE_MASK_MAX_DIFF))
    if not isinstance(cni_config, dict):
        rep.error('spec.clusterNetwork.cniConfig', 'cni not specified; set cniConfig: {cilium: {}}')
        return
    plugins = [p for p in ('cilium', 'kindnetd') if p in cni_config]
    if not plugins:
        rep.error('spec.clusterNetwork.cniConfig', 'validating cniConfig: no cni plugin specified; use cilium')
    elif len(plugins) > 1:
        rep.error('spec.clusterNetwork.cniConfig', 'validating cniConfig: cannot specify more than one cni plugins')
    cilium = cni_config.get('cilium')
    if isinstance(cilium, dict):
        mode = cilium.get('policyEnforcementMode')
        if cilium.get('skipUpgrade') and mode:
            rep.error('spec.clusterNetwork.cniConfig.cilium', 'when using skipUpgrades for cilium all other fields must be empty')
        if mode and mode not in CILIUM_POLICY_MODES:
            rep.error('spec.clusterNetwork.cniConfig.cilium.policyEnforcementMode', 'cilium policyEnforcementMode "%s" not supported; '
                      'use one of %s' % (mode, ', '.join(CILIUM_POLICY_MODES)))


def validate_legacy_cni(network, rep):
    """The deprecated ``cni`` field, checked before it is converted to ``cniConfig``."""
    cni = network.get('cni') if isinstance(network, dict) else None
    if not cni:
        return
    if network.get('cniConfig') is not None:
        rep.error('spec.clusterNetwork.cni', 'invalid format for cni plugin: both old and new formats used, use only the CNIConfig field')
    elif cni not in VALID_CNIS and cni != 'cilium-enterprise':
        rep.error('spec.clusterNetwork.cni', 'cni %s not supported; use cniConfig: {cilium: {}}' % cni)
    else:
        rep.warn('spec.clusterNetwork.cni', 'CNI field is deprecated. Provide CNI information through CNIConfig')


def _resolve(ref, path, kinds, what, rep, idx):
    kind, ref_name = ref.get('kind'), ref.get('name')
    if kind not in kinds:
        rep.error(path + '.kind', 'kind: %s for %s is not supported; use %s' % (kind or '""', what, ' or '.join(kinds)))
    elif not ref_name:
        rep.error(path + '.name', 'specify a valid name for %s' % what)
    elif (kind, ref_name) not in idx:
        rep.error(path + '.name', '%s %s referenced by the Cluster is not defined in the spec; add it or fix the reference' % (kind, ref_name))


def _validate_gitops(spec, rep, idx):
    ref = spec.get('gitOpsRef')
    if not isinstance(ref, dict):
        return
    if ref.get('kind') not in GITOPS_KINDS:
        rep.error('spec.gitOpsRef.kind', 'only GitOpsConfig or FluxConfig Kind are supported at this time')
    elif not ref.get('name'):
        rep.error('spec.gitOpsRef.name', "GitOpsRef name can't be empty; specify a valid GitOpsConfig name")
    else:
        _resolve(ref, 'spec.gitOpsRef', GITOPS_KINDS, 'gitOpsRef', rep, idx)


def _validate_etcd_count(spec, provider, rep):
    etcd = spec.get('externalEtcdConfiguration')
    if not isinstance(etcd, dict):
        return
    count = _as_int(etcd.get('count')) or 0
    path = 'spec.externalEtcdConfiguration.count'
    if count == 0:
        rep.error(path, 'no value set for etcd replicas; use an odd count such as 3 or 5')
    elif count < 0:
        rep.error(path, 'etcd replicas cannot be a negative number')
    elif count % 2 == 0:
        rep.error(path, 'external etcd count cannot be an even number (%d); use an odd count such as 3 or 5' % count)
    elif count not in (3, 5) and provider != 'docker':
        rep.warn(path, 'The recommended size of an external etcd cluster is 3 or 5')


def _validate_identity_providers(spec, rep, idx):
    for i, ref in enumerate(_as_list(spec.get('identityProviderRefs'))):
        _resolve(ref, 'spec.identityProviderRefs[%d]' % i, IDP_KINDS, 'identityProviderRef', rep, idx)


def split_host_port(text):
    """(host, port) of ``host:port`` or ``[v6]:port`` as Go's net.SplitHostPort; None when it is not one."""
    match = re.fullmatch(r'(?:\[([^\[\]]*)\]|([^:\[\]]*)):([^:\[\]]*)', text, re.DOTALL)
    if not match:
        return None
    return (match.group(1) if match.group(1) is not None else match.group(2)), match.group(3)


def _validate_proxy_data(proxy, path, rep):
    """EKS Anywhere's validateProxyData; a URL may carry ``user:password@`` (never printed: see redact_url)."""
    shown = redact_url(proxy)
    host_port = proxy
    if proxy.startswith('http'):
        match = re.fullmatch(r'https?://(?:[^/?#@]*@)?([^/?#@]+)(?:[/?#].*)?', proxy, re.DOTALL)
        if not match:
            rep.error(path, 'proxy %s is invalid, please provide a valid URI' % shown)
            return
        host_port = match.group(1)
    parts = split_host_port(host_port)
    if parts is None:
        rep.error(path, 'proxy endpoint %s is invalid (missing port in address), please provide a valid proxy address as host:port' % shown)
        return
    host, port = parts
    if parse_ip(host) is None and not HOSTNAME_RE.fullmatch(host):
        rep.error(path, 'proxy endpoint %s is invalid, please provide a valid proxy domain name or ip' % host)
    if not valid_port(port):
        rep.error(path, 'proxy port %s is invalid, please provide a valid proxy port' % port)


def _validate_proxy(spec, rep):
    proxy = spec.get('proxyConfiguration')
    if not isinstance(proxy, dict):
        return
    for key in ('httpProxy', 'httpsProxy'):
        path = 'spec.proxyConfiguration.' + key
        if not proxy.get(key):
            rep.error(path, 'no value set for %s; give the proxy as host:port' % key)
        else:
            _validate_proxy_data(proxy[key], path, rep)


def _validate_mirror(spec, rep):
    mirror = spec.get('registryMirrorConfiguration')
    if not isinstance(mirror, dict):
        return
    path = 'spec.registryMirrorConfiguration'
    if not mirror.get('endpoint'):
        rep.error(path + '.endpoint', 'no value set for RegistryMirrorConfiguration.Endpoint; give the registry host or IP')
    if not valid_port(mirror.get('port', '443')):
        rep.error(path + '.port', 'registry mirror port %s is invalid, please provide a valid port (1-65535)' % mirror.get('port'))
    curated = 0
    for i, namespace in enumerate(_as_list(mirror.get('ociNamespaces'))):
        registry = namespace.get('registry') if isinstance(namespace, dict) else None
        if not registry:
            rep.error('%s.ociNamespaces[%d].registry' % (path, i), "registry can't be set to empty in OCINamespaces")
        elif CURATED_PACKAGES_REGISTRY_RE.search(registry):  # EKS Anywhere counts only the packages account's
            curated += 1
            if curated > 1:
                rep.error('%s.ociNamespaces[%d].registry' % (path, i), 'only one registry mirror for curated packages is suppported')


def _validate_misc(cluster, rep):
    spec = cluster.get('spec') or {}
    if isinstance(spec.get('podIamConfig'), dict) and not get(spec, 'podIamConfig', 'serviceAccountIssuer'):
        rep.error('spec.podIamConfig.serviceAccountIssuer', "ServiceAccount Issuer can't be empty while configuring IAM roles for pods")
    strategy = get(spec, 'controlPlaneConfiguration', 'upgradeRolloutStrategy')
    if isinstance(strategy, dict):
        spath = 'spec.controlPlaneConfiguration.upgradeRolloutStrategy'
        if strategy.get('type', 'RollingUpdate') not in ('RollingUpdate', 'InPlace'):
            rep.error(spath + '.type', "ControlPlaneConfiguration: only 'RollingUpdate' and 'InPlace' are supported for upgrade rollout strategy type")
        surge = _as_int(get(strategy, 'rollingUpdate', 'maxSurge')) or 0
        if surge < 0:
            rep.error(spath + '.rollingUpdate.maxSurge', 'ControlPlaneConfiguration: maxSurge for control plane cannot be a negative value')
        elif surge > 1:
            rep.error(spath + '.rollingUpdate.maxSurge', 'ControlPlaneConfiguration: maxSurge for control plane must be 0 or 1')
    packages = spec.get('packages')
    if not _is_self_managed(cluster) and isinstance(packages, dict):
        for key in ('controller', 'cronjob'):
            if key in packages:
                rep.error('spec.packages.' + key, 'packages: %s should not be specified for a workload cluster' % key)
    if spec.get('bundlesRef') is not None and spec.get('eksaVersion') is not None:
        rep.error('spec.eksaVersion', 'cannot pass both bundlesRef and eksaVersion. New clusters should use eksaVersion instead of bundlesRef')
    version = spec.get('eksaVersion')
    if version is not None and not SEMVER_RE.fullmatch(str(version)):
        rep.error('spec.eksaVersion', 'eksaVersion is not a valid semver (got %s; expected e.g. v0.26.1)' % version)
    sans = _as_list(get(spec, 'controlPlaneConfiguration', 'certSans'))
    invalid = [san for san in sans if not DOMAIN_NAME_RE.search(san) and parse_ip(san) is None]
    if invalid:
        rep.error('spec.controlPlaneConfiguration.certSans',
                  'invalid ControlPlaneConfiguration.CertSANs; must be an IP or domain name: [%s]' % ', '.join(invalid))
    kube = spec.get('kubernetesVersion')
    if not kube:
        rep.error('spec.kubernetesVersion', 'kubernetesVersion is not set; give a Kubernetes minor version such as "1.31"')
    elif not KUBE_VERSION_RE.fullmatch(str(kube)):
        rep.error('spec.kubernetesVersion', 'kubernetesVersion %r is not a valid Kubernetes version; use MAJOR.MINOR such as "1.31"' % kube)


# --------------------------------------------------------------------------- vSphere objects

def validate_vsphere_datacenter(dc, rep):
    spec = dc.get('spec') or {}
    if not spec.get('server'):
        rep.error('spec.server', 'VSphereDatacenterConfig server is not set or is empty; give the vCenter host name or IP')
    else:
        try:
            parse_server(spec['server'])
        except ValueError as exc:
            rep.error('spec.server', 'VSphereDatacenterConfig %s' % exc)
    if not spec.get('datacenter'):
        rep.error('spec.datacenter', 'VSphereDatacenterConfig datacenter is not set or is empty; give the vSphere datacenter name')
    network = spec.get('network')
    if not network:
        rep.error('spec.network', 'VSphereDatacenterConfig VM network is not set or is empty; give the VM network, e.g. /<datacenter>/network/<name>')
    elif spec.get('datacenter'):
        prefix = '/%s/network' % spec['datacenter']
        if not network.startswith(prefix):
            rep.error('spec.network', 'invalid path, expected path [%s] to be under [%s]' % (network, prefix))
    names = set()
    for i, domain in enumerate(_as_list(spec.get('failureDomains'))):
        fd_name = domain.get('name') if isinstance(domain, dict) else None
        if fd_name in names:
            rep.error('spec.failureDomains[%d].name' % i, 'failure domain names must be unique; %s is used twice' % fd_name)
        names.add(fd_name)


def validate_vsphere_machine_config(mc, rep, roles):
    """Rules of one VSphereMachineConfig; ``roles`` is the set of uses (control-plane, etcd, worker)."""
    spec = mc.get('spec') or {}
    name = obj_name(mc)
    if not spec.get('datastore'):
        rep.error('spec.datastore', 'VSphereMachineConfig %s datastore is not set or is empty' % name)
    if not spec.get('resourcePool'):
        rep.error('spec.resourcePool', 'VSphereMachineConfig %s VM resourcePool is not set or is empty' % name)
    os_family = spec.get('osFamily')
    if os_family not in OS_FAMILIES:
        rep.error('spec.osFamily', 'VSphereMachineConfig %s osFamily: %s is not supported, please use one of the following: %s'
                  % (name, os_family, ', '.join(OS_FAMILIES)))
    users = _as_list(spec.get('users'))
    if os_family == 'bottlerocket' and users and get(users, 0, 'name') != 'ec2-user':
        rep.error('spec.users[0].name', "users[0].name %s is invalid. Please use 'ec2-user' for Bottlerocket" % get(users, 0, 'name'))
    if len(users) > 1:
        rep.error('spec.users', 'only one user is supported for VSphereMachineConfig %s, got %d' % (name, len(users)))
    networks = _as_list(spec.get('networks'))
    other_roles = sorted(r for r in roles if r != 'worker')
    if networks and other_roles:
        rep.error('spec.networks', 'networks is only supported for worker node machine configs; VSphereMachineConfig %s is used for %s'
                  % (name, ' and '.join(other_roles)))
