# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Action plugin of eksa.anywhere.cluster_spec: runs the module, and hides its result when the spec's proxy URLs hold
credentials (docs/security.md).

The module must return the spec as written: the phases after it write the proxy URLs, credentials included, into the
nodes' configuration.  Only an action plugin can hide a result from every output (``_ansible_no_log``, as
eksa.anywhere.cluster_context does); the registered value keeps the spec for those phases.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import proxy_credentials

display = Display()


def hide_when_secret(result):
    """Mark ``result`` no_log when its spec's proxy URLs hold credentials; True when it did."""
    spec = result.get('spec')
    if isinstance(spec, dict) and proxy_credentials(spec):
        result['_ansible_no_log'] = True
        return True
    return False


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        result.update(self._execute_module(module_name='eksa.anywhere.cluster_spec', module_args=self._task.args,
                                           task_vars=task_vars))
        if hide_when_secret(result):
            display.v('cluster spec %s: the result is hidden (its proxy URLs hold credentials)'
                      % result.get('cluster_name', ''))
        return result
