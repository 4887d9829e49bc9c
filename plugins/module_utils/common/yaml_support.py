# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""The YAML loader every read of the collection uses, and the one way a YAML error is reported.

* ``SAFE_LOADER``: libyaml's C safe loader where it is installed, else PyYAML's pure-Python one;
* ``yaml_error_message(exc)``: ``(message, line)`` naming where and what, never the offending text (it may be a
  secret).

In ``common`` (it imports nothing of the collection) so that the spec model, the Kubernetes client and the renderer
share it without importing one another.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    import yaml
    HAS_YAML = True
    YAML_IMPORT_ERROR = None
    # the C loader when libyaml is there: every YAML read of the collection goes through it
    SAFE_LOADER = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
except ImportError as exc:  # pragma: no cover - exercised by import sanity only
    HAS_YAML = False
    YAML_IMPORT_ERROR = exc
    yaml = None
    SAFE_LOADER = object


def yaml_error_message(exc):
    """(message, line) of a YAML error: where and what, never the offending text (it may be a secret)."""
    mark = getattr(exc, 'problem_mark', None) or getattr(exc, 'context_mark', None)
    parts = [p for p in (getattr(exc, 'context', None), getattr(exc, 'problem', None)) if p]
    text = '; '.join(parts) if parts else str(exc).splitlines()[0]
    line = mark.line + 1 if mark is not None else None
    if line is not None:
        text = 'malformed YAML at line %d, column %d: %s' % (line, mark.column + 1, text)
    else:
        text = 'malformed YAML: %s' % text
    return text, line
