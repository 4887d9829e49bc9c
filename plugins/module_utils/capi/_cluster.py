# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The Cluster object family: the values every template shares, the Cluster and its infrastructure cluster."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.eksa.anywhere.plugins.module_utils.spec import bundles as _bundles
from ansible_collections.eksa.anywhere.plugins.module_utils.capi._base import (
    ENDPOINT_PORT, NAMESPACE, TLS_CIPHER_SUITES, RenderError, fact, thumbprint,
)


def base_values(job):
    """The values every template sees (cluster name, network, release, provider connection)."""
    ctx = job.ctx
    base = {
        'cluster_name': ctx.name, 'namespace': NAMESPACE, 'provider': ctx.provider, 'release': ctx.release,
        'pods_cidrs': ctx.pods, 'services_cidrs': ctx.services, 'endpoint_host': ctx.endpoint,
        'endpoint_port': ENDPOINT_PORT, 'tls_cipher_suites': TLS_CIPHER_SUITES,
        'machine_template_kind': job.machine_template_kind,
        'infra_cluster_kind': 'VSphereCluster' if job.vsphere else 'DockerCluster',
        'credentials_secret': '%s-vsphere-credentials' % ctx.name, 'etcd': None,
    }
    if job.vsphere:
        dc_spec = ctx.datacenter.get('spec') or {}
        dc_name = fact(ctx.facts, 'datacenter_name') or dc_spec.get('datacenter', '').strip('/').split('/')[-1]
        base['vsphere'] = {
            'server': dc_spec.get('server'),
            'thumbprint': thumbprint(dc_spec, ctx.facts),
            'datacenter': fact(ctx.facts, 'datacenter', 'datacenter_path') or dc_spec.get('datacenter'),
            'datacenter_name': dc_name,
        }
    else:
        repo, tag = _bundles.split_image(ctx.release.get('haproxy_image') or '')
        node_image = ctx.release.get('kind_node_image')
        if not node_image:
            raise RenderError('the Bundles manifest has no kind node image for the docker provider',
                              'bundle.versionsBundles[].eksD.kindNode.uri')
        base['docker'] = {'haproxy_repository': repo, 'haproxy_tag': tag, 'node_image': node_image}
    return base


def render_cluster(job):
    """[Cluster, VSphereCluster | DockerCluster]; needs base['etcd'] set by the etcd family first."""
    return job.engine.objects('cluster.yaml.j2', job.base)
