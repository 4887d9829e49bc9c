# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Kubernetes API authentication options, named as kubernetes.core names them."""

    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file, or E(K8S_AUTH_KUBECONFIG).
      - Used when O(host) is not given. Tools run by the module get a private copy (mode 0600) of it.
    type: path
  context:
    description: The kubeconfig context to use, or E(K8S_AUTH_CONTEXT).
    type: str
  host:
    description: The API server URL, or E(K8S_AUTH_HOST). Use with O(api_key) or O(client_cert)/O(client_key).
    type: str
  api_key:
    description: A bearer token, or E(K8S_AUTH_API_KEY). Never logged.
    type: str
  validate_certs:
    description: Verify the API server's certificate, or E(K8S_AUTH_VERIFY_SSL).
    type: bool
    default: true
    aliases: [verify_ssl]
  ca_cert:
    description: CA certificate file of the API server, or E(K8S_AUTH_SSL_CA_CERT).
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description: Client certificate file, or E(K8S_AUTH_CERT_FILE).
    type: path
    aliases: [cert_file]
  client_key:
    description: Client key file, or E(K8S_AUTH_KEY_FILE).
    type: path
    aliases: [key_file]
"""
