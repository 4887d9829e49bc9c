# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The registry mirror family: the Secret of an authenticated mirror's credentials (the nodes' mirror settings are
derived in _nodes from spec.registry_mirror)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.eksa.anywhere.plugins.module_utils.capi._base import b64

CREDENTIALS_SECRET = 'registry-credentials'  # the Secret EKS Anywhere keeps the mirror's credentials in


def render_registry_secret(job):
    """[the registry-credentials Secret] for an authenticated mirror, else []."""
    mirror = job.ctx.mirror
    if not mirror or not mirror.authenticate:
        return []
    return job.engine.objects('registry_credentials.yaml.j2', dict(job.base, registry={
        'secret_name': CREDENTIALS_SECRET, 'username_b64': b64(mirror.username), 'password_b64': b64(mirror.password)}))
