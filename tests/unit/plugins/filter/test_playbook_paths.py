# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Every playbook resolves the paths the user gives through eksa.anywhere.user_path, as create_cluster does.

Two checks: (1) wherever a playbook uses one of the user's path variables in a template (outside the input asserts),
the value goes through ``eksa.anywhere.user_path`` (after an optional ``default``), or is only tested for emptiness;
(2) the play-level path variables of the day-2 playbooks, rendered with Jinja2 and relative ``-e`` values from a
folder of the user's, are absolute paths in that folder.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

import jinja2
import pytest
import yaml

from ansible_collections.eksa.anywhere.plugins.filter.paths import user_path

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
PLAYBOOKS = os.path.join(REPO, 'playbooks')
PATH_VARS = ('cluster_config', 'bundle', 'bundle_ca_path', 'output_dir', 'dest', 'kubeconfig', 'management_kubeconfig',
             'bootstrap_kubeconfig', 'state_kubeconfig', 'vsphere_ca_path', 'kind_binary', 'clusterctl_binary',
             'report_json', 'report_junit')
CHECKED = ('create_cluster.yml', 'validate_cluster.yml', 'generate_clusterconfig.yml', 'upgrade_cluster.yml',
           'delete_cluster.yml', 'cluster_kubeconfig.yml')
EXPRESSION = re.compile(r'\{\{(.*?)\}\}', re.S)
# what may follow a path variable: the filter (after an optional default), or a test of emptiness / type only
RESOLVED = re.compile(r'\s*(\|\s*default\([^()]*\)\s*)?\|\s*(eksa\.anywhere\.user_path\b|length\b)|\s+is\s+(defined|string)\b')


def _load(name):
    with open(os.path.join(PLAYBOOKS, name)) as handle:
        return yaml.safe_load(handle)


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _task_strings(tasks):
    for task in tasks or []:
        if 'ansible.builtin.assert' in task:
            continue  # the input checks test the raw values
        for key in ('block', 'rescue', 'always'):
            if key in task:
                yield from _task_strings(task[key])
        for key, value in task.items():
            if key not in ('block', 'rescue', 'always', 'when', 'name'):
                yield from _strings(value)


def _templates(name):
    for play in _load(name):
        yield from _strings(play.get('vars') or {})
        yield from _task_strings(play.get('tasks'))


def _unresolved(text):
    found = []
    for expression in EXPRESSION.findall(text):
        for var in PATH_VARS:
            for match in re.finditer(r'(?<![\w.\'"])%s(?![\w\'"])' % var, expression):
                if not RESOLVED.match(expression[match.end():]):
                    found.append('%s in {{%s}}' % (var, expression.strip()))
    return found


@pytest.mark.parametrize('name', CHECKED)
def test_every_user_path_goes_through_user_path(name):
    problems = [p for text in _templates(name) for p in _unresolved(text)]
    assert not problems, problems


def test_the_check_finds_a_raw_path():
    assert _unresolved("{{ cluster_config }}") and _unresolved("{{ kubeconfig | default(x, true) }}")
    assert not _unresolved("{{ cluster_config | eksa.anywhere.user_path }}")
    assert not _unresolved("{{ output_dir | default('.', true) | eksa.anywhere.user_path }}")


def _render_vars(play_vars, extra):
    """The play's variables as Ansible would template them (those this test can: no lookups)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters['eksa.anywhere.user_path'] = user_path
    done = dict(extra)
    pending = dict((k, v) for k, v in play_vars.items() if k not in extra and isinstance(v, str) and 'lookup(' not in v)
    for dummy in range(len(pending) + 1):
        for key, value in list(pending.items()):
            try:
                done[key] = env.from_string(value).render(done).strip()
            except jinja2.UndefinedError:
                continue
            del pending[key]
    return done


RELATIVE = {'cluster_config': 'mgmt.yaml', 'bundle': 'bundles.yaml', 'output_dir': 'clusters',
            'kubeconfig': 'kc/mgmt.kubeconfig', 'management_kubeconfig': 'kc/parent.kubeconfig',
            'bootstrap_kubeconfig': 'kc/boot.kubeconfig', 'vsphere_ca_path': 'ca.pem',
            'kind_binary': 'bin/kind', 'clusterctl_binary': 'bin/clusterctl'}


@pytest.mark.parametrize('name, expected', [
    ('upgrade_cluster.yml', {
        'upgrade_spec_path': 'mgmt.yaml', 'upgrade_bundle_path': 'bundles.yaml', 'upgrade_output_dir': 'clusters',
        'upgrade_given_kubeconfig': 'kc/mgmt.kubeconfig', 'upgrade_given_management_kubeconfig': 'kc/parent.kubeconfig',
        'upgrade_ca_path': 'ca.pem'}),
    ('delete_cluster.yml', {
        'delete_spec_path': 'mgmt.yaml', 'delete_bundle_path': 'bundles.yaml', 'delete_output_dir': 'clusters',
        'delete_given_kubeconfig': 'kc/mgmt.kubeconfig', 'delete_given_management_kubeconfig': 'kc/parent.kubeconfig',
        'delete_existing_bootstrap': 'kc/boot.kubeconfig', 'delete_kind_binary': 'bin/kind',
        'delete_clusterctl_binary': 'bin/clusterctl'}),
])
def test_day2_paths_resolve_in_the_launch_folder(name, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    play = [p for p in _load(name) if p.get('tasks') and 'vars' in p][-1]
    rendered = _render_vars(play['vars'], RELATIVE)
    for key, rel in expected.items():
        assert rendered[key] == str(tmp_path / rel), key


def test_day2_output_dir_defaults_to_the_launch_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, key in (('upgrade_cluster.yml', 'upgrade_output_dir'), ('delete_cluster.yml', 'delete_output_dir')):
        play = [p for p in _load(name) if 'vars' in p][-1]
        assert _render_vars(play['vars'], {'cluster_config': 'mgmt.yaml', 'bundle': 'b.yaml'})[key] == str(tmp_path)


@pytest.mark.parametrize('extra, expected', [
    ({'cluster_name': 'mgmt'}, 'mgmt/mgmt-eks-a-cluster.kubeconfig'),
    ({'cluster_name': 'mgmt', 'output_dir': 'clusters'}, 'clusters/mgmt/mgmt-eks-a-cluster.kubeconfig'),
    ({'cluster_name': 'mgmt', 'dest': 'out/k.kubeconfig'}, 'out/k.kubeconfig'),
])
def test_cluster_kubeconfig_dest_in_the_launch_folder(extra, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    play = _load('cluster_kubeconfig.yml')[0]
    rendered = _render_vars(play['vars'], dict(extra, state_kubeconfig='holder.kubeconfig'))
    assert rendered['kubeconfig_dest'] == str(tmp_path / expected)
    assert rendered['kubeconfig_state'] == str(tmp_path / 'holder.kubeconfig')
