# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The cluster context, resolved once by the first phase of a create and handed to every later one.

It owns the three things the phases must not each work out again:

* ``layout(output_dir, name)``: THE file layout of a cluster, ``<output_dir>/<name>/...`` (every path the collection
  writes or reads for a cluster comes from here);
* ``resolve_release(...)``: the Bundles manifest read once (a path, a ``file://`` or ``https://`` URL with an optional
  CA), the versionsBundle and the release values of the cluster's and each worker group's Kubernetes version, with
  relative and ``embed:///`` references resolved against the manifest and remote component manifests downloaded once;
* ``vsphere_credentials(...)``: the vSphere credentials - the option, then EKS Anywhere's ``EKSA_VSPHERE_*``
  variables, then AWX's ``VMWARE_*`` ones; ``registry_credentials(...)``: a registry mirror's, the option then
  ``REGISTRY_USERNAME`` / ``REGISTRY_PASSWORD`` (the only place of the collection that reads credentials from the
  environment, with the Kubernetes client's ``K8S_AUTH_*``).

Independent of AnsibleModule; imports only ``spec.bundles`` and ``common.files``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import os

from ansible_collections.eksa.anywhere.plugins.module_utils.spec import bundles as _bundles
from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import (
    FileError, cluster_root, file_mode, read_file, write_private,
)

BundleError = _bundles.BundleError
HAS_YAML = _bundles.HAS_YAML

# the component manifests of a versionsBundle the create applies or hands to clusterctl (dotted paths to a uri)
MANIFEST_REFS = (
    'clusterAPI.components', 'clusterAPI.metadata', 'bootstrap.components', 'bootstrap.metadata',
    'controlPlane.components', 'controlPlane.metadata', 'etcdadmBootstrap.components', 'etcdadmBootstrap.metadata',
    'etcdadmController.components', 'etcdadmController.metadata', 'vSphere.components', 'vSphere.metadata',
    'vSphere.clusterTemplate', 'docker.components', 'docker.metadata', 'certManager.manifest', 'cilium.manifest',
    'eksa.components',
)

# option -> EKS Anywhere's variable -> AWX's (the vmware.vmware credential type) variable
CREDENTIAL_VARIABLES = {
    'username': ('EKSA_VSPHERE_USERNAME', 'VMWARE_USER'),
    'password': ('EKSA_VSPHERE_PASSWORD', 'VMWARE_PASSWORD'),
    'cp_username': ('EKSA_VSPHERE_CP_USERNAME',),
    'cp_password': ('EKSA_VSPHERE_CP_PASSWORD',),
    'hostname': ('VMWARE_HOST',),
}
# option -> EKS Anywhere's variable of an authenticated registry mirror's credentials
REGISTRY_VARIABLES = {
    'username': ('REGISTRY_USERNAME',),
    'password': ('REGISTRY_PASSWORD',),
}


# ---------------------------------------------------------------------------------------------- layout
def layout(output_dir, name, bootstrap_kubeconfig=None):
    """Every path of cluster ``name`` under ``output_dir`` (as EKS Anywhere lays out ``./<name>/``)."""
    root = os.path.join(output_dir or '.', name)
    generated = os.path.join(root, 'generated')
    kind_kubeconfig = os.path.join(generated, '%s.kind.kubeconfig' % name)
    return {
        'output_dir': output_dir or '.',
        'dir': root,
        'generated': generated,
        'kubeconfig': os.path.join(root, '%s-eks-a-cluster.kubeconfig' % name),
        'spec_file': os.path.join(root, '%s-eks-a-cluster.yaml' % name),
        'kind_kubeconfig': kind_kubeconfig,
        'kind_config': os.path.join(generated, 'kind_tmp.yaml'),
        'kind_certs': os.path.join(generated, 'kind-certs.d'),
        'bootstrap_kubeconfig': bootstrap_kubeconfig or kind_kubeconfig,
        'clusterctl_repository': os.path.join(generated, 'clusterctl'),
        'bundle_cache': os.path.join(generated, 'bundle'),
        'diagnostics': generated,
    }


# ---------------------------------------------------------------------------------------------- credentials
def _first(value, names, environ):
    if value:
        return value, 'option'
    for name in names:
        if environ.get(name):
            return environ[name], name
    return None, None


def vsphere_credentials(username=None, password=None, cp_username=None, cp_password=None, environ=None):
    """{username, password, cp_username, cp_password, source}: each from the option, else EKSA_VSPHERE_*, else VMWARE_*.

    ``cp_*`` (the vSphere cloud provider's own user) are empty unless given; ``source`` names where the user came
    from (never a value).  A half-given pair is a ValueError saying what to set.
    """
    environ = os.environ if environ is None else environ
    user, user_src = _first(username, CREDENTIAL_VARIABLES['username'], environ)
    pwd, dummy = _first(password, CREDENTIAL_VARIABLES['password'], environ)
    cp_user, dummy = _first(cp_username, CREDENTIAL_VARIABLES['cp_username'], environ)
    cp_pwd, dummy = _first(cp_password, CREDENTIAL_VARIABLES['cp_password'], environ)
    if cp_user and cp_user != user and not cp_pwd:
        raise ValueError('the cloud provider user %s has no password: set vsphere_cp_password or EKSA_VSPHERE_CP_PASSWORD '
                         '(or unset EKSA_VSPHERE_CP_USERNAME to use the main user)' % cp_user)
    return {'username': user or '', 'password': pwd or '', 'cp_username': cp_user or '', 'cp_password': cp_pwd or '',
            'source': user_src or ''}


def registry_credentials(username=None, password=None, environ=None):
    """{username, password} of an authenticated registry mirror: each from the option, else EKS Anywhere's
    ``REGISTRY_USERNAME`` / ``REGISTRY_PASSWORD`` (None when neither is set)."""
    environ = os.environ if environ is None else environ
    user, dummy = _first(username, REGISTRY_VARIABLES['username'], environ)
    pwd, dummy = _first(password, REGISTRY_VARIABLES['password'], environ)
    return {'username': user, 'password': pwd}


def vsphere_hostname(option=None, spec_server=None, environ=None):
    """The vCenter: the option, else the spec's ``server``, else AWX's ``VMWARE_HOST``."""
    environ = os.environ if environ is None else environ
    return option or spec_server or environ.get('VMWARE_HOST') or None


# ---------------------------------------------------------------------------------------------- release
def _at(data, dotted):
    cur = data
    for part in dotted.split('.'):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _cache_name(url):
    """A stable file name for a downloaded manifest: the URL's last part, prefixed by a short hash of the URL."""
    tail = url.split('?', 1)[0].rstrip('/').rsplit('/', 1)[-1] or 'manifest.yaml'
    return '%s-%s' % (hashlib.sha256(url.encode('utf-8')).hexdigest()[:12], tail)


def _localize(vb, base, cache_dir, fetch, downloaded):
    """A copy of the versionsBundle whose manifest references are absolute paths (remote ones downloaded once)."""
    out = dict(vb)
    for dotted in MANIFEST_REFS:
        holder_path, key = dotted.rsplit('.', 1)
        entry = _at(vb, dotted)
        if not isinstance(entry, dict) or not entry.get('uri'):
            continue
        uri = _bundles.resolve_ref(entry['uri'], base)
        if _bundles.is_url(uri):
            if uri not in downloaded:
                downloaded[uri] = fetch(uri) if cache_dir else uri
            uri = downloaded[uri]
        # copy the path down to the entry, so the caller's mapping is never changed
        parent = out
        for part in holder_path.split('.'):
            parent[part] = dict(parent[part])
            parent = parent[part]
        parent[key] = dict(entry, uri=uri)
    return out


def kubernetes_versions(spec):
    """The cluster's Kubernetes version, then each other version a worker group runs (in spec order)."""
    cspec = ((spec or {}).get('cluster') or {}).get('spec') or {}
    versions = [str(cspec.get('kubernetesVersion'))]
    for group in cspec.get('workerNodeGroupConfigurations') or []:
        version = group.get('kubernetesVersion')
        if version and str(version) not in versions:
            versions.append(str(version))
    return versions


def resolve_release(bundle, versions, cache_dir=None, ca_path=None, validate_certs=True, timeout=30, check_mode=False,
                    with_release=True, root=None):
    """Read the Bundles manifest once and resolve what the create needs of each Kubernetes version.

    Returns ``{'versions_bundles': {version: versionsBundle (references absolute)}, 'releases': {version: release values},
    'eksd_releases': {kubeVersion: EKS-D release name, for every version of the manifest}, 'kube_versions': [...],
    'source': bundle, 'downloaded': [urls]}``.  Remote component manifests are downloaded once into ``cache_dir``
    (files 0600, folders 0700 whatever the umask; not in check mode, where their URLs are kept) through
    ``common.files``: below ``root`` (the output folder; default: the folder above ``<cluster>`` when ``cache_dir`` is in
    a cluster's ``<cluster>/generated/`` tree) no link is followed, so a link planted at ``<cluster>/generated`` is
    refused (BundleError naming it).  ``with_release=False`` skips the EKS-D manifests (``releases`` is then empty).
    """
    doc, base = _bundles.load_bundles(bundle, timeout=timeout, ca_path=ca_path, validate_certs=validate_certs)
    downloaded = {}

    def fetch(url):
        if check_mode:
            return url
        path = os.path.join(cache_dir, _cache_name(url))
        data = _bundles.download(url, 'manifest', timeout, ca_path, validate_certs)
        trusted = root or cluster_root(path)
        try:
            current = read_file(path, limit=_bundles.MAX_BUNDLE_BYTES, root=trusted, missing_ok=True)
            if current != data or file_mode(path) != 0o600:
                write_private(path, data, root=trusted)  # creates the missing folders 0700, never through a link
        except FileError as exc:
            raise BundleError('cannot keep the downloaded manifest %s: %s' % (url, exc.message))
        return path

    out = {'source': bundle if isinstance(bundle, str) else 'inline', 'versions_bundles': {}, 'releases': {},
           'kube_versions': _bundles.kube_versions(doc), 'eksd_releases': {}}
    for vb in doc['spec']['versionsBundles']:
        if isinstance(vb, dict) and vb.get('kubeVersion') and _at(vb, 'eksD.name'):
            out['eksd_releases'][str(vb['kubeVersion'])] = vb['eksD']['name']
    for version in versions:
        vb = _bundles.versions_bundle(doc, version)
        local = _localize(vb, base, cache_dir, fetch, downloaded)
        manifest_url = _at(vb, 'eksD.manifestUrl')
        if manifest_url:
            local['eksD'] = dict(local['eksD'], manifestUrl=_bundles.resolve_ref(manifest_url, base))
        out['versions_bundles'][str(version)] = local
        if with_release:
            info = _bundles.release_info(local, base=base, timeout=timeout, ca_path=ca_path, validate_certs=validate_certs)
            info['kube_version_minor'] = str(version)
            out['releases'][str(version)] = info
    out['downloaded'] = sorted(downloaded)
    return out
