# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""A cluster's durable state: its admin kubeconfig and its spec as created, in a Secret on a cluster the user names.

A job's working folder (an AWX private data directory) is thrown away when the job ends; the Secret is where the next
job finds what it needs to resume, to report that nothing is left to do, or to hand out the kubeconfig.

The same Secret, on the cluster that manages the cluster (the cluster itself when self-managed, its management cluster
otherwise), also holds the Cluster API manifests the cluster runs with (key ``manifests``, without their Secrets):
what a day-2 job in a new folder compares the changed spec's render with (template names, what rolls).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

DEFAULT_NAMESPACE = 'eksa-anywhere'
LABEL = 'anywhere.eks.amazonaws.com/cluster-state'
KEYS = ('kubeconfig', 'spec', 'manifests')


def secret_name(cluster_name):
    """The Secret holding cluster ``cluster_name``'s state."""
    return '%s-eksa-anywhere-state' % cluster_name


def secret(cluster_name, namespace, data):
    """The Secret object (``data``: key -> bytes)."""
    return {
        'apiVersion': 'v1', 'kind': 'Secret', 'type': 'Opaque',
        'metadata': {'name': secret_name(cluster_name), 'namespace': namespace, 'labels': {LABEL: cluster_name}},
        'data': dict((k, base64.b64encode(v).decode('ascii')) for k, v in sorted(data.items())),
    }


def decode(obj):
    """key -> bytes of a state Secret (empty for None)."""
    data = (obj or {}).get('data') or {}
    return dict((k, base64.b64decode(v)) for k, v in data.items() if k in KEYS)
