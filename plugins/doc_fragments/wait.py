# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Waiting options, as kubernetes.core names them."""

    DOCUMENTATION = r"""
options:
  wait:
    description: Wait until the objects are ready before returning.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait in all before failing with what is still not ready.
    type: int
    default: 3600
  wait_sleep:
    description: Seconds between two progress reports while waiting.
    type: int
    default: 10
"""
