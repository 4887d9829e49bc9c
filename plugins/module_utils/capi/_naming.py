# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Names of the immutable Cluster API templates, as EKS Anywhere gives them.

Machine and bootstrap templates are immutable: EKS Anywhere names them ``<base>-<n>`` (``test-control-plane-1``,
``test-etcd-1``, ``test-md-0-1``) and bumps ``n`` only when the template's spec changes.  ``template_name()``
takes the previous objects (from an earlier render) and the new template spec and returns the name to use.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re


def split_suffix(name, base):
    """The numeric suffix of ``name`` when it is ``<base>-<n>``, else None."""
    match = re.match(r'^%s-(\d+)$' % re.escape(base), str(name or ''))
    return int(match.group(1)) if match else None


def index_previous(objects):
    """{(kind, name): object} of previous objects (None entries and non-mappings ignored)."""
    idx = {}
    for obj in objects or []:
        if isinstance(obj, dict) and obj.get('kind') and isinstance(obj.get('metadata'), dict):
            idx[(obj['kind'], obj['metadata'].get('name'))] = obj
    return idx


def template_name(base, kind, spec, previous_index, preferred=None):
    """Name for a template of ``kind`` with ``spec`` (its ``spec`` field).

    ``preferred`` is the name the previous render's referencing object used (e.g. the KubeadmControlPlane's
    infrastructureRef); otherwise the highest-numbered previous ``<base>-<n>`` of that kind is the current one.
    Same spec -> same name; changed spec -> ``<base>-<n+1>``; nothing previous -> ``<base>-1``.
    """
    current = None
    if preferred is not None and split_suffix(preferred, base) is not None and (kind, preferred) in previous_index:
        current = preferred
    else:
        numbered = [(split_suffix(name, base), name) for (k, name) in previous_index if k == kind]
        numbered = [item for item in numbered if item[0] is not None]
        if numbered:
            current = max(numbered)[1]
    if current is None:
        return '%s-1' % base
    if previous_index[(kind, current)].get('spec') == spec:
        return current
    return '%s-%d' % (base, split_suffix(current, base) + 1)
