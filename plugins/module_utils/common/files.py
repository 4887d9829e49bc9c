# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Writing files that may hold secrets (kubeconfigs, credentials, reports): mode 0600 from the first byte."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile


def write_private(path, content):
    """Replace path atomically with content (bytes or text), mode 0600; return path.

    The content goes into a new temporary file of the same folder (created 0600, never through an existing file or
    symlink) that is renamed over path, so readers see the old file or the new one, never a partial or wider one.
    """
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(content if isinstance(content, bytes) else content.encode('utf-8'))
        os.chmod(tmp, 0o600)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
