# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Applying manifests server-side, idempotently, in dependency order (Namespaces and CRDs first).

Independent of AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False

from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import FileError, read_file
from ansible_collections.eksa.anywhere.plugins.module_utils.common.yaml_support import SAFE_LOADER, yaml_error_message
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import waiter

CRD_API = "apiextensions.k8s.io/v1"
FIRST = ("Namespace", "CustomResourceDefinition")
VOLATILE_META = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink")


class ApplyError(Exception):
    pass


def load_manifest_text(text, source="inline"):
    # str(): libyaml takes only an exact str, and module arguments may arrive as a str subclass
    try:
        return [d for d in yaml.load_all(str(text), Loader=SAFE_LOADER) if d]
    except yaml.YAMLError as exc:  # manifests may hold Secrets: say where, never quote the line
        raise ApplyError("%s is not valid YAML: %s" % (source, yaml_error_message(exc)[0]))


MAX_MANIFEST_BYTES = 64 * 1024 * 1024


def load_manifest_files(paths):
    objects = []
    for path in paths:
        try:  # a regular file only (a FIFO never blocks), bounded
            text = read_file(path, limit=MAX_MANIFEST_BYTES).decode("utf-8", "replace")
        except FileError as exc:
            raise ApplyError("cannot read manifest: %s" % exc.message)
        objects.extend(load_manifest_text(text, path))
    return objects


def expand_lists(objects):
    out = []
    for obj in objects:
        if not isinstance(obj, dict):
            raise ApplyError("a manifest item is not an object: %r" % (obj,))
        if obj.get("kind", "").endswith("List") and isinstance(obj.get("items"), list):
            out.extend(expand_lists(obj["items"]))
        else:
            out.append(obj)
    return out


def ordered(objects):
    def rank(obj):
        kind = obj.get("kind")
        return FIRST.index(kind) if kind in FIRST else len(FIRST)
    return sorted(objects, key=rank)


def _comparable(obj):
    if obj is None:
        return None
    obj = copy.deepcopy(obj)
    meta = obj.get("metadata") or {}
    for key in VOLATILE_META:
        meta.pop(key, None)
    (meta.get("annotations") or {}).pop("kubectl.kubernetes.io/last-applied-configuration", None)
    obj.pop("status", None)
    return obj


HIDDEN = "<hidden>"
HIDDEN_CHANGED = "<hidden, changed>"
SECRET_FIELDS = ("data", "stringData")


def masked(obj, previous=None):
    """A copy of obj fit for a diff: a Secret's values are replaced by <hidden> (<hidden, changed> where previous
    holds another value or none for that key); the keys stay, so the diff still shows which were added or removed."""
    if obj is None or obj.get("kind") != "Secret":
        return obj
    obj = copy.deepcopy(obj)
    old = {}
    for field in SECRET_FIELDS:
        old.update((previous or {}).get(field) or {})
    for field in SECRET_FIELDS:
        values = obj.get(field)
        if isinstance(values, dict):
            obj[field] = dict((key, HIDDEN if previous is None or old.get(key) == value else HIDDEN_CHANGED)
                              for key, value in values.items())
    return obj


def diff_entry(before, after, name):
    """One entry of Ansible's diff: YAML before/after, volatile fields dropped and Secret values hidden."""
    before_c, after_c = _comparable(before), _comparable(after)
    return dict(before_header=name, after_header=name,
                before=yaml.safe_dump(masked(before_c), default_flow_style=False) if before_c is not None else "",
                after=yaml.safe_dump(masked(after_c, before_c if before_c is not None else {}), default_flow_style=False)
                if after_c is not None else "")


def ref(obj):
    meta = obj.get("metadata") or {}
    if meta.get("namespace"):
        return "%s %s/%s" % (obj.get("kind"), meta["namespace"], meta.get("name"))
    return "%s %s" % (obj.get("kind"), meta.get("name"))


def wait_crds_established(client, names, timeout=60):
    """Wait (on a watch of the CRDs) until each named CRD is Established, then drop cached discovery."""
    pending = list(names)

    def check():
        pending[:] = [n for n in pending if not waiter.crd_established(client.get(CRD_API, "CustomResourceDefinition", n))]
        return not pending, "%d CRD(s) not established yet: %s" % (len(pending), ", ".join(pending[:5]))
    try:
        waiter.wait_until(check, timeout, "CRDs to be established", sleep=1,
                          block=waiter.watch_block(client, CRD_API, "CustomResourceDefinition"))
    except waiter.WaitTimeout as exc:
        raise ApplyError(str(exc))
    client.forget()


def apply_objects(client, objects, namespace=None, annotations=None, labels=None, check_mode=False, force=True, diffs=None):
    """Apply each object; return [(ref, 'created'|'configured'|'unchanged')] in order.

    diffs, when a list, gets one diff_entry per object created or configured (Secret values hidden).
    """
    results = []
    objects = ordered(expand_lists(objects))
    crds = []
    for obj in objects:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if annotations:
            meta.setdefault("annotations", {}).update(annotations)
        if labels:
            meta.setdefault("labels", {}).update(labels)
        if crds and obj.get("kind") != "CustomResourceDefinition":
            if not check_mode:
                wait_crds_established(client, crds)
            crds = []
        try:
            res = client.resource(obj.get("apiVersion", ""), obj.get("kind", ""))
        except K8sError:
            if check_mode:
                results.append((ref(obj), "created"))
                if diffs is not None:
                    diffs.append(diff_entry(None, obj, ref(obj)))
                continue
            raise
        if res.namespaced and not meta.get("namespace"):
            meta["namespace"] = namespace or "default"
        before = client.get(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace") if res.namespaced else None)
        if check_mode:
            try:
                after = client.apply(obj, dry_run=True, force=force)
            except K8sError as exc:
                if exc.status == 404 and before is None:
                    after = obj  # namespace created earlier in this run would exist
                else:
                    raise
            state = "created" if before is None else ("unchanged" if _comparable(before) == _comparable(after) else "configured")
        else:
            after = client.apply(obj, force=force)
            if before is None:
                state = "created"
            else:
                same = (before.get("metadata") or {}).get("resourceVersion") == (after.get("metadata") or {}).get("resourceVersion")
                state = "unchanged" if same else "configured"
        if diffs is not None and state != "unchanged":
            diffs.append(diff_entry(before, after, ref(obj)))
        if obj.get("kind") == "CustomResourceDefinition" and state != "unchanged":
            crds.append(meta["name"])
        results.append((ref(obj), state))
    if crds and not check_mode:
        wait_crds_established(client, crds)
    return results
