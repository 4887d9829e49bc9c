# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Argument specs of Kubernetes authentication and of waiting (doc fragments eksa.anywhere.k8s_auth, eksa.anywhere.wait)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import env_fallback

K8S_AUTH_ARG_SPEC = dict(
    kubeconfig=dict(type="path", fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG"])),
    context=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_CONTEXT"])),
    host=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_HOST"])),
    api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["K8S_AUTH_API_KEY"])),
    validate_certs=dict(type="bool", default=True, aliases=["verify_ssl"], fallback=(env_fallback, ["K8S_AUTH_VERIFY_SSL"])),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"], fallback=(env_fallback, ["K8S_AUTH_SSL_CA_CERT"])),
    client_cert=dict(type="path", aliases=["cert_file"], fallback=(env_fallback, ["K8S_AUTH_CERT_FILE"])),
    client_key=dict(type="path", aliases=["key_file"], no_log=False, fallback=(env_fallback, ["K8S_AUTH_KEY_FILE"])),
)

WAIT_ARG_SPEC = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=3600),
    wait_sleep=dict(type="int", default=10),
)


def k8s_argument_spec(with_wait=False, **extra):
    """Kubernetes auth options (plus the waiting ones) plus the module's own."""
    spec = dict(K8S_AUTH_ARG_SPEC)
    if with_wait:
        spec.update(WAIT_ARG_SPEC)
    spec.update(extra)
    return spec
