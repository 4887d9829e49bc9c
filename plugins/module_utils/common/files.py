# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""The one way the collection reads and writes files (docs/security.md).

* Folders below a trusted ``root`` (the output folder the user gave; it may itself be a link) are opened one by one
  with ``O_NOFOLLOW | O_DIRECTORY`` relative to their parent's descriptor: a symbolic link in their place is refused
  with an error naming it, never followed.  Missing ones are created and get their mode (0700) set explicitly,
  whatever the umask; a folder another run creates at the same moment is simply used.
* A file is written into a new ``mkstemp``-style temporary name of its folder (``O_CREAT | O_EXCL | O_NOFOLLOW``),
  its mode set explicitly (secrets 0600, a readable spec template 0644), then renamed over the final name: readers
  see the old file or the new one, never a partial one.  A link, folder or other non-regular file at the final name
  is refused.
* Reading (a spec, a bundle, the previous content shown in a diff) opens the file with ``O_NONBLOCK`` (a FIFO never
  blocks), refuses anything that is not a regular file, and reads at most a given number of bytes.
* :func:`cluster_lock` serializes the runs that write one cluster's folder (``fcntl`` on a lock file inside it);
  :func:`lock_for` takes it for a path in a cluster's tree (:func:`cluster_folder`), and none for another path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import stat
import time

DIR_MODE = 0o700
SECRET_MODE = 0o600
PUBLIC_MODE = 0o644
LOCK_NAME = '.eksa-anywhere.lock'
DEFAULT_LOCK_TIMEOUT = 60
_RANDOM_TRIES = 100


class FileError(Exception):
    """A file or folder the collection refuses to read or write; ``path`` names it, the message says how to fix it."""

    def __init__(self, message, path=None):
        super(FileError, self).__init__(message)
        self.message = message
        self.path = path


def _components(root, path):
    """The names of ``path`` below ``root`` (both absolute, normalized); FileError when path is not below root."""
    rel = os.path.relpath(path, root)
    if rel == '.':
        return []
    parts = rel.split(os.sep)
    if parts[0] == os.pardir:
        raise FileError('%s is not inside %s' % (path, root), path)
    return parts


def _describe(mode):
    if stat.S_ISLNK(mode):
        return 'a symbolic link'
    if stat.S_ISDIR(mode):
        return 'a folder'
    if stat.S_ISFIFO(mode):
        return 'a FIFO (named pipe)'
    if stat.S_ISSOCK(mode):
        return 'a socket'
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return 'a device'
    return 'not a regular file'


def _open_root(root, create, dir_mode):
    try:
        return os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        if exc.errno != errno.ENOENT or not create:
            raise FileError('cannot open the folder %s: %s' % (root, exc.strerror or exc), root)
    parent = os.path.dirname(root)
    if parent == root:
        raise FileError('cannot open the folder %s' % root, root)
    pfd = _open_root(parent, create, dir_mode)
    try:
        return _open_child_dir(pfd, os.path.basename(root), root, create, dir_mode)
    finally:
        os.close(pfd)


