# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""clusterctl offline: a local provider repository built from a Bundles manifest, init, move and inventory.

Independent of AnsibleModule. The local repository has clusterctl's layout
(``<provider-label>/<version>/<type>-components.yaml`` and ``metadata.yaml``), as EKS Anywhere's
overrides do, so ``clusterctl init`` never asks GitHub for anything.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import shutil
import time

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False

try:
    import requests
    HAS_REQUESTS = True
except ImportError:  # pragma: no cover
    HAS_REQUESTS = False

from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import write_private
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError

INVENTORY_API = "clusterctl.cluster.x-k8s.io/v1alpha3"

# bundle key, clusterctl provider name, provider type, repository folder, components file
PROVIDERS = (
    ("clusterAPI", "cluster-api", "CoreProvider", "cluster-api", "core-components.yaml"),
    ("bootstrap", "kubeadm", "BootstrapProvider", "bootstrap-kubeadm", "bootstrap-components.yaml"),
    ("controlPlane", "kubeadm", "ControlPlaneProvider", "control-plane-kubeadm", "control-plane-components.yaml"),
    ("etcdadmBootstrap", "etcdadm-bootstrap", "BootstrapProvider", "bootstrap-etcdadm-bootstrap", "bootstrap-components.yaml"),
    ("etcdadmController", "etcdadm-controller", "BootstrapProvider", "bootstrap-etcdadm-controller", "bootstrap-components.yaml"),
    ("vSphere", "vsphere", "InfrastructureProvider", "infrastructure-vsphere", "infrastructure-components.yaml"),
    ("docker", "docker", "InfrastructureProvider", "infrastructure-docker", "infrastructure-components.yaml"),
)
TYPE_FLAGS = {
    "CoreProvider": "--core",
    "BootstrapProvider": "--bootstrap",
    "ControlPlaneProvider": "--control-plane",
    "InfrastructureProvider": "--infrastructure",
}
# the inventory's type names (clusterctl's Provider objects) for the config's provider types
INVENTORY_TYPES = {
    "CoreProvider": "CoreProvider",
    "BootstrapProvider": "BootstrapProvider",
    "ControlPlaneProvider": "ControlPlaneProvider",
    "InfrastructureProvider": "InfrastructureProvider",
}


class ClusterctlError(Exception):
    pass


def fetch(uri, dest, timeout=60):
    """Copy a manifest from a local path, a file:// URL or an http(s) URL into dest."""
    if uri.startswith("file://"):
        uri = uri[len("file://"):]
    if uri.startswith(("http://", "https://")):
        if not HAS_REQUESTS:
            raise ClusterctlError("the Python library requests is needed to download %s" % uri)
        try:
            resp = requests.get(uri, timeout=timeout)
            resp.raise_for_status()
        except requests.exceptions.RequestException as exc:
            raise ClusterctlError("cannot download %s: %s" % (uri, exc))
        with open(dest, "wb") as handle:
            handle.write(resp.content)
        return
    if not os.path.isfile(uri):
        raise ClusterctlError("the bundle names %s, which does not exist: check the Bundles manifest" % uri)
    shutil.copyfile(uri, dest)


def wanted_providers(versions_bundle, infrastructure="vsphere", external_etcd=True):
    """[(name, type, version, folder, components file, components uri, metadata uri)] the cluster needs."""
    wanted = []
    for key, name, ptype, folder, filename in PROVIDERS:
        if key in ("etcdadmBootstrap", "etcdadmController") and not external_etcd:
            continue
        if ptype == "InfrastructureProvider" and name != infrastructure:
            continue
        entry = versions_bundle.get(key)
        if not isinstance(entry, dict) or not entry.get("version"):
            raise ClusterctlError("the bundle's versionsBundle for Kubernetes %s has no %s entry with a version"
                                  % (versions_bundle.get("kubeVersion"), key))
        try:
            components = entry["components"]["uri"]
            metadata = entry["metadata"]["uri"]
        except (KeyError, TypeError):
            raise ClusterctlError("the bundle's %s entry lacks components.uri or metadata.uri" % key)
        wanted.append(dict(name=name, type=ptype, version=entry["version"], folder=folder, file=filename,
                           components=components, metadata=metadata))
    return wanted


def cert_manager(versions_bundle):
    entry = versions_bundle.get("certManager") or {}
    try:
        return dict(version=entry["version"], manifest=entry["manifest"]["uri"])
    except (KeyError, TypeError):
        raise ClusterctlError("the bundle's versionsBundle has no certManager version and manifest.uri")


