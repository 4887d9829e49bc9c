# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Benchmark-only callback: wall time of every task (and the time its result says it waited), as JSON to $TASK_TIMER_OUT."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: task_timer
type: aggregate
short_description: Time per task (benchmarks only)
description: Records each task's action, name, wall time and C(waited) result as JSON to E(TASK_TIMER_OUT).
requirements:
  - enabled in bench/upgrade.py
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.tasks = []
        self.current = None

    def _close(self):
        if self.current is not None:
            self.current["seconds"] = time.monotonic() - self.current.pop("_start")
            self.tasks.append(self.current)
        self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self.current = {"action": task.action, "name": task.get_name(), "waited": 0.0, "_start": time.monotonic()}

    def _result(self, result):
        if self.current is not None:
            self.current["waited"] += float((result._result or {}).get("waited") or 0.0)

    v2_runner_on_ok = _result
    v2_runner_item_on_ok = _result

    def v2_playbook_on_stats(self, stats):
        self._close()
        out = os.environ.get("TASK_TIMER_OUT")
        if out:
            with open(out, "w") as handle:
                json.dump(self.tasks, handle, indent=2)
