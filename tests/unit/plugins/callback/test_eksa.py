# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""The eksa.anywhere.eksa stdout callback, fed with callback events: EKS Anywhere's lines, no task chatter."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import uuid

import pytest

from ansible_collections.eksa.anywhere.plugins.callback import eksa


class FakeDisplay(object):
    def __init__(self, verbosity=0):
        self.verbosity = verbosity
        self.lines = []
        self.warnings = []

    def display(self, msg, color=None, stderr=False, screen_only=False, log_only=False, newline=True):
        self.lines.extend(msg.splitlines() or [''])

    def _warning(self, warning):
        self.warnings.append(getattr(warning, 'summary', warning))

    def warning(self, msg, formatted=False):
        self.warnings.append(msg)

    def _error(self, error, stderr=False):
        self.lines.append('TRACEBACK %s' % error)

    def __getattr__(self, name):  # v, vv, ... and anything else CallbackBase may call
        return lambda *args, **kwargs: None


class Block(object):
    def __init__(self, block=(), rescue=(), parent=None):
        self._uuid = str(uuid.uuid4())
        self.block = list(block)
        self.rescue = list(rescue)
        self._parent = parent


class Task(object):
    def __init__(self, name, action='ansible.builtin.debug', parent=None):
        self._uuid = str(uuid.uuid4())
        self.name = name
        self.action = action
        self._parent = parent

    def get_name(self):
        return self.name


class Result(object):
    def __init__(self, task, result):
        self.task = task
        self.result = result


def callback(verbosity=0):
    display = FakeDisplay(verbosity)
    return eksa.CallbackModule(display=display), display


def ok(cb, name, msg=None, action='ansible.builtin.debug', **extra):
    task = Task(name, action)
    cb.v2_playbook_on_task_start(task, False)
    res = dict(extra)
    if msg is not None:
        res['msg'] = msg
    cb.v2_runner_on_ok(Result(task, res))


def test_prints_the_eksa_lines_and_nothing_else():
    cb, display = callback()
    ok(cb, 'Performing setup and validations', 'Performing setup and validations')
    ok(cb, 'Load, default and validate the cluster spec', action='eksa.anywhere.cluster_spec', changed=False,
       spec={'cluster': {}})
    ok(cb, 'Show the validation results', [u'\u2705 Connected to server', u'\u2705 Vsphere Provider setup is valid'])
    cb.v2_runner_on_skipped(Result(Task('Installing AddonManager and GitOps Toolkit on workload cluster'), {'skipped': True}))
    ok(cb, 'Apply the spec', action='eksa.anywhere.k8s_apply', changed=True)
    ok(cb, 'Cluster created', u'\U0001f389 Cluster created!')
    assert display.lines == ['Performing setup and validations', u'\u2705 Connected to server',
                             u'\u2705 Vsphere Provider setup is valid', u'\U0001f389 Cluster created!']


def test_verbose_adds_the_task_names_once_each():
    cb, display = callback(verbosity=1)
    ok(cb, 'Creating new bootstrap cluster', 'Creating new bootstrap cluster')
    ok(cb, 'Create or reuse the bootstrap cluster', action='eksa.anywhere.kind_bootstrap')
    assert display.lines == ['- Creating new bootstrap cluster', 'Creating new bootstrap cluster',
                             '- Create or reuse the bootstrap cluster']


def test_a_failure_is_one_error_line_with_its_details():
    cb, display = callback()
    task = Task('Wait', 'eksa.anywhere.capi_wait')
    cb.v2_runner_on_failed(Result(task, {'failed': True, 'msg': 'timed out after 3s\nwaiting for workers',
                                         'exception': 'Traceback...'}))
    assert display.lines == ['Error: timed out after 3s', '  waiting for workers']


def test_a_module_failure_shows_its_stderr():
    cb, display = callback()
    cb.v2_runner_on_failed(Result(Task('x', 'eksa.anywhere.k8s_apply'), {'msg': 'MODULE FAILURE', 'module_stderr': 'boom\n'}))
    assert display.lines == ['Error: MODULE FAILURE', '  boom']


def test_a_failure_handled_by_a_rescue_is_shown_by_the_rescue_only():
    cb, display = callback()
    outer = Block()
    inner = Task('Wait for etcd, the control plane and the workers', 'eksa.anywhere.capi_wait', parent=outer)
    report = Task('Fail with what went wrong and what to do', 'ansible.builtin.fail', parent=outer)
    outer.block, outer.rescue = [inner], [report]
    cb.v2_runner_on_failed(Result(inner, {'msg': 'timed out'}))
    assert display.lines == []
    cb.v2_runner_on_failed(Result(report, {'msg': 'Creating new workload cluster failed: timed out'}))
    assert display.lines == ['Error: Creating new workload cluster failed: timed out']
    # with -v the handled failure is shown, marked as handled
    cb, display = callback(verbosity=1)
    cb.v2_runner_on_failed(Result(inner, {'msg': 'timed out'}))
    assert display.lines == ['- Wait for etcd, the control plane and the workers', '  (handled) timed out']


def test_a_failure_in_a_role_included_in_a_rescued_block():
    outer = Block()
    include = Task('Run the vSphere preflight', 'ansible.builtin.include_role', parent=outer)
    outer.block, outer.rescue = [include], [Task('Show')]
    role_block = Block(parent=include)
    task = Task('preflight', 'eksa.anywhere.vsphere_validate', parent=role_block)
    role_block.block = [task]
    assert eksa.rescued(task)
    assert not eksa.rescued(outer.rescue[0])


def test_ignored_errors_are_silent_unless_verbose():
    cb, display = callback()
    cb.v2_runner_on_failed(Result(Task('Collect diagnostics', 'eksa.anywhere.capi_diagnostics'), {'msg': 'no'}),
                           ignore_errors=True)
    assert display.lines == []


def test_warnings_are_shown(monkeypatch):
    cb, display = callback()

    class Current(object):
        warnings = ['mgmt.yaml: spec.folder is not set']
        deprecations = []
        exception = None

    cb._current_task_result = Current()
    ok(cb, 'Load', action='eksa.anywhere.cluster_spec', warnings=['mgmt.yaml: spec.folder is not set'])
    assert display.warnings == ['mgmt.yaml: spec.folder is not set']
    assert display.lines == []


@pytest.mark.parametrize('msg, lines', [
    ('one', ['one']),
    ('one\ntwo', ['one', 'two']),
    (['a', 'b\nc'], ['a', 'b', 'c']),
    ({'k': 1}, ['{', '  "k": 1', '}']),
    ('', ['']),
])
def test_message_lines(msg, lines):
    assert eksa.message_lines(msg) == lines


def test_debug_below_its_verbosity_prints_nothing():
    cb, display = callback()
    cb.v2_runner_on_skipped(Result(Task('Report what was moved'), {'skipped_reason': 'Verbosity threshold not met.'}))
    assert display.lines == []


def test_stats_only_with_verbose():
    class Stats(object):
        processed = {'localhost': 1}

        @staticmethod
        def summarize(host):
            return {'ok': 3, 'changed': 1, 'failures': 0, 'skipped': 2, 'rescued': 0, 'unreachable': 0, 'ignored': 0}

    cb, display = callback()
    cb.v2_playbook_on_stats(Stats())
    assert display.lines == []
    cb, display = callback(verbosity=1)
    cb.v2_playbook_on_stats(Stats())
    assert display.lines == ['localhost: ok=3, changed=1, failures=0, skipped=2, rescued=0']
