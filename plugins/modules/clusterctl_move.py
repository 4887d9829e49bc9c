#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: clusterctl_move
short_description: Move a cluster's Cluster API objects from one management cluster to another with clusterctl, and verify it
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Pre-checks that the Cluster is ready and every Machine has a node, runs C(clusterctl move) (with retries), then checks
    that every Cluster API object and Secret of the namespace exists in the target (counts per kind) and none is left in the source.
  - The source is given with the eksa.anywhere.k8s_auth options, the target with O(to_kubeconfig).
  - Idempotent and resumable. A cluster already moved is left alone. A move cut short (a killed or canceled job) is made
    whole. Cut short while creating in the target (the source still complete, and paused - which clusterctl refuses), the
    source is unpaused and clusterctl move runs again, updating what it created. Cut short while deleting from the source,
    it is finished as clusterctl would (what is left in the source is marked C(clusterctl.cluster.x-k8s.io/delete-for-move),
    deleted, its finalizers removed; then the target is unpaused) - unpausing that source would let its controllers
    replace what was already deleted. Cut short before the unpause, the target is unpaused.
options:
  name:
    description: The cluster's name.
    type: str
    required: true
  namespace:
    description: The namespace of the Cluster API objects.
    type: str
    default: eksa-system
  to_kubeconfig:
    description: Kubeconfig of the target management cluster.
    type: path
    required: true
  to_context:
    description: Context of O(to_kubeconfig) to use.
    type: str
  retries:
    description: How many times to run clusterctl move before giving up.
    type: int
    default: 3
  retry_delay:
    description: Seconds between two tries.
    type: int
    default: 5
  binary_path:
    description: The clusterctl executable; found on C(PATH) when omitted.
    type: path
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
attributes:
  check_mode:
    description: Runs the pre-checks and reports whether a move would happen.
    support: full
  diff_mode:
    description: Not supported.
    support: none
"""

EXAMPLES = r"""
- name: Moving cluster management from bootstrap to workload cluster
  eksa.anywhere.clusterctl_move:
    kubeconfig: mgmt/generated/mgmt.kind.kubeconfig
    to_kubeconfig: mgmt/mgmt-eks-a-cluster.kubeconfig
    name: mgmt
"""

RETURN = r"""
moved:
  description: Objects per kind now in the target.
  returned: always
  type: dict
  sample: {"Cluster": 1, "Machine": 8, "Secret": 12}
left_in_source:
  description: Objects per kind still in the source (empty on success).
  returned: always
  type: dict
resumed:
  description: What was done to make a move cut short whole, one line per step (empty for a move in one go).
  returned: always
  type: list
  elements: str
attempts:
  description: How many times clusterctl move ran.
  returned: always
  type: int
cmd:
  description: The last clusterctl command.
  returned: when clusterctl ran
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import move as capi_move
from ansible_collections.eksa.anywhere.plugins.module_utils.capi import status as capi_status

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import waiter
from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import fail_cli, k8s_from_module
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec
from ansible_collections.eksa.anywhere.plugins.module_utils.tools.cli import CliError, PrivateDir, Tool, module_runner
from ansible_collections.eksa.anywhere.plugins.module_utils.tools.clusterctl import belongs_to


def count(client, namespace, name):
    """Objects per kind in namespace; Secrets only when they belong to the cluster (name prefix or label)."""
    counts = {}
    for api_version, kind in capi_status.CAPI_KINDS:
        if not client.serves(api_version, kind):
            continue
        items = client.list(api_version, kind, namespace=namespace)
        if kind == "Secret":
            items = [i for i in items if belongs_to(i, name)]
        if items:
            counts[kind] = len(items)
    return counts


