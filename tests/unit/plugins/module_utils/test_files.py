# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""common/files: the one writer and reader (docs/security.md): no link followed below the trusted root, explicit
modes whatever the umask, atomic replacement, regular files only, one run per cluster folder."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat
import threading

import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.common import files as _files


def mode(path):
    return stat.S_IMODE(os.lstat(str(path)).st_mode)


@pytest.fixture
def umask_000():
    old = os.umask(0)
    yield
    os.umask(old)


def test_new_and_replaced_files_are_0600(tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text("old")
    os.chmod(str(path), 0o644)
    assert _files.write_private(str(path), "new") == str(path)
    assert path.read_text() == "new" and mode(path) == 0o600
    _files.write_private(str(tmp_path / "b"), b"\x00bytes")
    assert (tmp_path / "b").read_bytes() == b"\x00bytes"
    assert sorted(os.listdir(str(tmp_path))) == ["b", "kubeconfig"]  # no temporary file left


def test_a_symlink_at_the_final_name_is_refused_naming_it(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("untouched")
    link = tmp_path / "report.json"
    os.symlink(str(target), str(link))
    with pytest.raises(_files.FileError) as err:
        _files.write_private(str(link), "secret")
    assert str(link) in err.value.message and "symbolic link" in err.value.message
    assert target.read_text() == "untouched" and link.is_symlink()
    assert sorted(os.listdir(str(tmp_path))) == ["elsewhere", "report.json"]


def test_a_symlinked_cluster_folder_is_refused_and_its_target_untouched(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.chmod(str(outside), 0o755)
    out = tmp_path / "out"
    (out / "mgmt").mkdir(parents=True)
    os.symlink(str(outside), str(out / "mgmt" / "generated"))
    with pytest.raises(_files.FileError) as err:
        _files.write_private(str(out / "mgmt" / "generated" / "mgmt-capi-secrets.yaml"), "secret", root=str(out))
    assert str(out / "mgmt" / "generated") in err.value.message
    assert os.listdir(str(outside)) == [] and mode(outside) == 0o755


def test_the_trusted_root_may_be_a_link(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(str(real), str(tmp_path / "alias"))
    _files.write_private(str(tmp_path / "alias" / "c" / "generated" / "f"), "x", root=str(tmp_path / "alias"))
    assert (real / "c" / "generated" / "f").read_text() == "x"


def test_modes_are_explicit_whatever_the_umask(tmp_path, umask_000):
    out = tmp_path / "out"
    _files.write_file(str(out / "mgmt" / "generated" / "a.yaml"), "a", mode=0o600, root=str(tmp_path))
    _files.write_file(str(out / "spec.yaml"), "b", mode=0o644, root=str(tmp_path))
    assert mode(out) == 0o700 and mode(out / "mgmt") == 0o700 and mode(out / "mgmt" / "generated") == 0o700
    assert mode(out / "mgmt" / "generated" / "a.yaml") == 0o600 and mode(out / "spec.yaml") == 0o644


def test_temporary_names_are_unpredictable_and_in_the_target_folder(tmp_path, monkeypatch):
    made = []
    real_open = os.open

    def spy(name, flags, *args, **kwargs):
        if flags & os.O_CREAT and "dir_fd" in kwargs:
            made.append((name, flags))
        return real_open(name, flags, *args, **kwargs)
    monkeypatch.setattr(_files.os, "open", spy)
    _files.write_private(str(tmp_path / "f"), "1")
    _files.write_private(str(tmp_path / "f"), "2")
    names = [n for n, dummy in made]
    assert len(set(names)) == 2 and all(n.startswith(".f.") and "/" not in n for n in names)
    assert all(f & os.O_EXCL and f & os.O_NOFOLLOW for dummy, f in made)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "creds"
    path.write_text("old")

    def boom(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(_files.os, "rename", boom)
    with pytest.raises(OSError):
        _files.write_private(str(path), "new")
    assert path.read_text() == "old" and os.listdir(str(tmp_path)) == ["creds"]


def test_concurrent_creation_of_the_same_folders_never_fails(tmp_path):
    errors = []

    def run(i):
        try:
            _files.write_private(str(tmp_path / "out" / "c" / "generated" / ("f%d" % i)), "x", root=str(tmp_path))
        except Exception as exc:  # pylint: disable=broad-except
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(os.listdir(str(tmp_path / "out" / "c" / "generated"))) == 8


def test_read_refuses_fifo_device_folder_link_and_oversize(tmp_path):
    fifo = tmp_path / "spec.fifo"
    os.mkfifo(str(fifo))
    with pytest.raises(_files.FileError) as err:
        _files.read_file(str(fifo))  # returns at once: never waits for a writer
    assert "FIFO" in err.value.message and str(fifo) in err.value.message
    with pytest.raises(_files.FileError, match="device"):
        _files.read_file("/dev/zero")
    with pytest.raises(_files.FileError, match="folder"):
        _files.read_file(str(tmp_path))
    big = tmp_path / "big"
    big.write_bytes(b"x" * 11)
    with pytest.raises(_files.FileError, match="larger than the limit of 10 bytes"):
        _files.read_file(str(big), limit=10)
    assert _files.read_file(str(big), limit=11) == b"x" * 11
    os.symlink(str(big), str(tmp_path / "link"))
    with pytest.raises(_files.FileError, match="symbolic link"):
        _files.read_file(str(tmp_path / "link"), root=str(tmp_path))
    assert _files.read_file(str(tmp_path / "missing"), root=str(tmp_path), missing_ok=True) is None


def test_cluster_lock_serializes_and_names_the_other_run(tmp_path):
    folder = tmp_path / "mgmt"
    with _files.cluster_lock(str(folder), what="capi_manifests"):
        assert mode(folder) == 0o700 and mode(folder / _files.LOCK_NAME) == 0o600
        with pytest.raises(_files.FileError) as err:
            with _files.cluster_lock(str(folder), what="second", timeout=0):
                pass
        assert "pid %d (capi_manifests" % os.getpid() in err.value.message and str(folder) in err.value.message
    with _files.cluster_lock(str(folder), what="third", timeout=0):  # released at the end of the block
        pass


def test_cluster_lock_waits_for_the_holder(tmp_path):
    folder = str(tmp_path / "mgmt")
    order = []
    held = threading.Event()

    def holder():
        with _files.cluster_lock(folder, what="first"):
            held.set()
            order.append("first-start")
            threading.Event().wait(0.3)
            order.append("first-end")
    t = threading.Thread(target=holder, daemon=True)
    t.start()
    assert held.wait(120), "the first run never took the lock"  # a guard against a hang, not a timing check
    with _files.cluster_lock(folder, what="second", timeout=30, poll=0.05):
        order.append("second")
    t.join()
    assert order == ["first-start", "first-end", "second"]


def test_cluster_root_and_folder_of_the_cluster_tree():
    """<root>/<cluster>/generated/... and <root>/<cluster>/<cluster>-eks-a-cluster.* are a cluster's tree; nothing else."""
    assert _files.cluster_root("/out/mgmt/generated/clusterctl/clusterctl.yaml") == "/out"
    assert _files.cluster_folder("/out/mgmt/generated/clusterctl/clusterctl.yaml") == "/out/mgmt"
    assert _files.cluster_root("/out/mgmt/mgmt-eks-a-cluster.kubeconfig") == "/out"
    assert _files.cluster_folder("/out/mgmt/mgmt-eks-a-cluster.yaml") == "/out/mgmt"
    assert _files.cluster_folder("/mgmt/mgmt-eks-a-cluster.kubeconfig") == "/mgmt"
    assert _files.cluster_root("/mgmt/mgmt-eks-a-cluster.kubeconfig") == "/"
    for other in ("/home/u/.kube/config", "/out/mgmt/other-eks-a-cluster.kubeconfig", "/tmp/w01.kubeconfig"):
        assert _files.cluster_folder(other) is None
        assert _files.cluster_root(other) == os.path.dirname(other)


def test_lock_for_locks_the_cluster_folder_only(tmp_path):
    folder = tmp_path / "mgmt"
    with _files.lock_for(str(folder / "mgmt-eks-a-cluster.kubeconfig"), what="first"):
        assert mode(folder) == 0o700 and (folder / _files.LOCK_NAME).exists()
        with pytest.raises(_files.FileError) as err:
            with _files.lock_for(str(folder / "generated" / "x.yaml"), what="second", timeout=0):
                pass
        assert "pid %d (first" % os.getpid() in err.value.message
        with _files.lock_for(str(folder / "generated" / "x.yaml"), check_mode=True):  # check mode writes nothing
            pass
    plain = tmp_path / "elsewhere"
    with _files.lock_for(str(plain / "w01.kubeconfig"), what="no cluster tree"):
        pass
    assert not plain.exists()
