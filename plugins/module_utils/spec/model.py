# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The EKS Anywhere cluster spec model.

``load_spec()`` reads a multi-document EKS Anywhere spec (a file or inline data), checks
it strictly against the CRD schemas, applies EKS Anywhere's defaults and validations and
returns the normalized spec::

    {"source", "provider", "cluster", "datacenter", "machine_configs",
     "control_plane_machine_config", "etcd_machine_config", "worker_machine_configs",
     "gitops", "oidc", "awsiam", "objects"}

Every problem found is collected: :class:`SpecError` carries them all in ``errors``
(:class:`SpecProblem` items rendering as ``<file>: <Kind>/<name>: <field.path>: <message>``)
and the warnings in ``warnings``.  Nothing here depends on AnsibleModule.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.eksa.anywhere.plugins.module_utils.spec import _conformance as conformance
from ansible_collections.eksa.anywhere.plugins.module_utils.spec import _defaults as defaults
from ansible_collections.eksa.anywhere.plugins.module_utils.spec import _validate as validate
from ansible_collections.eksa.anywhere.plugins.module_utils.spec._schema import API_VERSION, SCHEMAS
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.names import dns1123_label_problem
from ansible_collections.eksa.anywhere.plugins.module_utils.spec._validate import SpecError, SpecProblem
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.loader import (
    HAS_YAML, YAML_IMPORT_ERROR, DocumentProblem, plain, read_source,
)
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.loader import load_documents as _load_yaml_documents

__all__ = ['API_VERSION', 'HAS_YAML', 'YAML_IMPORT_ERROR', 'SUPPORTED_KINDS', 'SpecError', 'SpecProblem',
           'is_valid_cluster_name', 'load_documents', 'load_spec', 'normalize', 'proxy_credentials']

SUPPORTED_KINDS = tuple(sorted(SCHEMAS))
PROVIDERS = {validate.VSPHERE_DC: 'vsphere', validate.DOCKER_DC: 'docker'}
INLINE = 'inline'
ENVELOPE = ('apiVersion', 'kind', 'metadata', 'spec', 'status')


def load_documents(source):
    """Return the objects of a multi-document YAML spec, given a path or the YAML text.

    A string containing a newline (or not naming an existing file) is read as YAML text.
    Raises SpecError for a missing file or malformed YAML (naming the line).
    """
    text, name = source, INLINE
    if isinstance(source, str) and '\n' not in source and not source.lstrip().startswith(('{', '[', '-')):
        name = source
        try:
            text = read_source(source)
        except DocumentProblem as exc:
            raise SpecError([SpecProblem(name, None, None, None, exc.message)])
    try:
        return [plain(value) for dummy, dummy2, value in _load_yaml_documents(text)]
    except DocumentProblem as exc:
        raise SpecError([SpecProblem(name, None, None, None, exc.message)])


def load_spec(path=None, data=None, source_name=None, warnings=None):
    """Load, default and validate an EKS Anywhere spec from ``path`` or ``data``.

    ``data`` is YAML text or already-parsed objects (a list of mappings or one mapping).
    Returns the normalized spec; raises SpecError listing every problem.  When ``warnings``
    is a list, the warnings (SpecProblem items) of a valid spec are appended to it.
    """
    result = _load(path, data, source_name)
    if warnings is not None:
        warnings.extend(result.pop('warnings'))
    else:
        del result['warnings']
    return result


def normalize(objects, source=INLINE, warnings=None):
    """Default and validate already-parsed objects (a list of mappings); see load_spec()."""
    return load_spec(data=list(objects), source_name=source, warnings=warnings)


def _load(path, data, source_name):
    if (path is None) == (data is None):
        raise SpecError([SpecProblem(source_name or INLINE, None, None, None, 'give exactly one of path or data')])
    if path is not None:
        source = source_name or str(path)
        try:
            text = read_source(str(path))
        except DocumentProblem as exc:
            raise SpecError([SpecProblem(source, None, None, None, exc.message)])
        return _from_text(text, source)
    source = source_name or INLINE
    if isinstance(data, str):
        return _from_text(data, source)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, (list, tuple)):
        raise SpecError([SpecProblem(source, None, None, None, 'data must be YAML text, a mapping or a list of mappings, got %s'
                                     % type(data).__name__)])
    return _normalize([(i, None, copy.deepcopy(obj)) for i, obj in enumerate(data) if obj is not None], source)


