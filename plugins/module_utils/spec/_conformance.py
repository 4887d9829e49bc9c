# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""EKS Anywhere v0.26 rules of the fields added for conformance (private to the spec model): worker node groups on
their own Kubernetes version, etcd encryption (KMS), host OS certificate bundles, OIDC configuration."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

try:
    from urllib.parse import urlparse
except ImportError:  # pragma: no cover
    from urlparse import urlparse

from ansible_collections.eksa.anywhere.plugins.module_utils.spec._validate import KUBE_VERSION_RE, get, obj_name

MAX_WORKER_VERSION_SKEW = 2   # EKS Anywhere: a worker group may trail the control plane by at most two minors
KMS_SOCKET_PREFIX = 'unix://'


def _minor(version):
    return int(str(version).split('.')[1]) if KUBE_VERSION_RE.fullmatch(str(version or '')) else None


def validate_worker_versions(spec, rep):
    cluster_minor = _minor(spec.get('kubernetesVersion'))
    for i, group in enumerate(spec.get('workerNodeGroupConfigurations') or []):
        version = group.get('kubernetesVersion') if isinstance(group, dict) else None
        if version is None:
            continue
        path = 'spec.workerNodeGroupConfigurations[%d].kubernetesVersion' % i
        minor = _minor(version)
        if minor is None:
            rep.error(path, 'kubernetesVersion %s is not a valid Kubernetes version; use MAJOR.MINOR such as "1.31"' % version)
        elif cluster_minor is not None and minor > cluster_minor:
            rep.error(path, 'worker node group KubernetesVersion %s cannot be greater than cluster KubernetesVersion %s'
                      % (version, spec.get('kubernetesVersion')))
        elif cluster_minor is not None and cluster_minor - minor > MAX_WORKER_VERSION_SKEW:
            rep.error(path, 'cluster KubernetesVersion %s cannot be more than %d minor versions greater than worker node '
                      'group KubernetesVersion %s' % (spec.get('kubernetesVersion'), MAX_WORKER_VERSION_SKEW, version))


def validate_etcd_encryption(spec, rep):
    configs = spec.get('etcdEncryption')
    if configs is None:
        return
    path = 'spec.etcdEncryption'
    if len(configs) != 1:
        rep.error(path, 'invalid number of encryption configurations (%d): currently only one is supported' % len(configs))
    for i, config in enumerate(configs):
        cpath = '%s[%d]' % (path, i)
        if not config.get('providers'):
            rep.error(cpath + '.providers', 'providers cannot be empty; give at least one kms provider')
        if not config.get('resources'):
            rep.error(cpath + '.resources', 'resources cannot be empty; list the resources to encrypt, e.g. secrets')
        names = set()
        for j, provider in enumerate(config.get('providers') or []):
            ppath = '%s.providers[%d].kms' % (cpath, j)
            kms = provider.get('kms')
            if not isinstance(kms, dict):
                rep.error(ppath, 'kms cannot be empty; it is the only provider supported')
                continue
            if not kms.get('name'):
                rep.error(ppath + '.name', 'kms name cannot be empty')
            elif kms['name'] in names:
                rep.error(ppath + '.name', 'kms name %s is used by another provider; names must be unique' % kms['name'])
            names.add(kms.get('name'))
            socket = kms.get('socketListenAddress')
            if not socket:
                rep.error(ppath + '.socketListenAddress', 'kms socketListenAddress cannot be empty')
            elif not socket.startswith(KMS_SOCKET_PREFIX) or len(socket) == len(KMS_SOCKET_PREFIX):
                rep.error(ppath + '.socketListenAddress', 'kms socketListenAddress %s must be a unix socket address '
                          '(unix:///path/to/socket)' % socket)
            timeout = kms.get('timeout')
            if timeout is not None and not _duration_ok(timeout):
                rep.error(ppath + '.timeout', 'kms timeout %s is not a duration (e.g. 3s, 1m)' % timeout)


def _duration_ok(text):
    return bool(re.match(r'^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$', str(text)))


def validate_cert_bundles(mc, rep):
    """hostOSConfiguration.certBundles: Bottlerocket only, each with a name and PEM data."""
    bundles = get(mc, 'spec', 'hostOSConfiguration', 'certBundles')
    if bundles is None:
        return
    path = 'spec.hostOSConfiguration.certBundles'
    if get(mc, 'spec', 'osFamily') != 'bottlerocket':
        rep.error(path, 'certBundles are only supported for the bottlerocket osFamily (VSphereMachineConfig %s has %s)'
                  % (obj_name(mc), get(mc, 'spec', 'osFamily')))
    for i, bundle in enumerate(bundles):
        data = bundle.get('data') or ''
        if not bundle.get('name'):
            rep.error('%s[%d].name' % (path, i), 'certBundles name cannot be empty')
        if not data:
            rep.error('%s[%d].data' % (path, i), 'certBundles data cannot be empty')
        elif '-----BEGIN CERTIFICATE-----' not in data:
            rep.error('%s[%d].data' % (path, i), 'certBundles data must be a PEM certificate (-----BEGIN CERTIFICATE-----)')


def validate_oidc(oidc, rep):
    spec = oidc.get('spec') or {}
    if not spec.get('clientId'):
        rep.error('spec.clientId', 'ClientId is required')
    issuer = spec.get('issuerUrl')
    if not issuer:
        rep.error('spec.issuerUrl', 'IssuerUrl is required')
    else:
        parsed = urlparse(issuer)
        if parsed.scheme != 'https' or not parsed.netloc:
            rep.error('spec.issuerUrl', 'IssuerUrl %s is invalid: it must be an https:// URL' % issuer)
    claims = spec.get('requiredClaims') or []
    if len(claims) > 1:
        rep.error('spec.requiredClaims', 'only one OIDConfig RequiredClaim is supported at this time')
