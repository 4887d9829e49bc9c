#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: kind_bootstrap
short_description: The bootstrap cluster - a kind cluster on the admin host, or an existing cluster
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - With O(state=present), creates the kind cluster C(<name>-eks-a-cluster) as EKS Anywhere does -
    C(kind create cluster --name <name>-eks-a-cluster --image <kind node image> --config <generated kind config>
    --kubeconfig <output_dir>/<name>/generated/<name>.kind.kubeconfig) - with the spec's pod and service CIDRs and registry
    mirror in the config and its proxy in the environment (C(NO_PROXY) adds vCenter, the endpoint and the CIDRs); then creates
    the C(eksa-system) namespace.
  - Idempotent. An existing, healthy kind cluster of that name is reused; one whose API server does not answer is an error
    that says how to remove it.
  - With O(existing_kubeconfig), no kind cluster is made; that cluster is used as the bootstrap cluster (how users with
    a management cluster already running work, and how the lab runs).
  - With O(state=absent), deletes the kind cluster (an existing cluster given by O(existing_kubeconfig) is never deleted).
options:
  name:
    description: The name of the EKS Anywhere cluster being created.
    type: str
    required: true
  state:
    description: Whether the bootstrap cluster should exist.
    type: str
    choices: [present, absent]
    default: present
  spec:
    description: The normalized spec (RV(eksa.anywhere.cluster_spec#module:spec)); required with O(state=present) for kind.
    type: dict
  node_image:
    description: The kind node image (the bundle's C(eksD.kindNode.uri)).
    type: str
  output_dir:
    description: The folder holding C(<name>/generated/).
    type: path
    default: .
  existing_kubeconfig:
    description: Use the cluster of this kubeconfig as the bootstrap cluster instead of creating a kind cluster.
    type: path
  binary_path:
    description: The kind executable; found on C(PATH) when omitted.
    type: path
  registry_username:
    description:
      - The user of an authenticated registry mirror (C(registryMirrorConfiguration.authenticate=true)); falls back to
        E(REGISTRY_USERNAME). Patched into the kind node's containerd configuration, as EKS Anywhere does; masked in
        the result.
    type: str
  registry_password:
    description: The password of O(registry_username); falls back to E(REGISTRY_PASSWORD).
    type: str
  wait_timeout:
    description: Seconds for kind to wait for the control plane, and for the API server to answer.
    type: int
    default: 300
attributes:
  check_mode:
    description: Reports whether the cluster would be created or deleted.
    support: full
  diff_mode:
    description: Not supported.
    support: none
notes:
  - kind needs a container engine (Docker, Podman or nerdctl) on the admin host.
"""

EXAMPLES = r"""
- name: Creating new bootstrap cluster
  eksa.anywhere.kind_bootstrap:
    name: mgmt
    spec: "{{ cluster_spec_normalized }}"
    node_image: public.ecr.aws/eks-anywhere/kubernetes-sigs/kind/node:v1.33.1-eks-d-1-33-8-eks-a-100
    output_dir: /home/admin/clusters

- name: Use a running cluster as the bootstrap cluster
  eksa.anywhere.kind_bootstrap:
    name: mgmt
    existing_kubeconfig: ~/.kube/bootstrap.kubeconfig

- name: Deleting bootstrap cluster
  eksa.anywhere.kind_bootstrap:
    name: mgmt
    state: absent
"""

RETURN = r"""
kubeconfig:
  description: The kubeconfig of the bootstrap cluster.
  returned: always
  type: str
kind_cluster:
  description: The kind cluster's name (empty with O(existing_kubeconfig)).
  returned: always
  type: str
created:
  description: Whether this run created the kind cluster.
  returned: always
  type: bool
cmd:
  description: The kind command that ran.
  returned: when kind ran
  type: list
  elements: str
config:
  description:
    - The generated kind config (the registry mirror's credentials masked). With a registry mirror, its
      C(hosts.toml) files and CA are written under C(<output_dir>/<name>/generated/kind-certs.d/), mounted at the
      node's C(/etc/containerd/certs.d).
  returned: with O(state=present) and kind
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import waiter

from ansible_collections.eksa.anywhere.plugins.module_utils.tools import kind
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.context import REGISTRY_VARIABLES, layout
from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import fail_cli, require_libs
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.registry_mirror import MirrorError
from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import (
    FileError, chmod_file, cluster_lock, write_file, write_private,
)
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import proxy_credentials
from ansible_collections.eksa.anywhere.plugins.module_utils.tools.cli import CliError, Tool, module_runner

try:
    import yaml
except ImportError:  # pragma: no cover - require_libs reports it
    yaml = None

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "eksa-system"}}


def healthy(kubeconfig, timeout=5):
    """(True, None) when the API server of kubeconfig answers /readyz, else (False, why)."""
    try:
        conn = k8s_client.load_kubeconfig(kubeconfig)
    except k8s_client.K8sError as exc:
        return False, str(exc)
    client = k8s_client.K8sClient(conn, timeout=timeout)
    try:
        client.request("GET", "/readyz")
        return True, None
    except k8s_client.K8sError as exc:
        return False, str(exc)
    finally:
        client.close()
        conn.close()


def ensure_namespace(kubeconfig, check_mode):
    conn = k8s_client.load_kubeconfig(kubeconfig)
    client = k8s_client.K8sClient(conn)
    try:
        if client.get("v1", "Namespace", "eksa-system"):
            return False
        if not check_mode:
            client.apply(NAMESPACE)
        return True
    finally:
        client.close()
        conn.close()


def manages_cluster(kubeconfig, name):
    """True when the bootstrap cluster still holds the Cluster API Cluster of name."""
    try:
        conn = k8s_client.load_kubeconfig(kubeconfig)
    except k8s_client.K8sError:
        return False
    client = k8s_client.K8sClient(conn, timeout=10)
    try:
        return bool(client.serves("cluster.x-k8s.io/v1beta2", "Cluster")
                    and client.get("cluster.x-k8s.io/v1beta2", "Cluster", name, "eksa-system"))
    except k8s_client.K8sError:
        return False
    finally:
        client.close()
        conn.close()


def wait_healthy(kubeconfig, timeout):
    """(True, None) once /readyz answers (the one waiter; /readyz offers no watch), else (False, why) at the timeout."""
    try:
        waiter.wait_until(lambda: healthy(kubeconfig), timeout, "the kind API server", sleep=2)
        return True, None
    except waiter.WaitTimeout as exc:
        return False, exc.detail


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            spec=dict(type="dict"),
            node_image=dict(type="str"),
            output_dir=dict(type="path", default="."),
            existing_kubeconfig=dict(type="path"),
            binary_path=dict(type="path"),
            wait_timeout=dict(type="int", default=300),
            # EKS Anywhere's variables, named by the cluster context's table (spec/context.py), as vsphere/args.py does
            registry_username=dict(type="str", no_log=True, fallback=(env_fallback, list(REGISTRY_VARIABLES["username"]))),
            registry_password=dict(type="str", no_log=True, fallback=(env_fallback, list(REGISTRY_VARIABLES["password"]))),
        ),
        supports_check_mode=True,
    )
    require_libs(module)
    p = module.params
    # credentials in the spec's proxy URLs are masked in every output of this module (invocation, results, errors)
    module.no_log_values.update(proxy_credentials(p["spec"] or {}))
    name = p["name"]
    result = dict(changed=False, created=False, kind_cluster="", kubeconfig="")

    if p["existing_kubeconfig"]:
        result["kubeconfig"] = p["existing_kubeconfig"]
        if p["state"] == "absent":
            module.exit_json(msg="the bootstrap cluster is an existing cluster: left running", **result)
        ok, why = healthy(p["existing_kubeconfig"])
        if not ok:
            module.fail_json(msg="the existing bootstrap cluster of %s does not answer: %s" % (p["existing_kubeconfig"], why), **result)
        try:
            result["changed"] = ensure_namespace(p["existing_kubeconfig"], module.check_mode)
        except k8s_client.K8sError as exc:
            module.fail_json(msg="cannot create namespace eksa-system in the bootstrap cluster: %s" % exc, **result)
        module.exit_json(**result)

    paths = layout(p["output_dir"], name)
    kubeconfig = paths["kind_kubeconfig"]
    result.update(kind_cluster=kind.cluster_name(name), kubeconfig=kubeconfig)
    try:
        tool = Tool("kind", module_runner(module), p["binary_path"])
        clusters = tool.run(["get", "clusters"]).split()
    except CliError as exc:
        fail_cli(module, exc, **result)
    exists = kind.cluster_name(name) in clusters

    if p["state"] == "absent":
        if exists and os.path.exists(kubeconfig):
            managing = manages_cluster(kubeconfig, name)
            if managing:
                module.fail_json(msg="refusing to delete the bootstrap cluster: it still manages Cluster eksa-system/%s;"
                                 " move it to its own cluster first (clusterctl_move)" % name, **result)
        if exists:
            result["changed"] = True
            if not module.check_mode:
                args = kind.delete_args(name, kubeconfig if os.path.exists(kubeconfig) else None)
                result["cmd"] = [tool.binary] + args
                try:
                    tool.run(args)
                except CliError as exc:
                    fail_cli(module, exc, **result)
        module.exit_json(**result)

    if not p["spec"]:
        module.fail_json(msg="spec is required to create a kind bootstrap cluster: pass the normalized spec from eksa.anywhere.cluster_spec", **result)
    certs_dir = paths["kind_certs"]
    try:
        config = kind.kind_config(p["spec"], {"username": p["registry_username"], "password": p["registry_password"]},
                                  certs_dir=os.path.abspath(certs_dir))
    except MirrorError as exc:
        module.fail_json(msg=exc.message, field=exc.field, **result)
    result["config"] = kind.masked_config(config)
    if exists:
        ok, why = healthy(kubeconfig) if os.path.exists(kubeconfig) else (False, "its kubeconfig %s is missing" % kubeconfig)
        if not ok:
            module.fail_json(msg="kind cluster %s exists but is not healthy (%s): delete it with `kind delete cluster --name %s`"
                             " (or state=absent) and run again" % (kind.cluster_name(name), why, kind.cluster_name(name)), **result)
    else:
        result.update(changed=True, created=True)
        if not module.check_mode:
            config_path = paths["kind_config"]
            try:  # <output_dir>/<name>/generated/: folders 0700 and no link followed (common/files.py)
                # one run at a time writes a cluster's folder, as capi_manifests does
                with cluster_lock(paths["dir"], root=p["output_dir"], what="eksa.anywhere.kind_bootstrap"):
                    # may hold the mirror's credentials
                    write_private(config_path, yaml.safe_dump(config, default_flow_style=False), root=p["output_dir"])
                    for rel, content in sorted(kind.certs_files(p["spec"]).items()):
                        # read by the node's containerd (no secret: hosts.toml and the CA): kind-certs.d and below
                        # 0755, <name> and generated (the root here, made 0700 just above) keep their 0700
                        write_file(os.path.join(certs_dir, rel), content, mode=0o644, dir_mode=0o755, root=paths["generated"])
            except FileError as exc:
                module.fail_json(msg="cannot write the kind config: %s" % exc.message, **result)
            args = kind.create_args(name, p["node_image"], config_path, kubeconfig, wait="%ds" % p["wait_timeout"])
            result["cmd"] = [tool.binary] + args
            try:
                tool.run(args, env=kind.proxy_environment(p["spec"]))
            except CliError as exc:
                fail_cli(module, exc, **result)
            try:
                chmod_file(kubeconfig, 0o600)
            except FileError as exc:
                module.fail_json(msg=exc.message, **result)
            ok, why = wait_healthy(kubeconfig, p["wait_timeout"])
            if not ok:
                module.fail_json(msg="kind created %s but its API server does not answer: %s" % (kind.cluster_name(name), why), **result)
    if not module.check_mode or exists:
        try:
            result["changed"] = ensure_namespace(kubeconfig, module.check_mode) or result["changed"]
        except k8s_client.K8sError as exc:
            module.fail_json(msg="cannot create namespace eksa-system in the bootstrap cluster: %s" % exc, **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