def _from_text(text, source):
    try:
        documents = _load_yaml_documents(text)
    except DocumentProblem as exc:
        raise SpecError([SpecProblem(source, None, None, None, exc.message)])
    return _normalize(documents, source)


def _where(index, line):
    return 'document %d%s' % (index + 1, ' (line %d)' % line if line else '')


def _parse_objects(documents, rep):
    """Check envelope and schema of every document; return the objects of the supported kinds."""
    objects = []
    for index, line, doc in documents:
        if not isinstance(doc, dict):
            rep.error(None, None, _where(index, line), 'each YAML document must be a mapping (an EKS Anywhere object), got %s'
                      % type(doc).__name__)
            continue
        # the CLI decodes the envelope as it decodes every field: names match regardless of letter case
        doc = validate.canonical_keys(doc, ENVELOPE)
        if isinstance(doc.get('metadata'), dict):
            doc['metadata'] = validate.canonical_keys(doc['metadata'], ('name', 'namespace'))
        kind, api_version = doc.get('kind'), doc.get('apiVersion')
        name = validate.obj_name(doc)
        label_kind = kind if isinstance(kind, str) and kind else None
        if label_kind is None:
            rep.error(None, name, _where(index, line) + '.kind', 'kind is not set; supported kinds: %s' % ', '.join(SUPPORTED_KINDS))
            continue
        if kind not in SCHEMAS:
            hint = validate.suggest(kind, SUPPORTED_KINDS)
            rep.error(kind, name, 'kind', 'kind %s is not supported%s; supported kinds: %s'
                      % (kind, ' (did you mean %s?)' % hint if hint else '', ', '.join(SUPPORTED_KINDS)))
            continue
        if api_version != API_VERSION:
            rep.error(kind, name, 'apiVersion', '%s; expected %s' % (
                'apiVersion is not set' if not api_version else 'apiVersion %s is not supported' % api_version, API_VERSION))
        if not name:
            rep.error(kind, None, 'metadata.name', 'metadata.name is not set or is empty; every object needs a name')
        objects.append(validate.check_schema(kind, doc, validate.ObjectReport(rep, kind, name)))
    return objects


def _index(objects, rep):
    idx = {}
    for obj in objects:
        key = (obj['kind'], validate.obj_name(obj))
        if key[1] is None:
            continue
        if key in idx:
            rep.error(key[0], key[1], 'metadata.name', 'duplicate %s named %s; object names must be unique per kind' % key)
        else:
            idx[key] = obj
    return idx


def _machine_roles(spec, idx):
    """(control plane name, etcd name, {group: name}, {name: roles}) for VSphereMachineConfig references."""
    roles = {}

    def ref_name(ref, role):
        if isinstance(ref, dict) and ref.get('kind') == validate.VSPHERE_MC and (validate.VSPHERE_MC, ref.get('name')) in idx:
            roles.setdefault(ref['name'], set()).add(role)
            return ref['name']
        return None

    control_plane = ref_name(validate.get(spec, 'controlPlaneConfiguration', 'machineGroupRef'), 'control plane')
    etcd = None
    if isinstance(spec.get('externalEtcdConfiguration'), dict):
        etcd = ref_name(validate.get(spec, 'externalEtcdConfiguration', 'machineGroupRef'), 'etcd')
    workers = {}
    for group in spec.get('workerNodeGroupConfigurations') or []:
        if isinstance(group, dict):
            name = ref_name(group.get('machineGroupRef'), 'worker')
            if name and group.get('name'):
                workers[group['name']] = name
    return control_plane, etcd, workers, roles


def _normalize(documents, source):
    rep = validate.Report(source)
    if not documents:
        rep.error(None, None, None, 'the spec is empty: expected a Cluster (%s) and its datacenter and machine config objects' % API_VERSION)
        raise SpecError(rep.errors)
    objects = _parse_objects(documents, rep)
    idx = _index(objects, rep)
    clusters = [o for o in objects if o['kind'] == 'Cluster']
    if not clusters:
        rep.error(None, None, None, 'unable to find kind Cluster in the spec; a spec needs exactly one Cluster object')
        raise SpecError(rep.errors, rep.warnings)
    if len(clusters) > 1:
        rep.error('Cluster', validate.obj_name(clusters[1]), None, 'the spec defines %d Cluster objects (%s); give exactly one'
                  % (len(clusters), ', '.join(str(validate.obj_name(c)) for c in clusters)))
    try:
        result = _build(objects, clusters[0], idx, rep, source)
    except (AttributeError, KeyError, TypeError, ValueError):
        if not rep.errors:
            raise
        result = None  # follow-on of a problem already reported
    if rep.errors:
        raise SpecError(rep.errors, rep.warnings)
    result['warnings'] = rep.warnings
    return result


