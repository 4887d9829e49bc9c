# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""The kind bootstrap cluster as EKS Anywhere creates it: name, config, proxy environment, arguments.

Independent of AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.registry_mirror import CERTS_DIR, RegistryMirror
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.context import layout

_CREDENTIAL_LINE = re.compile(r'^(\s*(?:username|password) = )".*"$', re.M)


def cluster_name(name):
    return "%s-eks-a-cluster" % name


def kubeconfig_path(output_dir, name):
    return layout(output_dir, name)["kind_kubeconfig"]


def _cidr(cluster, key):
    blocks = ((((cluster.get("spec") or {}).get("clusterNetwork") or {}).get(key) or {}).get("cidrBlocks")) or []
    return blocks[0] if blocks else None


def registry_mirror(spec, registry_credentials=None):
    """The spec's registry mirror (spec.registry_mirror.RegistryMirror) or None; MirrorError when it authenticates
    and its credentials are missing."""
    return RegistryMirror.from_spec((spec["cluster"].get("spec") or {}), registry_credentials)


def kind_config(spec, registry_credentials=None, certs_dir=None):
    """The kind config: pod/service CIDRs and, as for every node, the registry mirror: containerd's config_path (and
    the mirror's credentials when it authenticates) patched in, and ``certs_dir`` (its hosts.toml files and CA, see
    certs_files) mounted at /etc/containerd/certs.d, so the bootstrap node pulls every image through the mirror."""
    cluster = spec["cluster"]
    config = {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "networking": {},
        "nodes": [{"role": "control-plane"}],
    }
    pods, services = _cidr(cluster, "pods"), _cidr(cluster, "services")
    if pods:
        config["networking"]["podSubnet"] = pods
    if services:
        config["networking"]["serviceSubnet"] = services
    mirror = registry_mirror(spec, registry_credentials)
    if mirror:
        config["containerdConfigPatches"] = [mirror.containerd_config()]
        if certs_dir:
            config["nodes"][0]["extraMounts"] = [{"containerPath": CERTS_DIR, "hostPath": certs_dir, "readOnly": True}]
    return config


def certs_files(spec):
    """{path relative to the certs.d folder: content}: one hosts.toml per mirrored registry and the mirror's CA."""
    mirror = registry_mirror(spec, {"username": "-", "password": "-"})
    if not mirror:
        return {}
    return dict((path[len(CERTS_DIR) + 1:], content) for path, content in mirror.containerd_files()
                if path.startswith(CERTS_DIR + "/"))


def masked_config(config):
    """The kind config with the registry mirror's credentials masked (for results and logs)."""
    out = dict(config)
    if config.get("containerdConfigPatches"):
        out["containerdConfigPatches"] = [_CREDENTIAL_LINE.sub(r'\1"********"', patch)
                                          for patch in config["containerdConfigPatches"]]
    return out


def proxy_environment(spec):
    """HTTP(S)_PROXY and NO_PROXY for kind's nodes: NO_PROXY adds vCenter, the endpoint and the CIDRs, as EKS Anywhere does."""
    cluster = spec["cluster"]
    proxy = (cluster.get("spec") or {}).get("proxyConfiguration")
    if not proxy:
        return {}
    no_proxy = list(proxy.get("noProxy") or [])
    server = ((spec.get("datacenter") or {}).get("spec") or {}).get("server")
    endpoint = (((cluster.get("spec") or {}).get("controlPlaneConfiguration") or {}).get("endpoint") or {}).get("host")
    for extra in (server, endpoint, _cidr(cluster, "pods"), _cidr(cluster, "services"), "localhost", "127.0.0.1", ".svc"):
        if extra and extra not in no_proxy:
            no_proxy.append(extra)
    value = ",".join(no_proxy)
    return {"HTTP_PROXY": proxy.get("httpProxy", ""), "HTTPS_PROXY": proxy.get("httpsProxy", ""), "NO_PROXY": value,
            "http_proxy": proxy.get("httpProxy", ""), "https_proxy": proxy.get("httpsProxy", ""), "no_proxy": value}


def create_args(name, image, config_path, kubeconfig, wait="5m"):
    args = ["create", "cluster", "--name", cluster_name(name), "--kubeconfig", kubeconfig, "--config", config_path]
    if image:
        args[4:4] = ["--image", image]
    if wait:
        args += ["--wait", wait]
    return args


def delete_args(name, kubeconfig=None):
    args = ["delete", "cluster", "--name", cluster_name(name)]
    if kubeconfig:
        args += ["--kubeconfig", kubeconfig]
    return args
