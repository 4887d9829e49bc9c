# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Read an EKS Anywhere Bundles manifest and the EKS Distro release it points at.

``load_bundles(source)`` reads a Bundles manifest (a path, a ``file://`` or ``http(s)://`` URL, or an
already-parsed mapping); ``versions_bundle(bundles, kube_version)`` picks the entry of one Kubernetes
minor version; ``release_info(vb, base)`` returns the values the Cluster API templates need (images,
versions, etcd release URL), reading the EKS-D release manifest named by ``eksD.manifestUrl``.
Errors are :class:`BundleError` naming the field.  Nothing here depends on AnsibleModule.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

try:
    from urllib.parse import urljoin
except ImportError:  # pragma: no cover
    from urlparse import urljoin  # type: ignore

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    yaml = None
    HAS_YAML = False

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.loader import SAFE_LOADER, yaml_error_message

BUNDLES_API_VERSION = 'anywhere.eks.amazonaws.com/v1alpha1'
EKSD_API_VERSION = 'distro.eks.amazonaws.com/v1alpha1'
EMBED = 'embed:///'


class BundleError(Exception):
    """A problem with the Bundles manifest or the EKS-D release; ``field`` names where."""

    def __init__(self, message, field=None):
        self.field = field
        self.message = message if field is None else '%s: %s' % (field, message)
        super(BundleError, self).__init__(self.message)


def is_url(source):
    return isinstance(source, str) and source.startswith(('http://', 'https://'))


def resolve_ref(ref, base):
    """An absolute path or URL for a reference of the Bundles manifest.

    ``embed:///dir/name`` (a file embedded in EKS Anywhere's binary) is ``name`` next to the manifest; a relative
    reference is resolved against the manifest's folder or URL (``base``); ``file://`` URLs become paths.
    """
    ref = str(ref)
    if ref.startswith(EMBED):
        ref = ref[len(EMBED):].rsplit('/', 1)[-1]
        if not base:
            raise BundleError('%s is embedded in the EKS Anywhere binary; give the file next to the Bundles manifest'
                              % (EMBED + ref))
    if ref.startswith('file://'):
        return ref[len('file://'):]
    if is_url(ref) or not base or os.path.isabs(ref):
        return ref
    if is_url(base):
        return urljoin(base.rstrip('/') + '/', ref)
    return os.path.join(base, ref)


def download(url, what, timeout=30, ca_path=None, validate_certs=True):
    """The bytes at an http(s) URL (``ca_path``: a CA bundle to trust); BundleError naming what and where."""
    try:
        from ansible.module_utils.urls import open_url
        resp = open_url(url, timeout=timeout, validate_certs=validate_certs, ca_path=ca_path)
        return resp.read()
    except Exception as exc:  # pylint: disable=broad-except
        raise BundleError('cannot download %s %s: %s%s' % (
            what, url, exc, ' (give the CA that signed the server\'s certificate with bundle_ca_path)'
            if 'CERTIFICATE_VERIFY_FAILED' in str(exc) else ''))


