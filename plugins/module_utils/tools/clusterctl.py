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

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False

from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import (
    FileError, cluster_root, ensure_dir, read_file, write_private,
)
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import waiter

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


MAX_MANIFEST_BYTES = 64 * 1024 * 1024


def fetch(uri, dest, root=None):
    """Copy a manifest the bundle names (a local path or file:// URL: the cluster context downloads remote ones)
    into dest (0600, no link followed below root)."""
    if uri.startswith("file://"):
        uri = uri[len("file://"):]
    if uri.startswith(("http://", "https://")):
        raise ClusterctlError("the versionsBundle names %s: give the versionsBundle the cluster context resolved "
                              "(eksa.anywhere.cluster_context downloads remote manifests once)" % uri)
    if not os.path.isfile(uri):
        raise ClusterctlError("the bundle names %s, which does not exist: check the Bundles manifest" % uri)
    try:
        write_private(dest, read_file(uri, limit=MAX_MANIFEST_BYTES), root=root)
    except FileError as exc:
        raise ClusterctlError(exc.message)


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
    # <output_dir>/<cluster>/generated/clusterctl/...: folders 0700, files 0600, no link followed below <output_dir>
    root = cluster_root(os.path.join(repo_dir, "clusterctl.yaml"))
    try:
        ensure_dir(repo_dir, root=root)
        config = {"providers": [], "cert-manager": {}, "images": {}}
        for prov in providers:
            folder = os.path.join(repo_dir, prov["folder"], prov["version"])
            target = os.path.join(folder, prov["file"])
            fetch(prov["components"], target, root=root)
            fetch(prov["metadata"], os.path.join(folder, "metadata.yaml"), root=root)
            config["providers"].append({"name": prov["name"], "type": prov["type"], "url": target})
        cm_folder = os.path.join(repo_dir, "cert-manager", certs["version"])
        cm_target = os.path.join(cm_folder, "cert-manager.yaml")
        fetch(certs["manifest"], cm_target, root=root)
        config["cert-manager"] = {"url": cm_target, "version": certs["version"]}
        config_path = os.path.join(repo_dir, "clusterctl.yaml")
        write_private(config_path, yaml.safe_dump(config, default_flow_style=False), root=root)
    except FileError as exc:
        raise ClusterctlError(exc.message)
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
    """[(namespace/name, available)] of the Deployments in namespaces: available with the latest generation observed
    and every replica updated and available (k8s.waiter.deployment_ready)."""
    out = []
    for ns in sorted(set(namespaces)):
        for dep in client.list("apps/v1", "Deployment", namespace=ns):
            out.append(("%s/%s" % (ns, dep["metadata"]["name"]), waiter.deployment_ready(dep)))
    return out


def wait_deployments(client, namespaces, timeout, sleep=2, progress=None):
    """Wait (on a watch of Deployments) until every Deployment of the namespaces is available; return their status."""
    result = []

    def check():
        result[:] = deployments_status(client, namespaces)
        missing = [name for name, ok in result if not ok]
        line = "%d/%d provider deployments available" % (len(result) - len(missing), len(result))
        if missing:
            line += "; not yet: %s" % ", ".join(missing[:10])
        elif not result:
            line += "; none found in %s" % ", ".join(namespaces)
        return bool(result) and not missing, line
    try:
        waiter.wait_until(check, timeout, "provider deployments", progress=progress, sleep=sleep,
                          block=waiter.watch_block(client, "apps/v1", "Deployment"))
    except waiter.WaitTimeout as exc:
        raise ClusterctlError(str(exc))
    return result


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
