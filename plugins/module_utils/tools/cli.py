# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Running the CLI tools (kind, clusterctl, kubectl): argument lists, never a shell, auth through private files.

Independent of AnsibleModule: the caller gives the runner, a callable ``(cmd, env, cwd, timeout, data) -> (rc, out, err)``;
modules pass ``module.run_command`` through :func:`module_runner` so Ansible's environment handling applies, tests
pass their own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import tempfile

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import write_private_file

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False


class CliError(Exception):
    """A tool failed: carries the command, rc, stdout and stderr."""

    def __init__(self, message, cmd=None, rc=None, stdout="", stderr=""):
        super(CliError, self).__init__(message)
        self.message = message
        self.cmd = cmd or []
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def __str__(self):
        return self.message

    def to_dict(self):
        return dict(cmd=self.cmd, rc=self.rc, stdout=self.stdout, stderr=self.stderr)


def find_binary(name, binary_path=None, extra_dirs=()):
    """The executable to run: binary_path when given, else name on PATH (or in extra_dirs)."""
    if binary_path:
        if os.path.isfile(binary_path) and os.access(binary_path, os.X_OK):
            return binary_path
        raise CliError("%s binary %s is not an executable file: fix binary_path" % (name, binary_path))
    search = os.pathsep.join([d for d in extra_dirs if d] + [os.environ.get("PATH", "")])
    found = shutil.which(name, path=search)
    if not found:
        raise CliError("%s was not found on PATH: install it or give its path with binary_path" % name)
    return found


def module_runner(module):
    """A runner using AnsibleModule.run_command (argument lists, never a shell)."""
    def _run(cmd, env=None, cwd=None, timeout=None, data=None):
        return module.run_command(cmd, environ_update=env or {}, cwd=cwd, data=data, binary_data=False)
    return _run


class Tool:
    """One CLI tool: ``run(args)`` returns stdout; failures raise CliError with rc/stdout/stderr."""

    def __init__(self, name, runner, binary_path=None, env=None, extra_dirs=()):
        self.name = name
        self.binary = find_binary(name, binary_path, extra_dirs)
        self.runner = runner
        self.env = dict(env or {})

    def run(self, args, env=None, cwd=None, timeout=None, check=True, data=None):
        cmd = [self.binary] + [str(a) for a in args]
        full_env = dict(self.env)
        full_env.update(env or {})
        rc, out, err = self.runner(cmd, env=full_env, cwd=cwd, timeout=timeout, data=data)
        if check and rc != 0:
            tail = (err or out or "").strip().splitlines()[-5:]
            raise CliError("%s failed (rc=%s): %s" % (" ".join([self.name] + [str(a) for a in args[:2]]), rc, " | ".join(tail)),
                           cmd=cmd, rc=rc, stdout=out, stderr=err)
        return out if check else (rc, out, err)

    def run_json(self, args, **kwargs):
        out = self.run(args, **kwargs)
        try:
            return json.loads(out)
        except ValueError:
            raise CliError("%s printed no JSON: %s" % (self.name, out[:200]), cmd=[self.binary] + list(args), rc=0, stdout=out)


class PrivateDir:
    """A private temporary directory (0700) for kubeconfigs and configs handed to tools."""

    def __init__(self, prefix="eksa-anywhere-"):
        self.path = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.path, 0o700)

    def write(self, name, content):
        return write_private_file(self.path, name, content)

    def write_kubeconfig(self, connection, name="kubeconfig"):
        return self.write(name, yaml.safe_dump(connection.kubeconfig_dict(), default_flow_style=False))

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
