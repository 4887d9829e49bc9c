# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The vSphere extras: failure domains and deployment zones, the cloud provider's ClusterResourceSet and ConfigMap,
and the credentials Secrets (the only objects carrying the vSphere passwords)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

try:
    import yaml
except ImportError:  # pragma: no cover
    yaml = None

from ansible_collections.eksa.anywhere.plugins.module_utils.capi._base import b64, dump_plain


def failure_domain_names(job):
    """{spec failure domain name: VSphereFailureDomain name}."""
    ctx = job.ctx
    dc_spec = ctx.datacenter.get('spec') or {}
    return dict((fd['name'], '%s-%s-%s' % (ctx.name, ctx.datacenter['metadata']['name'], fd['name']))
                for fd in dc_spec.get('failureDomains') or [])


def render_failure_domains(job):
    ctx = job.ctx
    names = failure_domain_names(job)
    fds = [{'name': names[fd['name']], 'compute_cluster': fd.get('computeCluster'), 'datastore': fd.get('datastore'),
            'network': fd.get('network'), 'resource_pool': fd.get('resourcePool'), 'folder': fd.get('folder')}
           for fd in (ctx.datacenter.get('spec') or {}).get('failureDomains') or []]
    if not fds:
        return []
    return job.engine.objects('vsphere_failure_domains.yaml.j2', dict(job.base, failure_domains=fds,
                                                                      datacenter_config_name=ctx.datacenter['metadata']['name']))


def _host_port(server):
    """('vc.example.com', '') or ('127.0.0.1', '8443') from a datacenter config's server (host or host:port)."""
    if server.count(':') == 1:
        host, dummy, port = server.partition(':')
        if port.isdigit():
            return host, port
    return server, ''


def render_cloud_provider(job):
    """The cloud provider's ClusterResourceSet and ConfigMap."""
    ctx, base = job.ctx, job.base
    dc_spec = ctx.datacenter.get('spec') or {}
    cp_cfg = ctx.cspec.get('controlPlaneConfiguration') or {}
    host, port = _host_port(base['vsphere']['server'])
    vcenter = {'datacenters': [base['vsphere']['datacenter']], 'secretName': 'cloud-provider-vsphere-credentials',
               'secretNamespace': 'kube-system', 'server': host, 'thumbprint': base['vsphere']['thumbprint']}
    if port:
        vcenter['port'] = port
    vsphere_conf = dump_plain({
        'global': {'secretName': 'cloud-provider-vsphere-credentials', 'secretNamespace': 'kube-system',
                   'thumbprint': base['vsphere']['thumbprint'], 'insecureFlag': bool(dc_spec.get('insecure'))},
        'vcenter': {host: vcenter}})
    cpi = job.engine.text('cpi_manifests.yaml.j2', dict(base, vsphere_conf=vsphere_conf,
                                                        cp_taints=ctx.taints(cp_cfg.get('taints'))))
    cpi_docs = [d for d in yaml.load_all(cpi, Loader=job.engine.loader) if d]
    cpi_text = ''.join('---\n' + dump_plain(d) for d in cpi_docs)
    return job.engine.objects('vsphere_cpi.yaml.j2', dict(base, cpi_manifests=cpi_text))


def render_secrets(job):
    """CAPV's identity Secret and the cloud provider's credentials (wrapped for the ClusterResourceSet)."""
    username, password, cp_username, cp_password = job.ctx.credentials
    # the cloud provider looks its credentials up as <server>.username/.password, the server without its port (a
    # Secret key cannot hold a colon: Kubernetes refuses "host:port.password")
    server = _host_port(job.base['vsphere']['server'])[0]
    cpi_secret = dump_plain({'apiVersion': 'v1', 'kind': 'Secret', 'type': 'Opaque',
                             'metadata': {'name': 'cloud-provider-vsphere-credentials', 'namespace': 'kube-system'},
                             'data': {'%s.username' % server: b64(cp_username), '%s.password' % server: b64(cp_password)}})
    return job.engine.objects('vsphere_secrets.yaml.j2', dict(job.base, creds={
        'username_b64': b64(username), 'password_b64': b64(password), 'cpi_secret_yaml': cpi_secret}))
