# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""eksa.anywhere.user_path: a path the user typed, made absolute against the folder ansible-playbook was started in.

The one place where the collection's playbooks resolve the paths a user gives (-e cluster_config=mgmt.yaml,
-e output_dir=..., -e bundle=..., kubeconfigs, reports), as ``eksctl anywhere`` resolves them against its cwd.
Modules cannot do it: with a local connection ansible-core runs them in the playbook's folder (inside the installed
collection for ``ansible-playbook eksa.anywhere.create_cluster``), and the PWD environment variable is only what the
parent shell last set. Filters run in the controller's own process, whose working folder is where the user typed the
command; ansible-core never changes it (it sets the folder of the module's process only).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible.errors import AnsibleFilterError

_URL = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*://')


def user_path(path, kind='file'):
    """Return ``path`` absolute against the launch folder; URLs, empty values and bare command names unchanged."""
    if path is None:
        return path
    if not isinstance(path, str):
        raise AnsibleFilterError('eksa.anywhere.user_path: expected a path (a string), got %s' % type(path).__name__)
    if kind not in ('file', 'command'):
        raise AnsibleFilterError("eksa.anywhere.user_path: kind must be 'file' or 'command', not %r" % (kind,))
    text = path.strip()
    if not text or _URL.match(text):
        return text
    if kind == 'command' and '/' not in text:
        return text  # a program name, looked up on PATH
    return os.path.normpath(os.path.join(os.getcwd(), os.path.expanduser(text)))


class FilterModule(object):
    """eksa.anywhere path filters."""

    def filters(self):
        return {'user_path': user_path}