def _build(objects, cluster, idx, rep, source):
    cluster_rep = rep.for_object(cluster)
    namespace = validate.get(cluster, 'metadata', 'namespace') or defaults.DEFAULT_NAMESPACE
    problem = dns1123_label_problem(namespace) if isinstance(namespace, str) else 'must be a string'
    if problem:  # it reaches API paths: refused here, before any request
        cluster_rep.error('metadata.namespace', 'namespace %r is not a valid Kubernetes namespace: %s' % (namespace, problem))
    for obj in objects:
        obj_ns = validate.get(obj, 'metadata', 'namespace')
        if obj_ns and obj_ns != namespace:
            rep.for_object(obj).error('metadata.namespace', 'namespace %s differs from the Cluster\'s namespace %s; every object of the spec '
                                      'must be in the Cluster\'s namespace' % (obj_ns, namespace))
        if isinstance(obj.get('metadata'), dict):
            defaults.set_namespace(obj, namespace)

    validate.validate_legacy_cni(validate.get(cluster, 'spec', 'clusterNetwork'), cluster_rep)
    defaults.set_cluster_defaults(cluster, cluster_rep)
    spec = cluster['spec']

    stated = _datacenter_stated(spec, idx)
    provider, datacenter = _datacenter(spec, idx, cluster_rep, rep)
    control_plane, etcd, workers, roles = _machine_roles(spec, idx)
    machine_configs = {}
    for obj in objects:
        if obj['kind'] != validate.VSPHERE_MC:
            continue
        name = validate.obj_name(obj)
        if name is None:
            continue
        if provider == 'docker':
            rep.for_object(obj).warn(None, 'VSphereMachineConfig objects are not used by the docker provider; ignored')
            continue
        machine_configs[name] = obj
        mc_rep = rep.for_object(obj)
        defaults.set_vsphere_machine_config_defaults(obj, mc_rep, etcd=name == etcd)
        validate.validate_vsphere_machine_config(obj, mc_rep, roles.get(name, set()))
        if name not in roles:
            mc_rep.warn(None, 'VSphereMachineConfig %s is not referenced by the Cluster' % name)
    if provider == 'docker':
        control_plane, etcd, workers = None, None, {}
    elif etcd and control_plane:
        _same_os_family(machine_configs, control_plane, etcd, workers, rep)

    validate.validate_cluster(cluster, provider, cluster_rep, idx)
    conformance.validate_worker_versions(spec, cluster_rep)
    conformance.validate_etcd_encryption(spec, cluster_rep)
    for obj in objects:
        if obj['kind'] == 'OIDCConfig':
            conformance.validate_oidc(obj, rep.for_object(obj))
        elif obj['kind'] == validate.VSPHERE_MC and provider == 'vsphere':
            conformance.validate_cert_bundles(obj, rep.for_object(obj))

    by_kind = dict((kind, _referenced(spec, idx, kind)) for kind in ('GitOpsConfig', 'FluxConfig', 'OIDCConfig', 'AWSIamConfig'))
    return {
        'source': source,
        'provider': provider,
        'cluster': cluster,
        'datacenter': datacenter,
        'machine_configs': machine_configs,
        'control_plane_machine_config': control_plane,
        'etcd_machine_config': etcd,
        'worker_machine_configs': workers,
        'gitops': by_kind['GitOpsConfig'] or by_kind['FluxConfig'],
        'oidc': by_kind['OIDCConfig'],
        'awsiam': by_kind['AWSIamConfig'],
        'objects': copy.deepcopy(objects),
        'datacenter_stated': stated,
    }