def _read(source, what, base=None, timeout=30, ca_path=None, validate_certs=True):
    """(text, base) of a path or URL; ``base`` is the folder or URL the references in it are relative to."""
    source = resolve_ref(source, base) if base or source.startswith(EMBED) else resolve_ref(source, None)
    if is_url(source):
        data = download(source, what, timeout, ca_path, validate_certs)
        return data.decode('utf-8', 'replace'), source.rsplit('/', 1)[0] + '/'
    try:
        with open(source, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace'), os.path.dirname(os.path.abspath(source))
    except (IOError, OSError) as exc:
        raise BundleError('cannot read %s %s: %s' % (what, source, exc.strerror or exc))


def _parse(text, source, what):
    try:
        docs = [d for d in yaml.load_all(text, Loader=SAFE_LOADER) if d is not None]
    except yaml.YAMLError as exc:
        raise BundleError('%s %s is not valid YAML: %s' % (what, source, yaml_error_message(exc)[0]))
    return docs


def load_bundles(source, timeout=30, ca_path=None, validate_certs=True):
    """Return (bundles mapping, base folder or URL, or None) for a path/URL or a parsed mapping."""
    if not HAS_YAML:
        raise BundleError('PyYAML is required to read a Bundles manifest')
    if isinstance(source, dict):
        doc, base, name = source, None, 'inline'
    else:
        if not isinstance(source, str) or not source:
            raise BundleError('give a path or URL of a Bundles manifest', 'bundle')
        text, base = _read(source, 'Bundles manifest', timeout=timeout, ca_path=ca_path, validate_certs=validate_certs)
        docs = _parse(text, source, 'Bundles manifest')
        bundles = [d for d in docs if isinstance(d, dict) and d.get('kind') == 'Bundles']
        if not bundles:
            kinds = ', '.join(sorted(set(str(d.get('kind')) for d in docs if isinstance(d, dict)))) or 'no objects'
            raise BundleError('%s is not a Bundles manifest (kind Bundles, %s): found %s'
                              % (source, BUNDLES_API_VERSION, kinds), 'bundle')
        doc, name = bundles[0], source
    if doc.get('kind') != 'Bundles' or doc.get('apiVersion') != BUNDLES_API_VERSION:
        raise BundleError('%s is not a Bundles manifest: expected apiVersion %s kind Bundles, got %s %s'
                          % (name, BUNDLES_API_VERSION, doc.get('apiVersion'), doc.get('kind')), 'bundle')
    vbs = (doc.get('spec') or {}).get('versionsBundles')
    if not isinstance(vbs, list) or not vbs:
        raise BundleError('the Bundles manifest %s lists no versionsBundles' % name, 'bundle.spec.versionsBundles')
    return doc, base


def kube_versions(bundles):
    return [str(vb.get('kubeVersion')) for vb in bundles['spec']['versionsBundles'] if isinstance(vb, dict)]


def versions_bundle(bundles, kube_version):
    """The versionsBundle entry for ``kube_version`` ("1.29"); BundleError naming the versions offered."""
    kube_version = str(kube_version)
    for vb in bundles['spec']['versionsBundles']:
        if isinstance(vb, dict) and str(vb.get('kubeVersion')) == kube_version:
            return vb
    raise BundleError('Kubernetes version %s is not in the Bundles manifest (it has %s)'
                      % (kube_version, ', '.join(kube_versions(bundles)) or 'none'), 'spec.kubernetesVersion')


def _get(data, dotted, required=True):
    cur = data
    for part in dotted.split('.'):
        if not isinstance(cur, dict) or part not in cur:
            if required:
                raise BundleError('missing in the Bundles manifest\'s versionsBundle', 'versionsBundles[].' + dotted)
            return None
        cur = cur[part]
    return cur


def split_image(uri):
    """(repository, tag) of an image URI (digests kept in the repository part)."""
    uri = str(uri)
    slash = uri.rfind('/')
    colon = uri.rfind(':')
    if colon > slash:
        return uri[:colon], uri[colon + 1:]
    return uri, ''


def _eksd_assets(release):
    images, files = {}, {}
    for comp in (release.get('status') or {}).get('components') or []:
        for asset in comp.get('assets') or []:
            if not isinstance(asset, dict):
                continue
            if isinstance(asset.get('image'), dict) and asset['image'].get('uri'):
                images[asset.get('name')] = asset['image']['uri']
            if isinstance(asset.get('archive'), dict) and asset['archive'].get('uri'):
                files[asset.get('name')] = asset['archive']['uri']
        if comp.get('name') == 'etcd' and comp.get('gitTag'):
            files['etcd-version'] = comp['gitTag']
    return images, files


def load_eksd(vb, base=None, override=None, timeout=30, ca_path=None, validate_certs=True):
    """The EKS-D Release manifest of a versionsBundle (``override``: a path/URL or parsed mapping)."""
    source = override if override is not None else _get(vb, 'eksD.manifestUrl')
    if isinstance(source, dict):
        release = source
    else:
        text, dummy = _read(str(source), 'EKS-D release manifest', base=base, timeout=timeout, ca_path=ca_path,
                            validate_certs=validate_certs)
        docs = [d for d in _parse(text, source, 'EKS-D release manifest') if isinstance(d, dict)]
        release = next((d for d in docs if d.get('kind') == 'Release'), None)
        if release is None:
            raise BundleError('%s is not an EKS-D Release manifest (%s kind Release)' % (source, EKSD_API_VERSION),
                              'versionsBundles[].eksD.manifestUrl')
    return release


def release_info(vb, base=None, eksd=None, timeout=30, ca_path=None, validate_certs=True):
    """Values the templates need from one versionsBundle and its EKS-D release."""
    kube_version = _get(vb, 'eksD.kubeVersion')
    channel = str(_get(vb, 'eksD.channel'))
    release = load_eksd(vb, base, eksd, timeout, ca_path, validate_certs)
    images, files = _eksd_assets(release)
    number = (release.get('spec') or {}).get('number')
    eksd_suffix = 'eks-%s-%s' % (channel, number)

    def image(name, fallback_repo, fallback_tag):
        if images.get(name):
            return split_image(images[name])
        return fallback_repo, fallback_tag

    # EKS-D names every image <registry>/eks-distro/<project>:<gitTag>-eks-<channel>-<number>; a release
    # manifest without components (a lab-made one) falls back to that convention.
    if not images.get('kube-apiserver-image') and not _get(vb, 'eksD.kindNode.uri', required=False):
        raise BundleError('the EKS-D release manifest lists no kube-apiserver-image and the versionsBundle no '
                          'eksD.kindNode image to derive the EKS-D registry from', 'versionsBundles[].eksD.manifestUrl')
    registry = split_image(_get(vb, 'eksD.kindNode.uri', required=False) or images['kube-apiserver-image'])[0].split('/')[0]
    distro = registry + '/eks-distro'
    kube_tag = '%s-%s' % (kube_version, eksd_suffix)
    api_repo, api_tag = image('kube-apiserver-image', distro + '/kubernetes/kube-apiserver', kube_tag)
    coredns_repo, coredns_tag = image('coredns-image', distro + '/coredns/coredns', 'v1.11.1-' + eksd_suffix)
    etcd_repo, etcd_tag = image('etcd-image', distro + '/etcd-io/etcd', 'v3.5.16-' + eksd_suffix)
    pause_repo, pause_tag = image('pause-image', distro + '/kubernetes/pause', kube_tag)
    etcd_version = str(files.get('etcd-version') or etcd_tag.split('-')[0]).lstrip('v')
    etcd_url = files.get('etcd-linux-amd64-v%s.tar.gz' % etcd_version) or ''
    br_repo, br_tag = split_image(_get(vb, 'bottlerocketHostContainers.kubeadmBootstrap.uri', required=False) or '')
    return {
        'kube_version': kube_version,
        'kubernetes_version': api_tag,  # v1.19.8-eks-1-19-4: the Machine/KCP version EKS Anywhere writes
        'image_repository': api_repo.rsplit('/', 1)[0],
        'coredns_repository': coredns_repo.rsplit('/', 1)[0],
        'coredns_tag': coredns_tag,
        'etcd_repository': etcd_repo.rsplit('/', 1)[0],
        'etcd_image': '%s:%s' % (etcd_repo, etcd_tag),
        'etcd_tag': etcd_tag,
        'etcd_version': etcd_version,
        'etcd_url': etcd_url,
        'pause_repository': pause_repo,
        'pause_tag': pause_tag,
        'bottlerocket_bootstrap_repository': br_repo,
        'bottlerocket_bootstrap_tag': br_tag,
        'kube_vip_image': _get(vb, 'vSphere.kubeVip.uri', required=False) or '',
        'cpi_manager_image': _get(vb, 'vSphere.manager.uri', required=False) or '',
        'kind_node_image': _get(vb, 'eksD.kindNode.uri', required=False) or '',
        'haproxy_image': _get(vb, 'haproxy.image.uri', required=False) or '',
        'eksd_release': (release.get('metadata') or {}).get('name') or _get(vb, 'eksD.name', required=False),
        'eksd_from_manifest': bool(images.get('kube-apiserver-image')),
    }
