# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Action plugin of eksa.anywhere.capi_rollout: applies one upgrade stage and waits on the controller (progress lines)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import rollout
from ansible_collections.eksa.anywhere.plugins.module_utils.capi.status import CAPI
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import apply as k8s_apply
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec

display = Display()

ARG_SPEC = k8s_argument_spec(
    name=dict(type="str", required=True),
    namespace=dict(type="str", default="eksa-system"),
    src=dict(type="list", elements="path", required=True),
    stage=dict(type="str", required=True, choices=list(rollout.STAGES)),
    wait=dict(type="bool", default=True),
    timeout=dict(type="int", default=3600),
    wait_sleep=dict(type="int", default=2),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        try:
            dummy, args = self.validate_argument_spec(argument_spec=ARG_SPEC)
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=to_native(exc.message if hasattr(exc, "message") else exc))
            return result
        try:
            objects = k8s_apply.load_manifest_files(args["src"])
        except k8s_apply.ApplyError as exc:
            result.update(failed=True, msg=to_native(exc))
            return result
        try:
            conn = k8s_client.connection_from_params(args)
        except k8s_client.K8sError as exc:
            result.update(failed=True, msg="cannot connect to the management cluster: %s" % exc)
            return result
        client = k8s_client.K8sClient(conn)
        check = self._task.check_mode
        out = dict(changed=False, applied=[], removed=[], stage=args["stage"])
        try:
            if args["stage"] == "cleanup":
                removed = rollout.removed_groups(client, args["name"], objects, args["namespace"])
                out["removed"] = removed
                out["changed"] = bool(removed)
                if not check:
                    for md_name in removed:
                        client.delete(CAPI, "MachineHealthCheck", "%s-worker-unhealthy" % md_name, args["namespace"])
                        client.delete(CAPI, "MachineDeployment", md_name, args["namespace"])
            else:
                staged = rollout.stage_objects(objects, args["stage"])
                # a server-side dry run first: only objects that would change are written (no needless new
                # resourceVersion, so a finished upgrade re-run changes nothing)
                planned = dict(k8s_apply.apply_objects(client, staged, namespace=args["namespace"], check_mode=True))
                changing = [o for o in staged if planned.get(k8s_apply.ref(o)) != "unchanged"]
                applied = dict(planned)
                if changing and not check:
                    applied.update(k8s_apply.apply_objects(client, changing, namespace=args["namespace"]))
                out["applied"] = ["%s %s" % (state, ref) for ref, state in sorted(applied.items())]
                out["changed"] = bool(changing)
            if check or not args["wait"]:
                out["state"] = rollout.stage_state(client, args["name"], args["stage"], objects, args["namespace"])
            else:
                started = time.monotonic()
                out["state"] = rollout.wait_stage(client, args["name"], args["stage"], objects, args["timeout"],
                                                  sleep=args["wait_sleep"], namespace=args["namespace"],
                                                  progress=lambda line: display.display("  %s" % line))
                out["waited"] = round(time.monotonic() - started, 3)
        except rollout.RolloutFailed as exc:
            out.update(failed=True, msg=exc.message, state=exc.state)
        except (k8s_client.K8sError, k8s_apply.ApplyError) as exc:
            out.update(failed=True, msg="%s stage of cluster %s: %s" % (args["stage"], args["name"], to_native(exc)))
        finally:
            client.close()
            conn.close()
        result.update(out)
        return result
