# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""EKS Anywhere's validations before a workload cluster is created on a management cluster.

What ``eksctl anywhere create cluster -f w.yaml --kubeconfig mgmt.kubeconfig`` checks (createvalidations of EKS Anywhere
v0.26) when ``spec.managementCluster.name`` names another cluster, under the same names, in the same order:

  validate cluster name                                  the name is not taken by a Cluster API cluster there
  validate gitops                                        (a spec with GitOps) its config name is free there, and its
                                                         spec is the management cluster's
  validate identity providers' name                      (a spec with identity providers) their names are free there
  validate management cluster has eksa crds             the management cluster serves both Cluster CRDs
  validate management cluster name is valid              ``managementCluster.name`` is an EKS Anywhere Cluster there,
                                                         and one that manages itself (not another's workload cluster)
  validate management cluster eksaVersion compatibility  the workload's eksaVersion is not newer than the management's
  validate management cluster bundle supports kubernetes version
                                                         the Bundles the management cluster runs (its bundlesRef, or the
                                                         EKSARelease of its eksaVersion) has the workload's version

``check_create(client, spec)`` returns a report (see there); ``client`` is a ``k8s.client.K8sClient`` (only ``serves``,
``get`` and ``list`` are used). A cluster of the same name that an earlier run of the same create left (its EKS Anywhere
Cluster there names the same management cluster) is not a conflict: the create resumes it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.running import API_VERSION as EKSA
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.running import CAPI_API_VERSION as CAPI
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.running import SYSTEM_NAMESPACE as NAMESPACE

__all__ = ['PASS', 'FAIL', 'check_create', 'compare_versions', 'eksa_release_name', 'management_name', 'is_workload']

PASS = u'\u2705 '
FAIL = u'\u274c '
RELEASE_API = 'anywhere.eks.amazonaws.com/v1alpha1'


def _get(obj, *keys):
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def management_name(cluster):
    """``spec.managementCluster.name`` of an EKS Anywhere Cluster object (its own name when unset)."""
    return _get(cluster, 'spec', 'managementCluster', 'name') or _get(cluster, 'metadata', 'name')


def is_workload(cluster):
    """Whether the Cluster object is managed by another cluster (EKS Anywhere's Cluster.IsManaged)."""
    return management_name(cluster) != _get(cluster, 'metadata', 'name')


def _semver(text):
    """(major, minor, patch) of v1.2.3 (pre-release and build dropped), None when it is not one."""
    core = str(text or '').lstrip('v').split('-', 1)[0].split('+', 1)[0]
    parts = core.split('.')
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


def compare_versions(a, b):
    """-1, 0, 1 as semver a <, ==, > b; ValueError naming the bad one."""
    va, vb = _semver(a), _semver(b)
    if va is None or vb is None:
        raise ValueError('not a semantic version: %s' % (a if va is None else b))
    return (va > vb) - (va < vb)


def eksa_release_name(version):
    """The EKSARelease object name of an EKS Anywhere version (eksa-v0-26-1 for v0.26.1), as EKS Anywhere names it."""
    return 'eksa-' + str(version).replace('.', '-')


class _Report(object):
    def __init__(self):
        self.checks = []

    def add(self, name, error=None, remediation='', note=''):
        self.checks.append({'name': name, 'status': 'failed' if error else 'passed', 'message': error or note or '',
                            'remediation': remediation if error else ''})

    def as_dict(self, **extra):
        failures = [c for c in self.checks if c['status'] == 'failed']
        messages = []
        for c in self.checks:
            if c['status'] == 'passed':
                messages.append(PASS + c['name'] + (' (%s)' % c['message'] if c['message'] else ''))
        if failures:
            messages.append(FAIL + 'Validation failed')
            for c in failures:
                messages.append(u'%s%s: %s' % (FAIL, c['name'], c['message']))
                if c['remediation']:
                    messages.append('   remediation: %s' % c['remediation'])
        out = dict(checks=self.checks, messages=messages, failed=bool(failures),
                   errors=['%s: %s' % (c['name'], c['message']) for c in failures])
        out.update(extra)
        return out


def _find_eksa_cluster(client, name):
    """The EKS Anywhere Cluster ``name`` in any namespace (None when there is none)."""
    for obj in client.list(EKSA, 'Cluster'):
        if _get(obj, 'metadata', 'name') == name:
            return obj
    return None


def _management_bundles(client, mgmt):
    """(Bundles object, where it was found) of the release the management cluster runs, (None, why) when none is."""
    ref = _get(mgmt, 'spec', 'bundlesRef')
    if isinstance(ref, dict) and ref.get('name'):
        if not client.serves(RELEASE_API, 'Bundles'):
            return None, 'the management cluster serves no Bundles'
        where = 'Bundles %s/%s' % (ref.get('namespace') or 'default', ref['name'])
        return client.get(RELEASE_API, 'Bundles', ref['name'], ref.get('namespace') or 'default'), where
    version = _get(mgmt, 'spec', 'eksaVersion')
    if version and client.serves(RELEASE_API, 'EKSARelease'):
        release = client.get(RELEASE_API, 'EKSARelease', eksa_release_name(version), NAMESPACE)
        bref = _get(release, 'spec', 'bundlesRef')
        if isinstance(bref, dict) and bref.get('name') and client.serves(RELEASE_API, 'Bundles'):
            bns = bref.get('namespace') or NAMESPACE
            where = 'Bundles %s/%s (EKSARelease %s)' % (bns, bref['name'], eksa_release_name(version))
            return client.get(RELEASE_API, 'Bundles', bref['name'], bref.get('namespace') or NAMESPACE), where
    return None, 'no bundlesRef, and no EKSARelease of its eksaVersion, on the management cluster'


def _gitops_error(client, gitops, namespace, mgmt_name, resume):
    """EKS Anywhere's ValidateGitOps: the config's name is free, and its spec is the management cluster's."""
    kind = gitops.get('kind') or 'GitOpsConfig'
    name = _get(gitops, 'metadata', 'name')
    if not resume and client.serves(EKSA, kind) and client.get(EKSA, kind, name, namespace):
        return 'gitOpsConfig %s already exists' % name
    mgmt = _find_eksa_cluster(client, mgmt_name)
    ref = _get(mgmt, 'spec', 'gitOpsRef') or {}
    mgmt_config = client.get(EKSA, ref.get('kind') or kind, ref['name'], _get(mgmt, 'metadata', 'namespace') or 'default') \
        if ref.get('name') and client.serves(EKSA, ref.get('kind') or kind) else None
    if mgmt_config is None:
        return 'workload cluster gitOpsConfig is invalid: the management cluster %s has no GitOps configuration' % mgmt_name
    if (mgmt_config.get('spec') or {}) != (gitops.get('spec') or {}):
        return ('workload cluster gitOpsConfig is invalid: expected gitOpsConfig to be the same between management and '
                'its workload clusters')
    return None


def check_create(client, spec, capi_namespace=NAMESPACE):
    """Run the workload-cluster create validations; returns a dict:

    ``failed`` (bool), ``errors`` (list of 'name: message'), ``messages`` (EKS Anywhere's lines), ``checks`` (name,
    status, message, remediation), ``management`` (the management cluster's name), ``resume`` (True when an earlier run
    of this create left the cluster there), ``management_eksa_version``.
    ``spec`` is the normalized spec (``spec['cluster']`` is the EKS Anywhere Cluster object).
    """
    cluster = spec['cluster']
    name = _get(cluster, 'metadata', 'name')
    namespace = _get(cluster, 'metadata', 'namespace') or 'default'
    mgmt_name = management_name(cluster)
    rep = _Report()

    serves_capi = client.serves(CAPI, 'Cluster')
    serves_eksa = client.serves(EKSA, 'Cluster')
    existing = client.get(EKSA, 'Cluster', name, namespace) if serves_eksa else None
    resume = bool(existing) and management_name(existing) == mgmt_name and is_workload(existing)

    # validate cluster name
    taken = serves_capi and bool(client.get(CAPI, 'Cluster', name, capi_namespace))
    if existing and not resume:
        rep.add('validate cluster name', 'cluster name %s already exists' % name,
                'choose another name: the EKS Anywhere Cluster %s/%s on the management cluster is %s'
                % (namespace, name, 'a self-managed cluster' if not is_workload(existing)
                   else 'managed by %s' % management_name(existing)))
    elif taken and not resume:
        rep.add('validate cluster name', 'cluster name %s already exists' % name,
                'choose another name: the management cluster %s already has a Cluster API cluster %s in %s'
                % (mgmt_name, name, capi_namespace))
    else:
        rep.add('validate cluster name', note='an earlier create of %s, resumed' % name if resume else '')

    # validate gitops (EKS Anywhere: only when the spec has a GitOps configuration)
    gitops = spec.get('gitops')
    if isinstance(gitops, dict) and serves_eksa:
        rep.add('validate gitops', _gitops_error(client, gitops, namespace, mgmt_name, resume))

    # validate identity providers' name (only for a spec with identity providers)
    refs = [r for r in (_get(cluster, 'spec', 'identityProviderRefs') or []) if isinstance(r, dict) and r.get('name')]
    if refs and serves_eksa:
        taken_idps = [] if resume else [r['name'] for r in refs if client.serves(EKSA, r.get('kind') or 'OIDCConfig')
                                        and client.get(EKSA, r.get('kind') or 'OIDCConfig', r['name'], namespace)]
        rep.add("validate identity providers' name",
                'the following identityProviders already exists [%s]' % ' '.join(taken_idps) if taken_idps else None,
                'rename the identity provider objects of the spec: namespace %s of the management cluster already has '
                'objects of those names' % namespace)

    # validate management cluster has eksa crds
    missing = [crd for crd, ok in (('clusters.cluster.x-k8s.io', serves_capi), ('clusters.anywhere.eks.amazonaws.com', serves_eksa))
               if not ok]
    if missing:
        rep.add('validate management cluster has eksa crds',
                'the server doesn\'t have a resource type %s' % ', '.join(missing),
                'give the kubeconfig of an EKS Anywhere management cluster (management_kubeconfig)')
    else:
        rep.add('validate management cluster has eksa crds')

    # validate management cluster name is valid
    remediation = ('Specify a valid management cluster in the cluster spec. This cannot be a workload cluster that is '
                   'managed by a different management cluster.')
    mgmt = _find_eksa_cluster(client, mgmt_name) if serves_eksa else None
    if mgmt is None:
        names = sorted(_get(o, 'metadata', 'name') for o in client.list(EKSA, 'Cluster')
                       if not is_workload(o)) if serves_eksa else []
        rep.add('validate management cluster name is valid',
                'unable to retrieve management cluster %s: clusters.anywhere.eks.amazonaws.com "%s" not found '
                '(spec.managementCluster.name of %s; the cluster management_kubeconfig points at manages: %s)'
                % (mgmt_name, mgmt_name, name, ', '.join(names) or 'no EKS Anywhere cluster'), remediation)
    elif is_workload(mgmt):
        rep.add('validate management cluster name is valid',
                '%s is not a valid management cluster (it is a workload cluster managed by %s)'
                % (mgmt_name, management_name(mgmt)), remediation)
    else:
        rep.add('validate management cluster name is valid')

    # validate management cluster eksaVersion compatibility
    w_version = _get(cluster, 'spec', 'eksaVersion')
    m_version = _get(mgmt, 'spec', 'eksaVersion')
    version_error = None
    if mgmt is not None and not _get(cluster, 'spec', 'bundlesRef') and (w_version or m_version):
        if not w_version:
            version_error = 'cluster has nil EksaVersion'
        elif not m_version:
            version_error = 'management cluster has nil EksaVersion'
        else:
            try:
                if compare_versions(w_version, m_version) > 0:
                    version_error = ('cannot upgrade workload cluster to %s while management cluster is an older '
                                     'version: %s' % (w_version, m_version))
            except ValueError as exc:
                version_error = 'parsing EksaVersion: %s' % exc
    rep.add('validate management cluster eksaVersion compatibility', version_error,
            'upgrade management cluster %s before creating workload cluster %s' % (mgmt_name, name))

    # the management cluster's release supports the workload's Kubernetes version
    check = 'validate management cluster bundle supports kubernetes version'
    kube = str(_get(cluster, 'spec', 'kubernetesVersion') or '')
    if mgmt is not None:
        bundles, where = _management_bundles(client, mgmt)
        if bundles is None:
            rep.add(check, note='the management cluster holds no Bundles: checked against the given bundle')
        else:
            offered = sorted(str(_get(vb, 'kubeVersion')) for vb in (_get(bundles, 'spec', 'versionsBundles') or []))
            if kube not in offered:
                rep.add(check, 'the management cluster %s runs %s, which has no versionsBundle for Kubernetes %s '
                        '(it has: %s)' % (mgmt_name, where, kube, ', '.join(offered) or 'none'),
                        'use a Kubernetes version the management cluster supports, or upgrade management cluster %s '
                        'to a release that supports %s first' % (mgmt_name, kube))
            else:
                rep.add(check)
    else:
        rep.add(check, note='no management cluster to check against')

    return rep.as_dict(management=mgmt_name, resume=resume, management_eksa_version=m_version or '')
