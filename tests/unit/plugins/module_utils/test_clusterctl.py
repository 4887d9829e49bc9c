"""clusterctl's offline repository and init plan from a Bundles versionsBundle."""
import os

import pytest
import yaml

from ansible_collections.eksa.anywhere.plugins.module_utils.tools import clusterctl

KEYS = ("clusterAPI", "bootstrap", "controlPlane", "etcdadmBootstrap", "etcdadmController", "vSphere")


@pytest.fixture
def versions_bundle(tmp_path):
    vb = {"kubeVersion": "1.33"}
    for key in KEYS:
        comp = tmp_path / ("%s-components.yaml" % key)
        comp.write_text("kind: Namespace\n")
        meta = tmp_path / ("%s-metadata.yaml" % key)
        meta.write_text("apiVersion: clusterctl.cluster.x-k8s.io/v1alpha3\nkind: Metadata\n")
        vb[key] = {"version": "v1.0.%d" % KEYS.index(key), "components": {"uri": str(comp)}, "metadata": {"uri": "file://%s" % meta}}
    cm = tmp_path / "cert-manager.yaml"
    cm.write_text("kind: Namespace\n")
    vb["certManager"] = {"version": "v1.21.1", "manifest": {"uri": str(cm)}}
    return vb


def test_repository_layout_and_config(versions_bundle, tmp_path):
    repo = tmp_path / "repo"
    config_path, providers = clusterctl.build_repository(versions_bundle, str(repo))
    config = yaml.safe_load(open(config_path))
    assert oct(os.stat(config_path).st_mode & 0o777) == "0o600"
    names = [(p["name"], p["type"]) for p in config["providers"]]
    assert ("cluster-api", "CoreProvider") in names and ("vsphere", "InfrastructureProvider") in names
    assert ("etcdadm-controller", "BootstrapProvider") in names
    assert (repo / "bootstrap-kubeadm" / "v1.0.1" / "bootstrap-components.yaml").exists()
    assert (repo / "bootstrap-kubeadm" / "v1.0.1" / "metadata.yaml").exists()
    assert config["cert-manager"]["version"] == "v1.21.1"


def test_stacked_etcd_needs_no_etcdadm(versions_bundle):
    names = [p["name"] for p in clusterctl.wanted_providers(versions_bundle, external_etcd=False)]
    assert "etcdadm-bootstrap" not in names and "etcdadm-controller" not in names


def test_plan_init_and_arguments(versions_bundle):
    wanted = clusterctl.wanted_providers(versions_bundle)
    installed = {("CoreProvider", "cluster-api"): {"version": "v1.0.0"},
                 ("InfrastructureProvider", "vsphere"): {"version": "v0.9.9"}}
    to_install, present, conflicts = clusterctl.plan_init(wanted, installed)
    assert [p["name"] for p in present] == ["cluster-api"]
    assert [c["name"] for c in conflicts] == ["vsphere"]
    args = clusterctl.init_args(to_install, "/cfg", "/kc")
    assert args[:5] == ["init", "--config", "/cfg", "--kubeconfig", "/kc"]
    assert "--bootstrap" in args and "kubeadm:v1.0.1,etcdadm-bootstrap:v1.0.3,etcdadm-controller:v1.0.4" in args
    assert "--core" not in args


def test_missing_bundle_entries_are_named(versions_bundle):
    del versions_bundle["vSphere"]["metadata"]
    with pytest.raises(clusterctl.ClusterctlError, match="vSphere entry lacks components.uri or metadata.uri"):
        clusterctl.wanted_providers(versions_bundle)
    versions_bundle.pop("clusterAPI")
    with pytest.raises(clusterctl.ClusterctlError, match="no clusterAPI entry"):
        clusterctl.wanted_providers(versions_bundle)


def test_missing_manifest_file_is_named(versions_bundle, tmp_path):
    versions_bundle["clusterAPI"]["components"]["uri"] = str(tmp_path / "gone.yaml")
    with pytest.raises(clusterctl.ClusterctlError, match="gone.yaml, which does not exist"):
        clusterctl.build_repository(versions_bundle, str(tmp_path / "repo"))
