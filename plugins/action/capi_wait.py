# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Action plugin of eksa.anywhere.capi_wait: waits on the controller so progress lines show while it waits."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import status as capi_status
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec

display = Display()

ARG_SPEC = k8s_argument_spec(
    name=dict(type="str", required=True),
    namespace=dict(type="str", default="eksa-system"),
    external_etcd=dict(type="bool", default=True),
    etcd_timeout=dict(type="int", default=3600),
    control_plane_timeout=dict(type="int", default=3600),
    per_machine_timeout=dict(type="int", default=600),
    wait_sleep=dict(type="int", default=10),
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARG_SPEC)
        progress = []

        def report(line):
            progress.append(line)
            display.display("  %s" % line)

        def detail(line):
            display.v("    %s" % line)

        try:
            conn = k8s_client.connection_from_params(args)
        except k8s_client.K8sError as exc:
            raise AnsibleActionFail("cannot connect to the management cluster: %s" % exc)
        client = None
        try:
            client = k8s_client.K8sClient(conn)
            if self._task.check_mode:
                state = {
                    "control-plane": capi_status.control_plane_state(client, args["name"], args["namespace"]),
                    "workers": capi_status.workers_state(client, args["name"], args["namespace"]),
                }
                result.update(changed=False, state=state, progress=progress)
                return result
            timeouts = {"etcd": args["etcd_timeout"], "control-plane": args["control_plane_timeout"],
                        "per-machine": args["per_machine_timeout"]}
            state = capi_status.wait_cluster(client, args["name"], args["namespace"], timeouts=timeouts, progress=report,
                                             external_etcd=args["external_etcd"], sleep=args["wait_sleep"],
                                             detail=detail if display.verbosity >= 1 else None)
            result.update(changed=False, state=state, progress=progress)
        except capi_status.WaitFailed as exc:
            result.update(failed=True, msg=str(exc), state=exc.state, progress=progress)
        except k8s_client.K8sError as exc:
            result.update(failed=True, msg="lost the management cluster while waiting: %s" % exc, progress=progress)
        finally:
            if client is not None:
                client.close()
            conn.close()  # removes the temporary key files whatever happened
        return result
