# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Benchmark-only callback: wall time per create phase (the role a task belongs to) and per task, written as JSON to
$PHASE_TIMER_OUT ({"phases": {phase: s}, "tasks": [[phase, task, action, s], ...]})."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: phase_timer
type: aggregate
short_description: Time per create phase (benchmarks only)
description: Sums wall time per role of the create workflow and writes it as JSON to E(PHASE_TIMER_OUT).
requirements:
  - enabled in bench/create.py
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase

PHASES = {
    "cluster_spec": "setup and validations", "bootstrap_cluster": "bootstrap", "capi_providers": "capi-install",
    "workload_cluster": "workload", "cluster_networking": "networking", "capi_move": "move",
    "eksa_components": "eksa-components", "cluster_finalize": "finalize",
}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "phase_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.current = None
        self.started = None
        self.totals = {}
        self.tasks = []
        self.task = None
        self.moved_once = False

    def _close(self):
        if self.current is not None:
            took = time.monotonic() - self.started
            self.totals[self.current] = self.totals.get(self.current, 0.0) + took
            self.tasks.append([self.current, self.task[0], self.task[1], round(took, 3)])
        self.current, self.started = None, None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        role = task._role.get_name(include_role_fqcn=False) if task._role else None
        phase = PHASES.get(role, "setup and validations" if task.action.endswith("vsphere_validate") else "other")
        if role == "capi_providers" and self.moved_once:
            phase = "move"
        if role == "capi_move":
            self.moved_once = True
        if role == "capi_providers" and "workload" in str(task.get_vars().get("capi_providers_target", "")):
            phase = "move"
        self.current, self.started = phase, time.monotonic()
        self.task = (task.get_name(), task.action)

    def v2_playbook_on_stats(self, stats):
        self._close()
        out = os.environ.get("PHASE_TIMER_OUT")
        if out:
            with open(out, "w") as handle:
                json.dump({"phases": self.totals, "tasks": self.tasks}, handle, indent=1, sort_keys=True)
