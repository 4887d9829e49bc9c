# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""_files.write_private: 0600 from the first byte, atomic, never through an existing file or symlink."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.common import files as _files


def test_new_and_replaced_files_are_0600(tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text("old")
    os.chmod(str(path), 0o644)
    assert _files.write_private(str(path), "new") == str(path)
    assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o600
    _files.write_private(str(tmp_path / "b"), b"\x00bytes")
    assert (tmp_path / "b").read_bytes() == b"\x00bytes"
    assert sorted(os.listdir(str(tmp_path))) == ["b", "kubeconfig"]  # no temporary file left


def test_a_symlink_in_place_is_replaced_not_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("untouched")
    link = tmp_path / "report.json"
    os.symlink(str(target), str(link))
    _files.write_private(str(link), "secret")
    assert target.read_text() == "untouched"
    assert not link.is_symlink() and link.read_text() == "secret"


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "creds"
    path.write_text("old")

    def boom(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(_files.os, "rename", boom)
    with pytest.raises(OSError):
        _files.write_private(str(path), "new")
    assert path.read_text() == "old" and os.listdir(str(tmp_path)) == ["creds"]
