# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: eksa
type: stdout
short_description: Prints what C(eksctl anywhere) prints, without Ansible's task chatter
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - An optional stdout callback for the collection's playbooks (C(eksa.anywhere.create_cluster),
    C(eksa.anywhere.validate_cluster), C(eksa.anywhere.generate_clusterconfig)) that shows what
    C(eksctl anywhere) shows, that is EKS Anywhere's lines (C(Creating new bootstrap cluster), the C(✅) preflight lines,
    C(🎉 Cluster created!)), the progress lines printed while waiting, warnings and errors, and at the end the
    cluster's kubeconfig and how to use it.
  - No task headers, no C(ok:)/C(skipping:) lines, no recap. The lines shown are the messages of the playbooks'
    C(ansible.builtin.debug) tasks, so Ansible's default callback (and AWX) shows the same lines, in the same order,
    among its own output.
  - With C(-v) each task's name is shown before its lines; with C(-vvv) the result of every task is shown too.
  - A failure inside a C(block) whose C(rescue) reports it is shown only with C(-v), as the rescue prints the error.
  - Enable it with E(ANSIBLE_STDOUT_CALLBACK=eksa.anywhere.eksa) (C(make demo) does) or C(stdout_callback =
    eksa.anywhere.eksa) in the C([defaults]) section of C(ansible.cfg).
requirements:
  - Set as the stdout callback (E(ANSIBLE_STDOUT_CALLBACK) or C(stdout_callback) in C(ansible.cfg)).
"""

EXAMPLES = r"""
# ANSIBLE_STDOUT_CALLBACK=eksa.anywhere.eksa ansible-playbook eksa.anywhere.create_cluster \
#   -e cluster_config=mgmt.yaml -e bundle=bundles.yaml
# Performing setup and validations
# ✅ Connected to server
# ...
# Creating new bootstrap cluster
# ...
# 🎉 Cluster created!
# The cluster's kubeconfig: /home/me/clusters/mgmt/mgmt-eks-a-cluster.kubeconfig
# Use it: export KUBECONFIG=/home/me/clusters/mgmt/mgmt-eks-a-cluster.kubeconfig; kubectl get nodes
"""

import json

from ansible import constants as C
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.callback import CallbackBase

DEBUG_ACTIONS = frozenset(('debug', 'ansible.builtin.debug', 'ansible.legacy.debug'))


def _result_of(result):
    """The result dict and task of a callback result (ansible-core 2.19+ and earlier)."""
    res = getattr(result, 'result', None)
    if not isinstance(res, dict):
        res = getattr(result, '_result', {})
    task = getattr(result, 'task', None) or getattr(result, '_task', None)
    return res, task


def message_lines(msg):
    """The lines of a debug message: a string's lines, a list's items, anything else as JSON."""
    if msg is None:
        return []
    if isinstance(msg, str):
        return to_text(msg).splitlines() or ['']
    if isinstance(msg, (list, tuple)):
        lines = []
        for item in msg:
            lines.extend(message_lines(item) if isinstance(item, str) else [_json(item)])
        return lines
    return _json(msg).splitlines()


def _json(value):
    try:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=to_text)
    except (TypeError, ValueError):
        return to_text(value)


def rescued(task):
    """True when a failure of ``task`` is handled by the rescue of a block around it (the rescue reports it)."""
    child = task
    parent = getattr(task, '_parent', None)
    while parent is not None:
        if getattr(parent, 'rescue', None):
            ids = [getattr(t, '_uuid', None) for t in getattr(parent, 'block', None) or []]
            if getattr(child, '_uuid', None) in ids:
                return True
        child, parent = parent, getattr(parent, '_parent', None)
    return False


def error_text(res):
    """What went wrong, in one message: the module's msg, else its stderr or output."""
    msg = res.get('msg')
    lines = message_lines(msg) if msg else []
    for key in ('stderr', 'module_stderr', 'stdout', 'module_stdout'):
        extra = res.get(key)
        if extra and (not lines or msg in ('MODULE FAILURE', 'non-zero return code')):
            lines.extend(to_text(extra).strip().splitlines()[-20:])
            break
    return lines or ['the task failed (run with -vvv for its result)']