def build_repository(versions_bundle, repo_dir, infrastructure="vsphere", external_etcd=True):
    """Write the local repository and clusterctl.yaml under repo_dir; return (config path, wanted providers)."""
    providers = wanted_providers(versions_bundle, infrastructure, external_etcd)
    certs = cert_manager(versions_bundle)
    if not os.path.isdir(repo_dir):
        os.makedirs(repo_dir, 0o700)
    config = {"providers": [], "cert-manager": {}, "images": {}}
    for prov in providers:
        folder = os.path.join(repo_dir, prov["folder"], prov["version"])
        if not os.path.isdir(folder):
            os.makedirs(folder, 0o700)
        target = os.path.join(folder, prov["file"])
        fetch(prov["components"], target)
        fetch(prov["metadata"], os.path.join(folder, "metadata.yaml"))
        config["providers"].append({"name": prov["name"], "type": prov["type"], "url": target})
    cm_folder = os.path.join(repo_dir, "cert-manager", certs["version"])
    if not os.path.isdir(cm_folder):
        os.makedirs(cm_folder, 0o700)
    cm_target = os.path.join(cm_folder, "cert-manager.yaml")
    fetch(certs["manifest"], cm_target)
    config["cert-manager"] = {"url": cm_target, "version": certs["version"]}
    config_path = os.path.join(repo_dir, "clusterctl.yaml")
    write_private(config_path, yaml.safe_dump(config, default_flow_style=False))
    return config_path, providers


def installed_providers(client):
    """{(type, name): {version, namespace}} from clusterctl's inventory in the cluster (empty when none)."""
    if not client.serves(INVENTORY_API, "Provider"):
        return {}
    found = {}
    for item in client.list(INVENTORY_API, "Provider"):
        key = (item.get("type"), item.get("providerName"))
        found[key] = dict(version=item.get("version"), namespace=(item.get("metadata") or {}).get("namespace"))
    return found


def plan_init(wanted, installed):
    """Split wanted providers into (to install, already there, version conflicts)."""
    to_install, present, conflicts = [], [], []
    for prov in wanted:
        have = installed.get((INVENTORY_TYPES[prov["type"]], prov["name"]))
        if not have:
            to_install.append(prov)
        elif have["version"] == prov["version"]:
            present.append(prov)
        else:
            conflicts.append(dict(prov, installed_version=have["version"]))
    return to_install, present, conflicts


def init_args(to_install, config_path, kubeconfig):
    args = ["init", "--config", config_path, "--kubeconfig", kubeconfig]
    by_flag = {}
    for prov in to_install:
        by_flag.setdefault(TYPE_FLAGS[prov["type"]], []).append("%s:%s" % (prov["name"], prov["version"]))
    for flag in ("--core", "--bootstrap", "--control-plane", "--infrastructure"):
        if flag in by_flag:
            args += [flag, ",".join(by_flag[flag])]
    return args


def deployments_status(client, namespaces):
    """[(namespace/name, available)] of the Deployments in namespaces."""
    out = []
    for ns in sorted(set(namespaces)):
        for dep in client.list("apps/v1", "Deployment", namespace=ns):
            conds = (dep.get("status") or {}).get("conditions") or []
            available = any(c.get("type") == "Available" and c.get("status") == "True" for c in conds)
            out.append(("%s/%s" % (ns, dep["metadata"]["name"]), available))
    return out


def wait_deployments(client, namespaces, timeout, sleep=2, progress=None):
    deadline = time.monotonic() + timeout
    last = None
    while True:
        status = deployments_status(client, namespaces)
        missing = [name for name, ok in status if not ok]
        line = "%d/%d provider deployments available" % (len(status) - len(missing), len(status))
        if progress and line != last:
            progress(line)
        last = line
        if status and not missing:
            return status
        if time.monotonic() >= deadline:
            raise ClusterctlError("timed out after %ss waiting for provider deployments: not available: %s"
                                  % (timeout, ", ".join(missing) or "none found in %s" % ", ".join(namespaces)))
        time.sleep(sleep)


def provider_namespaces(client):
    return sorted(set(v["namespace"] for v in installed_providers(client).values() if v.get("namespace")))


def objects_of_cluster(client, cluster_name, namespace, kinds):
    """Count the objects of each (apiVersion, kind) in namespace that belong to the cluster."""
    counts = {}
    for api_version, kind in kinds:
        try:
            items = client.list(api_version, kind, namespace=namespace)
        except K8sError:
            counts["%s" % kind] = 0
            continue
        mine = [i for i in items if belongs_to(i, cluster_name)]
        counts[kind] = len(mine)
    return counts


def belongs_to(obj, cluster_name):
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    if labels.get("cluster.x-k8s.io/cluster-name") == cluster_name:
        return True
    name = meta.get("name", "")
    return name == cluster_name or name.startswith(cluster_name + "-")
