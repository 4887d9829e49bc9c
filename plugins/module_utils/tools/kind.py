# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""The kind bootstrap cluster as EKS Anywhere creates it: name, config, proxy environment, arguments.

Independent of AnsibleModule.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.eksa.anywhere.plugins.module_utils.spec.context import layout


def cluster_name(name):
    return "%s-eks-a-cluster" % name


def kubeconfig_path(output_dir, name):
    return layout(output_dir, name)["kind_kubeconfig"]


def _cidr(cluster, key):
    blocks = ((((cluster.get("spec") or {}).get("clusterNetwork") or {}).get(key) or {}).get("cidrBlocks")) or []
    return blocks[0] if blocks else None


def kind_config(spec):
    """The kind config: pod/service CIDRs and the registry mirror of the spec."""
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
    mirror = (cluster.get("spec") or {}).get("registryMirrorConfiguration")
    if mirror and mirror.get("endpoint"):
        host = "%s:%s" % (mirror["endpoint"], mirror.get("port") or "443")
        patch = ['[plugins."io.containerd.grpc.v1.cri".registry.mirrors."public.ecr.aws"]',
                 '  endpoint = ["https://%s"]' % host]
        if mirror.get("insecureSkipVerify"):
            patch += ['[plugins."io.containerd.grpc.v1.cri".registry.configs."%s".tls]' % host,
                      "  insecure_skip_verify = true"]
        config["containerdConfigPatches"] = ["\n".join(patch)]
    return config


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