class CallbackModule(CallbackBase):
    """Shows EKS Anywhere's lines, progress, warnings and errors; task names with -v."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'eksa.anywhere.eksa'

    def __init__(self, display=None):
        super(CallbackModule, self).__init__(display=display)
        self._shown_task = None

    # ------------------------------------------------------------------ helpers
    def _verbose(self, level=1):
        return self._display.verbosity >= level

    def _task_name(self, task):
        if task is not None and self._verbose() and self._shown_task != getattr(task, '_uuid', task):
            self._shown_task = getattr(task, '_uuid', task)
            self._display.display('- %s' % task.get_name().strip(), color=C.COLOR_VERBOSE)

    def _lines(self, lines, color=None):
        for line in lines:
            self._display.display(line, color=color)

    def _warnings(self, result):
        """Warnings and deprecations as Ansible shows them; a failure's traceback only with -vvv."""
        res, dummy = _result_of(result)
        self._handle_warnings(res)
        if self._verbose(3):
            self._handle_exception(res)
        else:
            res.pop('exception', None)

    def _dump(self, res):
        if self._verbose(3):
            shown = dict((k, v) for k, v in res.items() if not k.startswith('_ansible'))
            self._lines(['  ' + line for line in _json(shown).splitlines()], color=C.COLOR_VERBOSE)

    # ------------------------------------------------------------------ events
    def v2_playbook_on_task_start(self, task, is_conditional):
        if self._verbose():
            self._task_name(task)

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_runner_on_start(self, host, task):
        pass

    def v2_runner_on_ok(self, result):
        self._warnings(result)
        res, task = _result_of(result)
        if task is not None and task.action in DEBUG_ACTIONS and 'msg' in res:
            self._lines(message_lines(res['msg']))
        elif self._verbose(2) and res.get('changed'):
            self._display.display('  changed', color=C.COLOR_CHANGED)
        self._dump(res)

    def v2_runner_item_on_ok(self, result):
        self.v2_runner_on_ok(result)

    def v2_runner_on_skipped(self, result):
        if self._verbose(2):
            res, dummy = _result_of(result)
            self._display.display('  skipped%s' % (': %s' % res['skip_reason'] if res.get('skip_reason') else ''),
                                  color=C.COLOR_SKIP)

    def v2_runner_item_on_skipped(self, result):
        self.v2_runner_on_skipped(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._warnings(result)
        res, task = _result_of(result)
        lines = error_text(res)
        if ignore_errors or (task is not None and rescued(task)):
            # a best-effort step, or one whose rescue reports the failure: only with -v
            if self._verbose():
                self._task_name(task)
                self._lines(['  (handled) %s' % line for line in lines], color=C.COLOR_VERBOSE)
        else:
            self._lines(['Error: %s' % lines[0]] + ['  %s' % line for line in lines[1:]], color=C.COLOR_ERROR)
        self._dump(res)

    def v2_runner_item_on_failed(self, result):
        res, task = _result_of(result)
        label = self._get_item_label(res)
        self._lines(['Error: %s: %s' % (to_text(label), line) for line in error_text(res)], color=C.COLOR_ERROR)

    def v2_runner_on_unreachable(self, result):
        res, dummy = _result_of(result)
        self._lines(['Error: cannot reach the host: %s' % line for line in error_text(res)], color=C.COLOR_UNREACHABLE)

    def v2_runner_retry(self, result):
        if self._verbose():
            res, dummy = _result_of(result)
            self._display.display('  retrying (%s of %s)' % (res.get('attempts'), res.get('retries')),
                                  color=C.COLOR_VERBOSE)

    def v2_on_file_diff(self, result):
        res, dummy = _result_of(result)
        if 'diff' in res and res.get('changed', True):
            diff = self._get_diff(res['diff'])
            if diff:
                self._display.display(diff)

    def v2_playbook_on_no_hosts_matched(self):
        self._display.display('Error: no hosts matched', color=C.COLOR_ERROR)

    def v2_playbook_on_stats(self, stats):
        if self._verbose():
            for host in sorted(stats.processed.keys()):
                summary = stats.summarize(host)
                self._display.display('%s: %s' % (host, ', '.join('%s=%s' % (k, summary[k]) for k in
                                                                  ('ok', 'changed', 'failures', 'skipped', 'rescued'))),
                                      color=C.COLOR_VERBOSE)
