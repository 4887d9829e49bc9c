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
      - A kubeconfig - the path of a file, several paths joined with V(:) (merged as kubectl merges C(KUBECONFIG)),
        or the kubeconfig itself as a dictionary - or E(K8S_AUTH_KUBECONFIG).
      - Credential plugins (C(exec)) and the auth-providers the Python C(kubernetes) client supports are run; a user entry
        whose credentials cannot be used fails naming the entry, never sends anonymous requests.
      - C(insecure-skip-tls-verify) must be a YAML boolean, as kubectl requires (V("false") as a string is refused).
      - B(Precedence.) A O(kubeconfig) or O(context) given with the task wins over E(K8S_AUTH_HOST), E(K8S_AUTH_API_KEY),
        E(K8S_AUTH_SSL_CA_CERT), E(K8S_AUTH_CERT_FILE) and E(K8S_AUTH_KEY_FILE) in the environment (what an AWX Kubernetes
        credential exports) - those apply only to tasks that name no kubeconfig or context.
      - Without O(kubeconfig), O(context) and O(host), the pod's service account is used when running in a cluster
        (E(KUBERNETES_SERVICE_HOST)), else E(KUBECONFIG) (merged) or C(~/.kube/config).
      - Tools run by the module get a private copy (mode 0600) of the resolved connection.
    type: raw
  context:
    description: The kubeconfig context to use, or E(K8S_AUTH_CONTEXT).
    type: str
  host:
    description:
      - The API server URL, or E(K8S_AUTH_HOST). Use with O(api_key) or O(client_cert)/O(client_key).
      - Given with the task together with O(kubeconfig), it overrides the kubeconfig's server.
    type: str
  api_key:
    description: A bearer token, or E(K8S_AUTH_API_KEY). Never logged.
    type: str
  validate_certs:
    description:
      - Verify the API server's certificate, or E(K8S_AUTH_VERIFY_SSL). Defaults to V(true).
      - Turning it off (here or with C(insecure-skip-tls-verify) in the kubeconfig) prints a warning.
    type: bool
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
  proxy:
    description:
      - The URL of an HTTP proxy to reach the API server through, or E(K8S_AUTH_PROXY).
      - Overrides the kubeconfig's C(proxy-url).
    type: str
  no_proxy:
    description: Comma-separated hosts, domains and CIDRs reached without the proxy, or E(K8S_AUTH_NO_PROXY).
    type: str
requirements:
  - kubernetes (the Python client) >= 37.0.0
"""