def verify(module, src, dst, p, result, before):
    """Every object counted in the source before the move (when known) is in the target, none is left in the source."""
    if module.check_mode:
        module.exit_json(**result)
    try:
        result["moved"] = count(dst, p["namespace"], p["name"])
        result["left_in_source"] = count(src, p["namespace"], p["name"])
    except k8s_client.K8sError as exc:
        module.fail_json(msg="moved, but cannot verify: %s" % exc, **result)
    short = dict((k, v - result["moved"].get(k, 0)) for k, v in (before or {}).items() if result["moved"].get(k, 0) < v)
    leftover = result["left_in_source"]
    if short or leftover:
        module.fail_json(msg="clusterctl move did not move everything: missing in target %s; left in source %s; run again to complete it"
                         % (short or "nothing", leftover or "nothing"), **result)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=k8s_argument_spec(
            name=dict(type="str", required=True),
            namespace=dict(type="str", default="eksa-system"),
            to_kubeconfig=dict(type="path", required=True),
            to_context=dict(type="str"),
            retries=dict(type="int", default=3),
            retry_delay=dict(type="int", default=5),
            binary_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    src_conn, src = k8s_from_module(module, what="source (bootstrap) cluster")
    try:
        dst_conn = k8s_client.load_kubeconfig(p["to_kubeconfig"], p["to_context"])
        dst = k8s_client.K8sClient(dst_conn)
    except k8s_client.K8sError as exc:
        src_conn.close()
        module.fail_json(msg="cannot connect to the target cluster: %s" % exc)
    private = PrivateDir()
    result = dict(changed=False, moved={}, left_in_source={}, attempts=0, resumed=[])
    try:
        try:
            # a move cut short (a killed or canceled job): made whole, or ready for clusterctl move to run again
            stage = capi_move.inspect(src, dst, p["name"], p["namespace"])
            if stage in ("creating", "deleting", "unpause"):
                result["changed"] = True
                result["resumed"] = capi_move.complete(src, dst, p["name"], p["namespace"], stage, check_mode=module.check_mode)
                if stage != "creating":
                    verify(module, src, dst, p, result, before=None)
            in_src = src.serves(capi_status.CAPI, "Cluster") and src.get(capi_status.CAPI, "Cluster", p["name"], p["namespace"])
            in_dst = dst.serves(capi_status.CAPI, "Cluster") and dst.get(capi_status.CAPI, "Cluster", p["name"], p["namespace"])
            if not in_src:
                if in_dst:
                    result["moved"] = count(dst, p["namespace"], p["name"])
                    module.exit_json(**result)
                module.fail_json(msg="Cluster %s/%s is in neither the source nor the target: create it first" % (p["namespace"], p["name"]), **result)
            if not in_dst:
                ok, why = capi_status.cluster_ready(src, p["name"], p["namespace"])
                if not ok:
                    module.fail_json(msg="cannot move yet: %s" % why, **result)
                missing = capi_status.machines_without_node(src, p["name"], p["namespace"])
                if missing:
                    module.fail_json(msg="cannot move yet: machines without a node: %s" % ", ".join(missing), **result)
            before = count(src, p["namespace"], p["name"])
        except k8s_client.K8sError as exc:
            module.fail_json(msg=str(exc), **result)
        result["changed"] = True
        if module.check_mode:
            result["moved"] = before
            module.exit_json(**result)
        try:
            tool = Tool("clusterctl", module_runner(module), p["binary_path"], env={"CLUSTERCTL_DISABLE_VERSIONCHECK": "true"})
        except CliError as exc:
            fail_cli(module, exc, **result)
        src_kc = private.write_kubeconfig(src_conn, "source.kubeconfig")
        dst_kc = private.write_kubeconfig(dst_conn, "target.kubeconfig")
        args = ["move", "--kubeconfig", src_kc, "--to-kubeconfig", dst_kc, "--namespace", p["namespace"]]
        result["cmd"] = [tool.binary, "move", "--kubeconfig", "<source>", "--to-kubeconfig", "<target>", "--namespace", p["namespace"]]

        def attempt_move(attempt):
            result["attempts"] = attempt
            return tool.run(args)
        try:
            result["stdout"] = waiter.retry(attempt_move, p["retries"], p["retry_delay"], "clusterctl move", retry_on=(CliError,))
        except CliError as exc:
            fail_cli(module, exc, **result)
        verify(module, src, dst, p, result, before)
    finally:
        private.cleanup()
        src_conn.close()
        dst_conn.close()


if __name__ == "__main__":
    main()
