#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: clusterctl_init
short_description: Install the Cluster API providers of a Bundles manifest with clusterctl, offline
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Builds a local clusterctl provider repository from the component manifests of one Kubernetes version's entry of
    an EKS Anywhere Bundles manifest, writes a clusterctl config pointing at it (no GitHub API calls), and runs
    C(clusterctl init) for the providers that are missing - core, kubeadm bootstrap and control plane, etcdadm bootstrap
    and controller when etcd is external, the infrastructure provider, and cert-manager.
  - Waits for the provider Deployments to be Available.
  - Idempotent. Providers already installed at the wanted version are left alone; a provider installed at another version
    is an error (upgrades are not this module's job).
options:
  versions_bundle:
    description:
      - The versionsBundle to install from, as M(eksa.anywhere.cluster_context) returns it
        (RV(eksa.anywhere.cluster_context#module:versions_bundle), its manifest references absolute). The create
        workflow passes it, so the Bundles manifest is not read again.
      - One of O(versions_bundle) and O(bundle) is required.
    type: dict
  bundle:
    description:
      - Path or URL of the Bundles manifest, instead of O(versions_bundle) (with O(kubernetes_version)); remote
        manifests it names are downloaded once into C(<repository_dir>/downloads/).
    type: str
  kubernetes_version:
    description: The Kubernetes version (C(MAJOR.MINOR)) whose versionsBundle of O(bundle) to use.
    type: str
  infrastructure:
    description: The infrastructure provider.
    type: str
    choices: [vsphere, docker]
    default: vsphere
  external_etcd:
    description: Install the etcdadm bootstrap provider and controller too.
    type: bool
    default: true
  repository_dir:
    description: Where to write the local provider repository and C(clusterctl.yaml) (created with mode 0700).
    type: path
    required: true
  variables:
    description:
      - Variables the provider components need (for example C(VSPHERE_USERNAME), C(VSPHERE_PASSWORD),
        C(EXP_CLUSTER_RESOURCE_SET)), given to clusterctl as its environment. Never logged.
    type: dict
    default: {}
  binary_path:
    description: The clusterctl executable; found on C(PATH) when omitted.
    type: path
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
  - eksa.anywhere.wait
attributes:
  check_mode:
    description: Reports which providers would be installed, installs nothing.
    support: full
  diff_mode:
    description: Not supported.
    support: none
notes:
  - clusterctl gets a private copy (0600) of the kubeconfig; it is removed when the module ends.
"""

EXAMPLES = r"""
- name: Installing cluster-api providers on bootstrap cluster
  eksa.anywhere.clusterctl_init:
    kubeconfig: mgmt/generated/mgmt.kind.kubeconfig
    bundle: ./bundles.yaml
    kubernetes_version: "1.33"
    repository_dir: mgmt/generated/clusterctl

- name: With the cluster context's versionsBundle (the create workflow)
  eksa.anywhere.clusterctl_init:
    kubeconfig: "{{ ctx.paths.bootstrap_kubeconfig }}"
    versions_bundle: "{{ ctx.versions_bundle }}"
    repository_dir: "{{ ctx.paths.clusterctl_repository }}"
    variables:
      EXP_CLUSTER_RESOURCE_SET: "true"
"""

RETURN = r"""
installed:
  description: The providers this run installed (C(type/name:version)).
  returned: always
  type: list
  elements: str
present:
  description: The providers that were already installed at the wanted version.
  returned: always
  type: list
  elements: str
deployments:
  description: The provider Deployments and whether each is Available.
  returned: when O(wait=true) and not in check mode
  type: dict
cmd:
  description: The clusterctl command that ran (on failure too).
  returned: when clusterctl ran
  type: list
  elements: str
rc:
  description: clusterctl's exit code, on failure.
  returned: failed
  type: int
stdout:
  description: clusterctl's standard output.
  returned: when clusterctl ran
  type: str
stderr:
  description: clusterctl's standard error, on failure.
  returned: failed
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.eksa.anywhere.plugins.module_utils.tools import clusterctl
from ansible_collections.eksa.anywhere.plugins.module_utils.spec import context as cluster_context
from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import FileError, lock_for
from ansible_collections.eksa.anywhere.plugins.module_utils.common.module_support import fail_cli, k8s_from_module
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.args import k8s_argument_spec
from ansible_collections.eksa.anywhere.plugins.module_utils.tools.cli import CliError, PrivateDir, Tool, module_runner
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError


def _label(prov):
    return "%s/%s:%s" % (prov["type"], prov["name"], prov["version"])


def main():
    module = AnsibleModule(
        argument_spec=k8s_argument_spec(
            with_wait=True,
            versions_bundle=dict(type="dict"),
            bundle=dict(type="str"),
            kubernetes_version=dict(type="str"),
            infrastructure=dict(type="str", default="vsphere", choices=["vsphere", "docker"]),
            external_etcd=dict(type="bool", default=True),
            repository_dir=dict(type="path", required=True),
            variables=dict(type="dict", default={}, no_log=True),
            binary_path=dict(type="path"),
        ),
        supports_check_mode=True,
        mutually_exclusive=[("versions_bundle", "bundle")],
        required_one_of=[("versions_bundle", "bundle")],
        required_by={"bundle": "kubernetes_version"},
    )
    p = module.params
    conn, client = k8s_from_module(module)
    result = dict(changed=False, installed=[], present=[])
    private = PrivateDir()
    try:
        try:
            vb = p["versions_bundle"] or cluster_context.resolve_release(
                p["bundle"], [p["kubernetes_version"]], with_release=False, check_mode=module.check_mode,
                cache_dir=os.path.join(p["repository_dir"], "downloads"))["versions_bundles"][p["kubernetes_version"]]
            wanted = clusterctl.wanted_providers(vb, p["infrastructure"], p["external_etcd"])
            installed = clusterctl.installed_providers(client)
        except (cluster_context.BundleError, clusterctl.ClusterctlError, K8sError) as exc:
            module.fail_json(msg=str(exc), **result)
        to_install, present, conflicts = clusterctl.plan_init(wanted, installed)
        result["present"] = [_label(x) for x in present]
        if conflicts:
            module.fail_json(msg="providers are installed at other versions than the bundle's: %s; upgrade them (clusterctl upgrade)"
                             " or use the bundle they came from" % ", ".join(
                                 "%s (installed %s)" % (_label(c), c["installed_version"]) for c in conflicts), **result)
        result["installed"] = [_label(x) for x in to_install]
        if to_install:
            result["changed"] = True
            if not module.check_mode:
                try:
                    # one run at a time writes a cluster's folder (common/files.py cluster_lock), as capi_manifests does
                    with lock_for(p["repository_dir"], what="eksa.anywhere.clusterctl_init"):
                        config_path, dummy = clusterctl.build_repository(vb, p["repository_dir"], p["infrastructure"],
                                                                         p["external_etcd"])
                    tool = Tool("clusterctl", module_runner(module), p["binary_path"],
                                env={"CLUSTERCTL_DISABLE_VERSIONCHECK": "true"})
                    kubeconfig = private.write_kubeconfig(conn)
                    env = dict((k, str(v)) for k, v in p["variables"].items())
                    args = clusterctl.init_args(to_install, config_path, kubeconfig)
                    result["cmd"] = [tool.binary] + [a if a != kubeconfig else "<kubeconfig>" for a in args]
                    result["stdout"] = tool.run(args, env=env)
                except clusterctl.ClusterctlError as exc:
                    module.fail_json(msg=str(exc), **result)
                except FileError as exc:
                    module.fail_json(msg="cannot write the clusterctl repository: %s" % exc.message, path=exc.path, **result)
                except CliError as exc:
                    fail_cli(module, exc, **result)
        if p["wait"] and not module.check_mode:
            try:
                namespaces = clusterctl.provider_namespaces(client)
                status = clusterctl.wait_deployments(client, namespaces, p["wait_timeout"], sleep=min(p["wait_sleep"], 2))
                result["deployments"] = dict(status)
            except (clusterctl.ClusterctlError, K8sError) as exc:
                module.fail_json(msg=str(exc), **result)
        module.exit_json(**result)
    finally:
        private.cleanup()
        conn.close()


if __name__ == "__main__":
    main()
