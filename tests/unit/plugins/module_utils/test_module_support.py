# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""fail_cli: the failing tool's rc/stdout/stderr, the caller's redacted command."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import fail_cli
from ansible_collections.eksa.anywhere.plugins.module_utils.tools.cli import CliError


class Failed(Exception):
    pass


class Module:
    def fail_json(self, **kwargs):
        raise Failed(kwargs)


def test_fail_cli_keeps_the_redacted_cmd_and_this_failures_output():
    exc = CliError("clusterctl init failed", cmd=["clusterctl", "init", "--kubeconfig", "/tmp/eksa-anywhere-k8s-x/kubeconfig"],
                   rc=1, stdout="new out", stderr="boom")
    with pytest.raises(Failed) as err:
        fail_cli(Module(), exc, changed=True, cmd=["clusterctl", "init", "--kubeconfig", "<kubeconfig>"], stdout="earlier run")
    out = err.value.args[0]
    assert out["cmd"] == ["clusterctl", "init", "--kubeconfig", "<kubeconfig>"]
    assert (out["rc"], out["stdout"], out["stderr"], out["changed"]) == (1, "new out", "boom", True)
    assert "/tmp/eksa-anywhere-k8s-x" not in repr(out)