def _datacenter_stated(spec, idx):
    """What the VSphereDatacenterConfig, as written (before defaults), says of trust: whether it states ``insecure``
    and whether it pins a ``thumbprint`` (vsphere.trust decides whether VMWARE_VALIDATE_CERTS may count)."""
    ref = spec.get('datacenterRef') if isinstance(spec.get('datacenterRef'), dict) else {}
    obj = idx.get((ref.get('kind'), ref.get('name'))) if ref.get('kind') == validate.VSPHERE_DC else None
    raw = obj.get('spec') if isinstance(obj, dict) and isinstance(obj.get('spec'), dict) else {}
    return {'insecure': raw.get('insecure') is not None, 'thumbprint': bool(raw.get('thumbprint'))}


def _datacenter(spec, idx, cluster_rep, rep):
    ref = spec.get('datacenterRef')
    path = 'spec.datacenterRef'
    if not isinstance(ref, dict) or not ref.get('kind'):
        cluster_rep.error(path, 'datacenterRef is not set; reference the %s or %s of the spec' % (validate.VSPHERE_DC, validate.DOCKER_DC))
        return None, None
    kind, name = ref.get('kind'), ref.get('name')
    if kind not in PROVIDERS:
        cluster_rep.error(path + '.kind', 'datacenterRef kind %s is not supported by this collection; use %s or %s'
                          % (kind, validate.VSPHERE_DC, validate.DOCKER_DC))
        return None, None
    provider = PROVIDERS[kind]
    if (kind, name) not in idx:
        known = sorted(n for k, n in idx if k == kind)
        cluster_rep.error(path + '.name', '%s %s referenced by the Cluster is not defined in the spec (defined: %s)'
                          % (kind, name or '""', ', '.join(known) or 'none'))
        return provider, None
    datacenter = idx[(kind, name)]
    for other_kind, other_name in idx:
        if other_kind in PROVIDERS and (other_kind, other_name) != (kind, name):
            rep.error(other_kind, other_name, None, 'the Cluster uses %s %s; a spec holds one datacenter config' % (kind, name))
    if kind == validate.VSPHERE_DC:
        dc_rep = rep.for_object(datacenter)
        defaults.set_vsphere_datacenter_defaults(datacenter, dc_rep)
        validate.validate_vsphere_datacenter(datacenter, dc_rep)
    return provider, datacenter


def _same_os_family(machine_configs, control_plane, etcd, workers, rep):
    expected = validate.get(machine_configs.get(control_plane), 'spec', 'osFamily')
    for name in [etcd] + sorted(set(workers.values())):
        obj = machine_configs.get(name)
        family = validate.get(obj, 'spec', 'osFamily')
        if obj is not None and family != expected:
            rep.for_object(obj).error('spec.osFamily', 'control plane and etcd machines must have the same osFamily specified: '
                                      'osFamily %s differs from %s of the control plane\'s VSphereMachineConfig %s'
                                      % (family, expected, control_plane))


def _referenced(spec, idx, kind):
    refs = [spec.get('gitOpsRef')] + list(spec.get('identityProviderRefs') or [])
    for ref in refs:
        if isinstance(ref, dict) and ref.get('kind') == kind and (kind, ref.get('name')) in idx:
            return idx[(kind, ref['name'])]
    return None


def is_valid_cluster_name(name):
    """EKS Anywhere's cluster name rule, on the whole string (the name becomes a folder and object names)."""
    return isinstance(name, str) and bool(validate.CLUSTER_NAME_RE.fullmatch(name)) and len(name) <= validate.MAX_CLUSTER_NAME


def proxy_credentials(spec):
    """The credentials (``user:password`` and the password) in a normalized spec's proxy URLs: mask them in any output."""
    proxy = validate.get(spec, 'cluster', 'spec', 'proxyConfiguration')
    found = []
    for key in ('httpProxy', 'httpsProxy'):
        value = validate.get(proxy, key)
        if not isinstance(value, str) or '@' not in value:
            continue
        rest = value.split('://', 1)[-1]
        authority = rest
        for stop in '/?#':
            authority = authority.split(stop, 1)[0]
        if '@' in authority:
            userinfo = authority.rsplit('@', 1)[0]
            found.append(userinfo)
            if ':' in userinfo and userinfo.split(':', 1)[1]:
                found.append(userinfo.split(':', 1)[1])
    return sorted(set(found), key=lambda text: -len(text))
