# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Kubernetes name rules (k8s.io/apimachinery/pkg/util/validation), matched on the whole string.

Use them before a name reaches an object, a request path or a file name::

    problem = dns1123_subdomain_problem(name)   # None when valid, else what is wrong
    if is_dns1123_subdomain(name): ...

``$`` in Go's regexp is the end of the text; Python's ``$`` also matches before a trailing newline, so every
pattern here is applied with ``fullmatch`` and ASCII-only classes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

DNS1123_LABEL_MAX_LENGTH = 63
DNS1123_SUBDOMAIN_MAX_LENGTH = 253
_LABEL = r'[a-z0-9](?:[-a-z0-9]*[a-z0-9])?'
DNS1123_LABEL_RE = re.compile(_LABEL, re.ASCII)
DNS1123_SUBDOMAIN_RE = re.compile(r'%s(?:\.%s)*' % (_LABEL, _LABEL), re.ASCII)

__all__ = ['DNS1123_LABEL_MAX_LENGTH', 'DNS1123_SUBDOMAIN_MAX_LENGTH', 'dns1123_label_problem', 'dns1123_subdomain_problem',
           'is_dns1123_label', 'is_dns1123_subdomain']


def dns1123_subdomain_problem(name):
    """None when ``name`` is a valid DNS-1123 subdomain (most object names), else why it is not."""
    if not isinstance(name, str) or not name:
        return 'a name must not be empty'
    if len(name) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        return 'must be no more than %d characters (got %d)' % (DNS1123_SUBDOMAIN_MAX_LENGTH, len(name))
    if not DNS1123_SUBDOMAIN_RE.fullmatch(name):
        return ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
                "start and end with an alphanumeric character (e.g. 'example.com')")
    return None


def dns1123_label_problem(name):
    """None when ``name`` is a valid DNS-1123 label (namespaces), else why it is not."""
    if not isinstance(name, str) or not name:
        return 'a name must not be empty'
    if len(name) > DNS1123_LABEL_MAX_LENGTH:
        return 'must be no more than %d characters (got %d)' % (DNS1123_LABEL_MAX_LENGTH, len(name))
    if not DNS1123_LABEL_RE.fullmatch(name):
        return ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
                "end with an alphanumeric character (e.g. 'my-name')")
    return None


def is_dns1123_subdomain(name):
    return dns1123_subdomain_problem(name) is None


def is_dns1123_label(name):
    return dns1123_label_problem(name) is None
