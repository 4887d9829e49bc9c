# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Applying manifests server-side, idempotently, in dependency order (Namespaces and CRDs first).

Independent of AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import time

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.loader import SAFE_LOADER, yaml_error_message
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError

CRD_API = "apiextensions.k8s.io/v1"
FIRST = ("Namespace", "CustomResourceDefinition")
VOLATILE_META = ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp", "selfLink")


class ApplyError(Exception):
    pass


def load_manifest_text(text, source="inline"):
    try:
        return [d for d in yaml.load_all(text, Loader=SAFE_LOADER) if d]
    except yaml.YAMLError as exc:  # manifests may hold Secrets: say where, never quote the line
        raise ApplyError("%s is not valid YAML: %s" % (source, yaml_error_message(exc)[0]))


def load_manifest_files(paths):
    objects = []
    for path in paths:
        try:
            with open(path) as handle:
                text = handle.read()
        except (IOError, OSError) as exc:
            raise ApplyError("cannot read manifest %s: %s" % (path, exc))
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


def ref(obj):
    meta = obj.get("metadata") or {}
    if meta.get("namespace"):
        return "%s %s/%s" % (obj.get("kind"), meta["namespace"], meta.get("name"))
    return "%s %s" % (obj.get("kind"), meta.get("name"))


def wait_crds_established(client, names, timeout=60):
    deadline = time.monotonic() + timeout
    pending = list(names)
    while pending:
        still = []
        for name in pending:
            crd = client.get(CRD_API, "CustomResourceDefinition", name)
            conds = ((crd or {}).get("status") or {}).get("conditions") or []
            if not any(c.get("type") == "Established" and c.get("status") == "True" for c in conds):
                still.append(name)
        pending = still
        if pending and time.monotonic() > deadline:
            raise ApplyError("CRDs not established after %ss: %s" % (timeout, ", ".join(pending)))
        if pending:
            time.sleep(0.5)
    client.forget()


def apply_objects(client, objects, namespace=None, annotations=None, labels=None, check_mode=False, force=True):
    """Apply each object; return [(ref, 'created'|'configured'|'unchanged')] in order."""
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
        if obj.get("kind") == "CustomResourceDefinition" and state != "unchanged":
            crds.append(meta["name"])
        results.append((ref(obj), state))
    if crds and not check_mode:
        wait_crds_established(client, crds)
    return results