def _open_child_dir(parent_fd, name, shown, create, dir_mode):
    """Open folder ``name`` of ``parent_fd`` without following a link; create it (mode set explicitly) if asked."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    for dummy in range(2):
        try:
            return os.open(name, flags, dir_fd=parent_fd)
        except OSError as exc:
            if exc.errno == errno.ENOENT and create:
                try:
                    os.mkdir(name, dir_mode, dir_fd=parent_fd)
                except OSError as mexc:
                    if mexc.errno != errno.EEXIST:  # another run made it meanwhile: use it
                        raise FileError('cannot create the folder %s: %s' % (shown, mexc.strerror or mexc), shown)
                    continue
                fd = os.open(name, flags, dir_fd=parent_fd)
                os.fchmod(fd, dir_mode)
                return fd
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                try:
                    what = _describe(os.lstat(name, dir_fd=parent_fd).st_mode)
                except OSError:
                    what = 'not a folder'
                raise FileError('%s is %s, not a folder: refusing to use it (remove it, or choose another output folder)'
                                % (shown, what), shown)
            raise FileError('cannot open the folder %s: %s' % (shown, exc.strerror or exc), shown)
    raise FileError('cannot open the folder %s' % shown, shown)  # pragma: no cover


def open_dir(path, root=None, create=False, dir_mode=DIR_MODE):
    """A descriptor of folder ``path``; the folders below ``root`` are opened without following links.

    ``root`` (default: ``path`` itself) is trusted and may be a link.  With ``create``, missing folders are created
    with ``dir_mode``; folders below ``root`` that exist get ``dir_mode`` too (so the cluster's tree stays 0700).
    """
    path = os.path.abspath(path)
    root = os.path.abspath(root) if root else path
    parts = _components(root, path)
    fd = _open_root(root, create, dir_mode)
    shown = root
    try:
        for name in parts:
            shown = os.path.join(shown, name)
            child = _open_child_dir(fd, name, shown, create, dir_mode)
            os.close(fd)
            fd = child
            if create and stat.S_IMODE(os.fstat(fd).st_mode) != dir_mode:
                os.fchmod(fd, dir_mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def ensure_dir(path, root=None, dir_mode=DIR_MODE):
    """Create folder ``path`` (and the missing ones below ``root``) with ``dir_mode``, never through a link."""
    os.close(open_dir(path, root, create=True, dir_mode=dir_mode))
    return path


def _temporary(dir_fd, name, mode):
    for dummy in range(_RANDOM_TRIES):
        tmp = '.%s.%s.tmp' % (name, os.urandom(6).hex())
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                continue
            raise
        return fd, tmp
    raise OSError(errno.EEXIST, 'no free temporary file name')  # pragma: no cover


def _check_target(dir_fd, name, shown):
    try:
        st = os.lstat(name, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    if not stat.S_ISREG(st.st_mode):
        raise FileError('%s is %s: refusing to write through it or over it (remove it, or choose another path)'
                        % (shown, _describe(st.st_mode)), shown)
    return st


def write_file(path, content, mode=SECRET_MODE, root=None, dir_mode=DIR_MODE):
    """Replace ``path`` atomically with ``content`` (bytes or text) with ``mode`` whatever the umask; return path.

    The folders from ``root`` (default: the file's folder, which must then exist) down to the file are opened
    without following links and created with ``dir_mode`` when missing.
    """
    path = os.path.abspath(path)
    directory, name = os.path.split(path)
    data = content if isinstance(content, bytes) else content.encode('utf-8')
    dir_fd = open_dir(directory, root or directory, create=root is not None, dir_mode=dir_mode)
    try:
        _check_target(dir_fd, name, path)
        fd, tmp = _temporary(dir_fd, name, mode)
        try:
            try:
                os.fchmod(fd, mode)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=dir_fd)
            except OSError:
                pass
            raise
    finally:
        os.close(dir_fd)
    return path


def write_private(path, content, root=None):
    """write_file() with mode 0600 (kubeconfigs, manifests with Secrets, reports, credentials)."""
    return write_file(path, content, mode=SECRET_MODE, root=root)


def read_file(path, limit=None, root=None, missing_ok=False):
    """The bytes of regular file ``path`` (None when it is missing and ``missing_ok``).

    Never blocks on a FIFO and never reads a device: anything but a regular file is refused with FileError, and so is
    a file larger than ``limit`` bytes.  With ``root``, the folders below it and the file itself are not followed when
    they are links (refused).
    """
    path = os.path.abspath(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, 'O_NOCTTY', 0)
    dir_fd = None
    try:
        if root is not None:
            directory, name = os.path.split(path)
            try:
                dir_fd = open_dir(directory, root)
            except FileError:
                if missing_ok and not os.path.lexists(directory):
                    return None
                raise
            flags |= os.O_NOFOLLOW
            target = name
        else:
            target = path
        try:
            fd = os.open(target, flags, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ENOENT and missing_ok:
                return None
            if exc.errno == errno.ENOENT:
                raise FileError('%s does not exist' % path, path)
            if exc.errno == errno.ELOOP:
                raise FileError('%s is a symbolic link: refusing to read through it (remove it)' % path, path)
            if exc.errno == errno.EISDIR:
                raise FileError('%s is a folder, not a file' % path, path)
            raise FileError('cannot read %s: %s' % (path, exc.strerror or exc), path)
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileError('%s is %s, not a regular file: give the path of a file' % (path, _describe(st.st_mode)), path)
        if limit is not None and st.st_size > limit:
            raise FileError('%s is larger than the limit of %d bytes' % (path, limit), path)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if limit is not None and total > limit:
                raise FileError('%s is larger than the limit of %d bytes' % (path, limit), path)
        return b''.join(chunks)
    except OSError as exc:
        raise FileError('cannot read %s: %s' % (path, exc.strerror or exc), path)
    finally:
        os.close(fd)


def file_mode(path, root=None):
    """The permission bits of regular file ``path`` (None when missing), links not followed."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else None


class cluster_lock(object):  # pylint: disable=invalid-name
    """``with cluster_lock(folder, root, what):`` holds an exclusive lock on ``<folder>/.eksa-anywhere.lock``.

    The folder is created (0700, below ``root`` without following links) if missing.  A second run on the same
    folder waits up to ``timeout`` seconds, then fails with FileError naming the run holding the lock (its pid, what
    it does and since when).  The lock is released when the with-block ends or the process dies.
    """

    def __init__(self, folder, root=None, what='a run', timeout=None, poll=0.2):
        self.folder = os.path.abspath(folder)
        self.root = root
        self.what = what
        self.timeout = DEFAULT_LOCK_TIMEOUT if timeout is None else timeout
        self.poll = poll
        self.fd = None

    def __enter__(self):
        dir_fd = open_dir(self.folder, self.root or os.path.dirname(self.folder), create=True)
        try:
            fd = os.open(LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, SECRET_MODE, dir_fd=dir_fd)
        except OSError as exc:
            raise FileError('cannot open the lock file %s: %s' % (os.path.join(self.folder, LOCK_NAME), exc.strerror or exc),
                            os.path.join(self.folder, LOCK_NAME))
        finally:
            os.close(dir_fd)
        deadline = time.monotonic() + max(0, self.timeout)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    os.close(fd)
                    raise
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 4096, 0).decode('utf-8', 'replace').strip() or 'another run'
                os.close(fd)
                raise FileError('the cluster folder %s is in use by %s; waited %ds: let that run finish (or stop it), '
                                'then run again' % (self.folder, holder, self.timeout), self.folder)
            time.sleep(self.poll)
        os.fchmod(fd, SECRET_MODE)
        os.ftruncate(fd, 0)
        holder = 'pid %d (%s, since %s)\n' % (os.getpid(), self.what, time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
        os.pwrite(fd, holder.encode('utf-8'), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc_info):
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            finally:
                os.close(self.fd)  # closing releases the lock
                self.fd = None
        return False


def chmod_file(path, mode=SECRET_MODE):
    """Set ``mode`` on regular file ``path`` (written by another program, e.g. kind's kubeconfig) without following a link.

    Returns False when the file is missing; FileError when it is a link or not a regular file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return False
        if exc.errno == errno.ELOOP:
            raise FileError('%s is a symbolic link: refusing to change the mode of its target (remove it)' % path, path)
        raise FileError('cannot open %s: %s' % (path, exc.strerror or exc), path)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileError('%s is not a regular file' % path, path)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)
    return True


def _cluster_index(parts):
    """The index of ``<cluster>`` in the components of an absolute path in a cluster's tree, else None.

    A cluster's tree (spec/context.py ``layout``): ``<root>/<cluster>/generated/...`` and the files
    ``<root>/<cluster>/<cluster>-eks-a-cluster.*`` (its kubeconfig and spec).
    """
    if 'generated' in parts:
        index = len(parts) - 1 - parts[::-1].index('generated')
        if index >= 2:
            return index - 1
    if len(parts) >= 3 and parts[-2] and parts[-1].startswith(parts[-2] + '-eks-a-cluster.'):
        return len(parts) - 2
    return None


def cluster_root(path):
    """The trusted folder of a path in a cluster's tree: the parent of ``<cluster>`` in ``<root>/<cluster>/generated/...``
    or ``<root>/<cluster>/<cluster>-eks-a-cluster.kubeconfig``.

    Below it no link is followed.  For a path outside such a tree, its own folder.
    """
    parts = os.path.abspath(path).split(os.sep)
    index = _cluster_index(parts)
    if index is not None:
        return os.sep.join(parts[:index]) or os.sep
    return os.path.dirname(os.path.abspath(path))


def cluster_folder(path):
    """The ``<cluster>`` folder of a path in a cluster's tree (see :func:`cluster_root`), else None."""
    parts = os.path.abspath(path).split(os.sep)
    index = _cluster_index(parts)
    return os.sep.join(parts[:index + 1]) if index is not None else None


class _NoLock(object):
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


def lock_for(path, what='a run', timeout=None, check_mode=False):
    """``with lock_for(path, what):`` holds :class:`cluster_lock` of the cluster folder ``path`` is in (trusted root:
    the folder above it, as capi_manifests takes it); a path outside a cluster's tree, or check mode (which writes
    nothing, not even the lock file), takes no lock."""
    folder = cluster_folder(path)
    if folder is None or check_mode:
        return _NoLock()
    return cluster_lock(folder, root=os.path.dirname(folder), what=what, timeout=timeout)
