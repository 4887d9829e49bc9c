# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Render a normalized EKS Anywhere spec into the Cluster API objects EKS Anywhere v0.26 writes.

Public API (independent of AnsibleModule)::

    objects = render(spec, bundle, vsphere_facts=None, credentials=None, previous=None, registry_credentials=None)
    files = write_manifests(objects, output_dir, cluster_name, check_mode=False)

``spec`` is what ``spec.load_spec()`` returns.  ``bundle`` is a Bundles manifest (path, URL or mapping),
one of its ``versionsBundles`` entries, or the result of :func:`resolve_bundle`.  ``vsphere_facts`` is
the ``resolved`` result of the vSphere preflight (optional; the spec's values are used when absent).
``credentials`` is ``{username, password, cp_username, cp_password}`` (the cloud provider's user defaults to the main
user); ``registry_credentials`` is ``{username, password}`` of an authenticated registry mirror.  The renderer reads
no environment variable: the caller (the action plugin, the first phase) resolves EKS Anywhere's variables.
``previous`` is the previous output (a directory or a list of objects): template names keep their suffix
unless the template changed (then ``<base>-<n+1>``).  Every problem raises :class:`RenderError`
naming the field; nothing is written then.  The templates are Jinja2 files in ``templates/capi/`` of the
collection.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import os
import re

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    yaml = None
    HAS_YAML = False

from ansible_collections.eksa.anywhere.plugins.module_utils.spec import bundles as _bundles
from ansible_collections.eksa.anywhere.plugins.module_utils.capi import _naming as naming
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._base import (  # noqa: F401 (public names)
    EKSA_FORK_FIELDS, FILES, MASK, NAMESPACE, SECRET_FIELDS, RenderError, engine, facts_root, get,
)
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._cluster import base_values, render_cluster
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._control_plane import render_control_plane
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._etcd import etcd_values, render_etcd
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._health import render_control_plane_check, render_worker_checks
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._nodes import NodeContext, RenderJob
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._registry import render_registry_secret
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._vsphere import (
    render_cloud_provider, render_failure_domains, render_secrets,
)
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._workers import render_workers
from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import FileError, file_mode, read_file, write_private
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.context import layout
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.registry_mirror import CONTAINERD_APPEND
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.loader import SAFE_LOADER, yaml_error_message

__all__ = ['RenderError', 'render', 'resolve_bundle', 'write_manifests', 'dump_objects', 'load_objects',
           'mask_secrets', 'summarize', 'NAMESPACE', 'EKSA_FORK_FIELDS']


ARGUMENT_SPEC = {
    'spec': {'type': 'raw', 'required': True},
    'bundle': {'type': 'raw', 'required': True},
    'eksd_manifest': {'type': 'str'},
    'vsphere_facts': {'type': 'dict'},
    'credentials': {'type': 'dict', 'no_log': False, 'options': {
        'username': {'type': 'str'},
        'password': {'type': 'str', 'no_log': True},
        'cp_username': {'type': 'str'},
        'cp_password': {'type': 'str', 'no_log': True},
    }},
    'registry_username': {'type': 'str', 'no_log': True},
    'registry_password': {'type': 'str', 'no_log': True},
    'output_dir': {'type': 'path'},
    'previous': {'type': 'raw'},
    'timeout': {'type': 'int', 'default': 30},
}


# ---------------------------------------------------------------------------------------------- bundle
def resolve_bundle(bundle, kube_version, eksd=None, timeout=30):
    """The release values (see _bundles.release_info) for a Bundles manifest / versionsBundle / resolved dict."""
    try:
        if isinstance(bundle, dict) and isinstance(bundle.get(str(kube_version)), dict) and \
                'image_repository' in bundle[str(kube_version)]:
            bundle = bundle[str(kube_version)]  # {version: resolved release} (the first phase resolves each once)
        if isinstance(bundle, dict) and 'kubernetes_version' in bundle and 'image_repository' in bundle:
            if str(bundle.get('kube_version_minor', kube_version)) != str(kube_version):
                raise RenderError('the resolved bundle is for Kubernetes %s' % bundle.get('kube_version_minor'),
                                  'spec.kubernetesVersion')
            return bundle
        base = None
        if isinstance(bundle, dict) and bundle.get('kind') != 'Bundles' and 'eksD' in bundle:
            vb = bundle
            if str(vb.get('kubeVersion')) != str(kube_version):
                raise _bundles.BundleError('Kubernetes version %s is not the bundle entry\'s (%s)'
                                           % (kube_version, vb.get('kubeVersion')), 'spec.kubernetesVersion')
        else:
            doc, base = _bundles.load_bundles(bundle, timeout=timeout)
            vb = _bundles.versions_bundle(doc, kube_version)
        info = _bundles.release_info(vb, base=base, eksd=eksd, timeout=timeout)
        info['kube_version_minor'] = str(kube_version)
        return info
    except _bundles.BundleError as exc:
        err = RenderError(exc.message)
        err.field = exc.field
        raise err


def _unsupported(spec):
    """Spec fields these templates cannot express: RenderError naming the first."""
    if spec.get('awsiam'):
        raise RenderError('AWS IAM Authenticator is not rendered by this collection\'s templates; remove the AWSIamConfig '
                          'reference', 'spec.identityProviderRefs (AWSIamConfig)')


def _worker_releases(cspec, bundle, release, eksd, timeout):
    """{Kubernetes version: release values} for every worker node group's version (EKS Anywhere renders a group on its
    own version from that version's bundle entry)."""
    releases = {str(cspec.get('kubernetesVersion')): release}
    for i, group in enumerate(cspec.get('workerNodeGroupConfigurations') or []):
        version = group.get('kubernetesVersion')
        if version and str(version) not in releases:
            try:
                releases[str(version)] = resolve_bundle(bundle, version, eksd=eksd, timeout=timeout)
            except RenderError as exc:
                raise RenderError('%s (the version of worker node group %s)' % (exc.message, group.get('name')),
                                  'spec.workerNodeGroupConfigurations[%d].kubernetesVersion' % i)
    return releases


def render(spec, bundle, vsphere_facts=None, credentials=None, previous=None, eksd=None, template_dir=None, timeout=30,
           registry_credentials=None):
    """Return the Cluster API objects (a list of mappings, in apply order) for a normalized spec."""
    if not isinstance(spec, dict) or not isinstance(spec.get('cluster'), dict):
        raise RenderError('spec must be the normalized spec (cluster_spec / load_spec() result)', 'spec')
    provider = spec.get('provider')
    if provider not in ('vsphere', 'docker'):
        raise RenderError('provider %r is not rendered by this collection (vsphere, docker)' % provider, 'spec.datacenterRef.kind')
    _unsupported(spec)
    cspec = spec['cluster']['spec']
    release = resolve_bundle(bundle, cspec.get('kubernetesVersion'), eksd=eksd, timeout=timeout)
    skip_lb = get(cspec, 'controlPlaneConfiguration', 'skipLoadBalancerDeployment')
    if provider == 'vsphere' and not release.get('kube_vip_image') and not skip_lb:
        raise RenderError('the Bundles manifest has no kube-vip image for Kubernetes %s' % cspec.get('kubernetesVersion'),
                          'bundle.versionsBundles[].vSphere.kubeVip.uri')
    ctx = NodeContext(spec, release, facts_root(vsphere_facts), credentials, registry_credentials)
    ctx.releases = _worker_releases(cspec, bundle, release, eksd, timeout)
    prev = naming.index_previous(load_objects(previous) if previous is not None else [])
    groups = _render(RenderJob(ctx, engine(template_dir), prev))
    return [obj for key, dummy in FILES for obj in groups[key]]


def group_objects(objects):
    """{file key: objects}: Secrets to 'secrets', the worker groups' objects to 'workers', the rest to 'cluster'."""
    groups = dict((key, []) for key, dummy in FILES)
    workers = set()
    for obj in objects:
        if obj.get('kind') == 'MachineDeployment':
            tspec = get(obj, 'spec', 'template', 'spec') or {}
            workers.add(('KubeadmConfigTemplate', get(tspec, 'bootstrap', 'configRef', 'name')))
            workers.add((get(tspec, 'infrastructureRef', 'kind'), get(tspec, 'infrastructureRef', 'name')))
            workers.add(('MachineHealthCheck', '%s-worker-unhealthy' % obj['metadata']['name']))
    for obj in objects:
        key = (obj.get('kind'), get(obj, 'metadata', 'name'))
        if obj.get('kind') == 'Secret':
            groups['secrets'].append(obj)
        elif obj.get('kind') == 'MachineDeployment' or key in workers:
            groups['workers'].append(obj)
        else:
            groups['cluster'].append(obj)
    return groups


def _render(job):
    """{file key: objects}: each object family renders its own objects; none is changed after rendering."""
    job.base = base_values(job)
    etcd, etcd_template = etcd_values(job)
    job.base['etcd'] = etcd
    cluster_objs = render_cluster(job) + render_control_plane(job)
    if etcd:
        cluster_objs += render_etcd(job, etcd_template)
    secret_objs = []
    if job.vsphere:
        cluster_objs += render_failure_domains(job) + render_cloud_provider(job)
        secret_objs = render_secrets(job)
    secret_objs += render_registry_secret(job)
    cluster_objs += render_control_plane_check(job)
    worker_objs, groups = render_workers(job)
    worker_objs += render_worker_checks(job, groups)
    return {'cluster': cluster_objs, 'workers': worker_objs, 'secrets': secret_objs}


# ---------------------------------------------------------------------------------------------- output
class _Dumper(getattr(yaml, 'CSafeDumper', object) if HAS_YAML else object):
    pass


def _str_representer(dumper, data):
    if '\n' in data:
        return dumper.represent_scalar('tag:yaml.org,2002:str', data, style='|')
    return dumper.represent_scalar('tag:yaml.org,2002:str', data)


if HAS_YAML:
    if _Dumper.__mro__[1] is object:  # pragma: no cover - no libyaml
        class _Dumper(yaml.SafeDumper):  # pylint: disable=function-redefined
            pass
    _Dumper.add_representer(str, _str_representer)


def dump_objects(objects):
    """Deterministic multi-document YAML of ``objects`` (block style, literal multi-line strings)."""
    return yaml.dump_all(list(objects), Dumper=_Dumper, default_flow_style=False, sort_keys=False,
                         explicit_start=True, allow_unicode=True, width=1 << 16)


_NODE_FILES = {'KubeadmControlPlane': ('spec', 'kubeadmConfigSpec', 'files'),
               'KubeadmConfigTemplate': ('spec', 'template', 'spec', 'files')}
_CREDENTIAL_LINE = re.compile(r'^(\s*(?:username|password) = )".*"$', re.M)


def mask_secrets(objects):
    """Copies of ``objects`` with every Secret value replaced by ``********``, and the registry mirror's
    credentials in the nodes' containerd configuration (where EKS Anywhere writes them) masked too."""
    out = []
    for obj in objects:
        if obj.get('kind') == 'Secret' and obj.get('apiVersion') == 'v1':
            obj = copy.deepcopy(obj)
            for field in SECRET_FIELDS:
                if isinstance(obj.get(field), dict):
                    obj[field] = dict((k, MASK) for k in obj[field])
        elif obj.get('kind') in _NODE_FILES and any(
                f.get('path') == CONTAINERD_APPEND for f in get(obj, *_NODE_FILES[obj['kind']], default=[]) or []):
            obj = copy.deepcopy(obj)
            for item in get(obj, *_NODE_FILES[obj['kind']]):
                if item.get('path') == CONTAINERD_APPEND:
                    item['content'] = _CREDENTIAL_LINE.sub(r'\1"%s"' % MASK, item['content'])
        out.append(obj)
    return out


def summarize(objects):
    """{'kinds': {kind: count}, 'objects': [{apiVersion, kind, name, namespace}]} (no secret values)."""
    kinds = {}
    listing = []
    for obj in objects:
        kinds[obj['kind']] = kinds.get(obj['kind'], 0) + 1
        meta = obj.get('metadata') or {}
        item = {'apiVersion': obj['apiVersion'], 'kind': obj['kind'], 'name': meta.get('name')}
        if meta.get('namespace'):
            item['namespace'] = meta['namespace']
        listing.append(item)
    return {'kinds': dict(sorted(kinds.items())), 'objects': listing}


def template_names(objects):
    """The template names the objects use: {control_plane, etcd, worker_groups: {md name: {...}}}."""
    names = {'control_plane': None, 'etcd': None, 'machine_deployments': {}}
    for obj in objects:
        if obj['kind'] == 'KubeadmControlPlane':
            names['control_plane'] = obj['spec']['machineTemplate']['spec']['infrastructureRef']['name']
        elif obj['kind'] == 'EtcdadmCluster':
            names['etcd'] = obj['spec']['infrastructureTemplate']['name']
        elif obj['kind'] == 'MachineDeployment':
            tspec = obj['spec']['template']['spec']
            names['machine_deployments'][obj['metadata']['name']] = {
                'machine_template': tspec['infrastructureRef']['name'],
                'config_template': tspec['bootstrap']['configRef']['name'], 'replicas': obj['spec'].get('replicas')}
    return names


MAX_MANIFEST_BYTES = 64 * 1024 * 1024


def generated_dir(output_dir, cluster_name):
    return layout(output_dir, cluster_name)['generated']


def file_names(cluster_name):
    return dict((key, '%s-capi-%s.yaml' % (cluster_name, key)) for key, dummy in FILES)


def manifest_texts(objects, cluster_name):
    """{file name: text} for the objects (grouped by their output file)."""
    names = file_names(cluster_name)
    groups = group_objects(objects)
    return dict((names[key], dump_objects(objs)) for key, objs in groups.items() if objs)


def load_objects(previous):
    """Objects from a directory of YAML files, one YAML file, or a list of mappings."""
    if previous is None or previous == '':
        return []
    if isinstance(previous, (list, tuple)):
        return [o for o in previous if isinstance(o, dict)]
    if not isinstance(previous, str):
        raise RenderError('previous must be a directory, a YAML file or a list of objects', 'previous')
    paths = []
    if os.path.islink(previous):
        raise RenderError('%s is a symbolic link: refusing to read the previous output through it (remove it)' % previous,
                          'previous')
    if os.path.isdir(previous):
        paths = [os.path.join(previous, n) for n in sorted(os.listdir(previous)) if n.endswith(('.yaml', '.yml'))]
    elif os.path.lexists(previous):
        paths = [previous]
    else:
        raise RenderError('%s does not exist' % previous, 'previous')
    out = []
    for path in paths:
        try:
            raw = read_file(path, limit=MAX_MANIFEST_BYTES, root=os.path.dirname(os.path.abspath(path)))
            out += [d for d in yaml.load_all(raw.decode('utf-8', 'replace'), Loader=SAFE_LOADER) if isinstance(d, dict)]
        except FileError as exc:
            raise RenderError('cannot read the previous output: %s' % exc.message, 'previous')
        except yaml.YAMLError as exc:  # the secrets file is among them: name the place, never the text
            raise RenderError('cannot read the previous output %s: %s (remove the file to render it anew)'
                              % (path, yaml_error_message(exc)[0]), 'previous')
    return out


# a Secret holds at most 1 MiB: the manifests kept in a cluster's state Secret stay under it
MAX_STORED_MANIFESTS_BYTES = 768 * 1024


def stored_manifests(objects):
    """The text kept in a cluster's state Secret (key ``manifests``): its Cluster API objects without the Secrets.

    What a day-2 job in a new folder renders the changed spec against (template names, what rolls); the credentials
    are never part of it (the upgrade renders them anew from the job's own)."""
    kept = [o for o in objects or [] if isinstance(o, dict) and o.get('kind') != 'Secret']
    if not any(o.get('kind') == 'KubeadmControlPlane' for o in kept):
        raise RenderError('the manifests hold no KubeadmControlPlane: they are not the output of a create or upgrade',
                          'manifests')
    text = dump_objects(kept)
    if len(text.encode('utf-8')) > MAX_STORED_MANIFESTS_BYTES:
        raise RenderError('the manifests are larger than %d bytes: they cannot be kept in a Secret'
                          % MAX_STORED_MANIFESTS_BYTES, 'manifests')
    return text


def objects_from_stored(data, where):
    """The objects of a state Secret's ``manifests`` (bytes or text); ``where`` names the Secret in errors."""
    if isinstance(data, bytes):
        data = data.decode('utf-8', 'replace')
    if len(data.encode('utf-8')) > MAX_STORED_MANIFESTS_BYTES:
        raise RenderError('%s: the stored manifests are larger than %d bytes' % (where, MAX_STORED_MANIFESTS_BYTES),
                          'previous')
    try:
        objects = [d for d in yaml.load_all(data, Loader=SAFE_LOADER) if isinstance(d, dict)]
    except yaml.YAMLError as exc:
        raise RenderError('%s: the stored manifests cannot be read: %s (store them again: run the upgrade from the '
                          'folder of the create, or give previous)' % (where, yaml_error_message(exc)[0]), 'previous')
    if not any(o.get('kind') == 'KubeadmControlPlane' for o in objects):
        raise RenderError('%s: the stored manifests hold no KubeadmControlPlane' % where, 'previous')
    return objects


def write_manifests(objects, output_dir, cluster_name, check_mode=False, redact=()):
    """Write the manifests under ``<output_dir>/<cluster>/generated/`` (dir 0700, files 0600).

    Below ``output_dir`` no link is followed (common/files.py): a link at ``<cluster>``, ``generated`` or a file is
    refused with FileError naming it, and the previous content for the diff is read with the same rule.  The
    strings in ``redact`` (e.g. proxy credentials) are masked in the diff texts, as Secret values are.

    Returns {'path', 'files': [paths], 'changed': bool, 'changed_files': [paths], 'before': {path: text},
    'after': {path: text}} where before/after hold the texts with Secret values masked (for a diff).
    Files are replaced atomically and only when their content changes; check mode writes nothing.
    """
    directory = generated_dir(output_dir, cluster_name)
    texts = manifest_texts(objects, cluster_name)
    masked = manifest_texts(mask_secrets(objects), cluster_name)
    result = {'path': directory, 'files': [], 'changed': False, 'changed_files': [], 'before': {}, 'after': {}}
    order = [name for key, name in sorted(file_names(cluster_name).items(), key=lambda kv: [k for k, d in FILES].index(kv[0]))]
    for fname in [n for n in order if n in texts]:
        path = os.path.join(directory, fname)
        result['files'].append(path)
        raw = read_file(path, limit=MAX_MANIFEST_BYTES, root=output_dir, missing_ok=True)
        old = raw.decode('utf-8', 'replace') if raw is not None else None
        mode_ok = old is None or file_mode(path) == 0o600
        if old == texts[fname] and mode_ok:
            continue
        result['changed'] = True
        result['changed_files'].append(path)
        old_masked = ''
        if old is not None:
            try:
                old_masked = dump_objects(mask_secrets([d for d in yaml.load_all(old, Loader=SAFE_LOADER) if isinstance(d, dict)]))
            except yaml.YAMLError:
                old_masked = '(unparsable previous content)\n'
        result['before'][path] = _redact(old_masked, redact)
        result['after'][path] = _redact(masked[fname], redact)
        if check_mode:
            continue
        write_private(path, texts[fname], root=output_dir)
    if not check_mode and os.path.isdir(directory) and not os.path.islink(directory) and \
            (os.stat(directory).st_mode & 0o777) != 0o700:
        os.chmod(directory, 0o700)
        result['changed'] = True
    return result


def _redact(text, secrets):
    for secret in secrets:
        if secret:
            text = text.replace(secret, '********')
    return text
