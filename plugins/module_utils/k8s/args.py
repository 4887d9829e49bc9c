# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Argument specs of Kubernetes authentication and of waiting (doc fragments eksa.anywhere.k8s_auth, eksa.anywhere.wait)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# No env fallback here: connection_from_params completes the options from K8S_AUTH_* variables itself, so that a
# kubeconfig or context given with the task wins over host/token variables of the environment.
K8S_AUTH_ARG_SPEC = dict(
    kubeconfig=dict(type="raw"),
    context=dict(type="str"),
    host=dict(type="str"),
    api_key=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", aliases=["verify_ssl"]),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"]),
    client_cert=dict(type="path", aliases=["cert_file"]),
    client_key=dict(type="path", aliases=["key_file"], no_log=False),
    proxy=dict(type="str"),
    no_proxy=dict(type="str"),
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
