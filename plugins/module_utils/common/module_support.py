# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""What the modules share around AnsibleModule: clients from the shared options, uniform failures."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.module_utils.tools.cli import CliError


def require_libs(module):
    if not k8s_client.HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    if not k8s_client.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=str(k8s_client.REQUESTS_IMPORT_ERROR))


def k8s_from_module(module, params=None, what="cluster"):
    """(Connection, K8sClient) from the eksa.anywhere.k8s_auth options, failing the module cleanly."""
    require_libs(module)
    try:
        conn = k8s_client.connection_from_params(params or module.params)
        return conn, k8s_client.K8sClient(conn)
    except k8s_client.K8sError as exc:
        module.fail_json(msg="cannot connect to the %s: %s" % (what, exc))


def fail_cli(module, exc, **result):
    """Fail with a tool's rc/stdout/stderr (never a traceback); what the caller gives (a redacted cmd) wins."""
    details = dict(result)
    if isinstance(exc, CliError):
        details.update(exc.to_dict())  # this failure's rc/stdout/stderr
        if "cmd" in result:
            details["cmd"] = result["cmd"]  # the caller's form of it: temporary kubeconfig paths redacted
    module.fail_json(msg=str(exc), **details)
