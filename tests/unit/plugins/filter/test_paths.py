# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""eksa.anywhere.user_path: paths the user gives are resolved against the folder ansible-playbook was started in."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.eksa.anywhere.plugins.filter.paths import FilterModule, user_path


def test_relative_paths_resolve_against_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert user_path('mgmt.yaml') == str(tmp_path / 'mgmt.yaml')
    assert user_path('./sub/../mgmt.yaml') == str(tmp_path / 'mgmt.yaml')
    assert user_path('.') == str(tmp_path)
    assert user_path('/abs/mgmt.yaml') == '/abs/mgmt.yaml'


def test_home_is_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv('HOME', str(tmp_path))
    assert user_path('~/clusters/mgmt.yaml') == os.path.join(str(tmp_path), 'clusters', 'mgmt.yaml')


def test_urls_empty_values_and_program_names_are_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = 'https://releases.example.com/bundles/1/manifest.yaml'
    assert user_path(url) == url
    assert user_path('') == ''
    assert user_path(None) is None
    assert user_path('kind', 'command') == 'kind'
    assert user_path('bin/kind', 'command') == str(tmp_path / 'bin' / 'kind')


@pytest.mark.parametrize('value, kind', [(['a'], 'file'), ('a', 'directory')])
def test_wrong_input_says_what_is_expected(value, kind):
    with pytest.raises(AnsibleFilterError, match='eksa.anywhere.user_path'):
        user_path(value, kind)


def test_registered_under_its_name():
    assert FilterModule().filters()['user_path'] is user_path
