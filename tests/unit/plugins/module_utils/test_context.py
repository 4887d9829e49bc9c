"""The cluster context: one layout function, credentials in one order, the bundle resolved and downloaded once."""
import os

import pytest
import yaml

from ansible_collections.eksa.anywhere.plugins.module_utils.spec import bundles, context
from ansible_collections.eksa.anywhere.plugins.module_utils.capi import render
from ansible_collections.eksa.anywhere.plugins.module_utils.tools import kind

EKSD = {
    "apiVersion": "distro.eks.amazonaws.com/v1alpha1", "kind": "Release",
    "metadata": {"name": "kubernetes-1-33-eks-1"}, "spec": {"number": 1},
    "status": {"components": [{"name": "etcd", "gitTag": "v3.5.16"}]},
}


def _vb(version, manifest_url):
    return {
        "kubeVersion": version,
        "eksD": {"name": "kubernetes-%s-eks-1" % version.replace(".", "-"), "channel": version.replace(".", "-"),
                 "kubeVersion": "v%s.0" % version, "manifestUrl": manifest_url,
                 "kindNode": {"uri": "public.ecr.aws/x/kind/node:v%s.0" % version}},
        "clusterAPI": {"version": "v1.13.5", "components": {"uri": "repository/core-components.yaml"},
                       "metadata": {"uri": "file:///abs/metadata.yaml"}},
        "cilium": {"manifest": {"uri": "https://example.test/cilium.yaml"}},
        "eksa": {"components": {"uri": "eksa/eksa-components.yaml"}},
        "vSphere": {"kubeVip": {"uri": "public.ecr.aws/x/kube-vip:v1"}},
    }


@pytest.fixture
def bundle_dir(tmp_path):
    doc = {"apiVersion": bundles.BUNDLES_API_VERSION, "kind": "Bundles", "metadata": {"name": "b"},
           "spec": {"versionsBundles": [_vb("1.32", "embed:///testdata/kubernetes-1-32-eks-1.yaml"),
                                        _vb("1.33", "eksd/kubernetes-1-33-eks-1.yaml")]}}
    (tmp_path / "bundles.yaml").write_text(yaml.safe_dump(doc))
    (tmp_path / "eksd").mkdir()
    (tmp_path / "eksd" / "kubernetes-1-33-eks-1.yaml").write_text(yaml.safe_dump(EKSD))
    (tmp_path / "kubernetes-1-32-eks-1.yaml").write_text(yaml.safe_dump(dict(EKSD, metadata={"name": "kubernetes-1-32-eks-1"})))
    return tmp_path


def _spec(version="1.33", worker_versions=()):
    groups = [{"name": "md-%d" % i, "kubernetesVersion": v} for i, v in enumerate(worker_versions)] or [{"name": "md-0"}]
    return {"provider": "vsphere", "cluster": {"metadata": {"name": "mgmt"},
                                               "spec": {"kubernetesVersion": version, "workerNodeGroupConfigurations": groups}}}


def test_layout_is_the_one_source_of_paths(tmp_path):
    paths = context.layout(str(tmp_path), "mgmt")
    assert paths["dir"] == str(tmp_path / "mgmt")
    assert paths["kubeconfig"] == str(tmp_path / "mgmt" / "mgmt-eks-a-cluster.kubeconfig")
    assert paths["spec_file"] == str(tmp_path / "mgmt" / "mgmt-eks-a-cluster.yaml")
    assert paths["bootstrap_kubeconfig"] == paths["kind_kubeconfig"] == str(tmp_path / "mgmt" / "generated" / "mgmt.kind.kubeconfig")
    assert context.layout(str(tmp_path), "mgmt", "/k/bs")["bootstrap_kubeconfig"] == "/k/bs"
    # the other modules derive nothing of their own
    assert kind.kubeconfig_path(str(tmp_path), "mgmt") == paths["kind_kubeconfig"]
    assert render.generated_dir(str(tmp_path), "mgmt") == paths["generated"]


def test_credentials_option_then_eksa_then_awx():
    env = {"EKSA_VSPHERE_USERNAME": "eksa", "EKSA_VSPHERE_PASSWORD": "p1", "VMWARE_USER": "awx", "VMWARE_PASSWORD": "p2"}
    assert context.vsphere_credentials(environ=env)["username"] == "eksa"
    assert context.vsphere_credentials(environ=env)["source"] == "EKSA_VSPHERE_USERNAME"
    assert context.vsphere_credentials("opt", "p0", environ=env)["username"] == "opt"
    awx = context.vsphere_credentials(environ={"VMWARE_USER": "awx", "VMWARE_PASSWORD": "p2"})
    assert (awx["username"], awx["password"], awx["source"]) == ("awx", "p2", "VMWARE_USER")
    assert context.vsphere_credentials(environ={})["username"] == ""
    cp = context.vsphere_credentials(environ=dict(env, EKSA_VSPHERE_CP_USERNAME="cp", EKSA_VSPHERE_CP_PASSWORD="cpp"))
    assert (cp["cp_username"], cp["cp_password"]) == ("cp", "cpp")
    with pytest.raises(ValueError, match="EKSA_VSPHERE_CP_PASSWORD"):
        context.vsphere_credentials(environ=dict(env, EKSA_VSPHERE_CP_USERNAME="cp"))


def test_hostname_option_then_spec_then_awx():
    assert context.vsphere_hostname("a", "b", environ={"VMWARE_HOST": "c"}) == "a"
    assert context.vsphere_hostname(None, "b", environ={"VMWARE_HOST": "c"}) == "b"
    assert context.vsphere_hostname(None, None, environ={"VMWARE_HOST": "c"}) == "c"


def test_references_resolved_against_a_path_or_url():
    assert bundles.resolve_ref("a/b.yaml", "/srv/bundle") == "/srv/bundle/a/b.yaml"
    assert bundles.resolve_ref("a/b.yaml", "https://h/x/") == "https://h/x/a/b.yaml"
    assert bundles.resolve_ref("embed:///testdata/k.yaml", "https://h/x/") == "https://h/x/k.yaml"
    assert bundles.resolve_ref("file:///abs/c.yaml", "https://h/x/") == "/abs/c.yaml"
    assert bundles.resolve_ref("https://o/c.yaml", "/srv") == "https://o/c.yaml"
    with pytest.raises(bundles.BundleError, match="next to the Bundles manifest"):
        bundles.resolve_ref("embed:///testdata/k.yaml", None)


def test_release_per_version_references_absolute_downloads_once(bundle_dir, monkeypatch):
    fetched = []

    def fake_download(url, what, timeout=30, ca_path=None, validate_certs=True):
        fetched.append((url, ca_path))
        return b"kind: ConfigMap\n"

    monkeypatch.setattr(bundles, "download", fake_download)
    cache = bundle_dir / "out" / "generated" / "bundle"
    versions = context.kubernetes_versions(_spec("1.33", ["1.32", "1.33"]))
    assert versions == ["1.33", "1.32"]
    got = context.resolve_release(str(bundle_dir / "bundles.yaml"), versions, cache_dir=str(cache), ca_path="/ca.pem")
    assert sorted(got["versions_bundles"]) == sorted(got["releases"]) == ["1.32", "1.33"]
    vb = got["versions_bundles"]["1.33"]
    assert vb["clusterAPI"]["components"]["uri"] == str(bundle_dir / "repository" / "core-components.yaml")
    assert vb["clusterAPI"]["metadata"]["uri"] == "/abs/metadata.yaml"
    assert vb["eksD"]["manifestUrl"] == str(bundle_dir / "eksd" / "kubernetes-1-33-eks-1.yaml")
    assert got["versions_bundles"]["1.32"]["eksD"]["manifestUrl"] == str(bundle_dir / "kubernetes-1-32-eks-1.yaml")
    # the remote manifest: downloaded once for both versions, into the cache (0600), with the CA
    assert fetched == [("https://example.test/cilium.yaml", "/ca.pem")]
    local = vb["cilium"]["manifest"]["uri"]
    assert local.startswith(str(cache)) and oct(os.stat(local).st_mode & 0o777) == "0o600"
    assert got["versions_bundles"]["1.32"]["cilium"]["manifest"]["uri"] == local
    assert got["releases"]["1.33"]["eksd_release"] == "kubernetes-1-33-eks-1"
    assert got["releases"]["1.33"]["kube_version_minor"] == "1.33"
    assert got["eksd_releases"] == {"1.32": "kubernetes-1-32-eks-1", "1.33": "kubernetes-1-33-eks-1"}
    # the renderer takes the resolved release as it is: nothing read again
    assert render.resolve_bundle(got["releases"]["1.33"], "1.33") is got["releases"]["1.33"]


def test_check_mode_downloads_nothing(bundle_dir, monkeypatch):
    monkeypatch.setattr(bundles, "download", lambda *a, **k: pytest.fail("downloaded in check mode"))
    got = context.resolve_release(str(bundle_dir / "bundles.yaml"), ["1.33"], cache_dir=str(bundle_dir / "c"), check_mode=True)
    assert got["versions_bundles"]["1.33"]["cilium"]["manifest"]["uri"] == "https://example.test/cilium.yaml"
    assert not (bundle_dir / "c").exists()


def test_unknown_version_names_those_offered(bundle_dir):
    with pytest.raises(bundles.BundleError, match="1.32, 1.33"):
        context.resolve_release(str(bundle_dir / "bundles.yaml"), ["1.29"])


def _fake_download(monkeypatch, data=b"kind: ConfigMap\n"):
    monkeypatch.setattr(bundles, "download", lambda url, what, timeout=30, ca_path=None, validate_certs=True: data)


def test_download_cache_private_whatever_the_umask(bundle_dir, monkeypatch):
    """The cache folders are 0700 and the files 0600 whatever the umask (common/files.py, not os.makedirs)."""
    _fake_download(monkeypatch)
    out = bundle_dir / "out"
    paths = context.layout(str(out), "mgmt")
    old = os.umask(0)
    try:
        got = context.resolve_release(str(bundle_dir / "bundles.yaml"), ["1.33"], cache_dir=paths["bundle_cache"],
                                      root=str(out))
    finally:
        os.umask(old)
    local = got["versions_bundles"]["1.33"]["cilium"]["manifest"]["uri"]
    for folder in (out / "mgmt", out / "mgmt" / "generated", out / "mgmt" / "generated" / "bundle"):
        assert os.stat(str(folder)).st_mode & 0o777 == 0o700, folder
    assert os.stat(local).st_mode & 0o777 == 0o600
    # a cached file another program left readable is made private again
    os.chmod(local, 0o644)
    context.resolve_release(str(bundle_dir / "bundles.yaml"), ["1.33"], cache_dir=paths["bundle_cache"], root=str(out))
    assert os.stat(local).st_mode & 0o777 == 0o600


def test_download_cache_refuses_a_link_at_generated(bundle_dir, monkeypatch):
    """A link planted at <name>/generated is refused with an error naming it; its target is left untouched."""
    _fake_download(monkeypatch)
    out = bundle_dir / "out"
    elsewhere = bundle_dir / "elsewhere"
    elsewhere.mkdir()
    (out / "mgmt").mkdir(parents=True)
    os.symlink(str(elsewhere), str(out / "mgmt" / "generated"))
    paths = context.layout(str(out), "mgmt")
    with pytest.raises(bundles.BundleError) as err:
        context.resolve_release(str(bundle_dir / "bundles.yaml"), ["1.33"], cache_dir=paths["bundle_cache"],
                                root=str(out))
    assert str(out / "mgmt" / "generated") in err.value.message and "symbolic link" in err.value.message
    assert os.listdir(str(elsewhere)) == []
    # without an explicit root, the cluster's tree is still recognised: the same refusal
    with pytest.raises(bundles.BundleError, match="symbolic link"):
        context.resolve_release(str(bundle_dir / "bundles.yaml"), ["1.33"], cache_dir=paths["bundle_cache"])
    assert os.listdir(str(elsewhere)) == []


def test_download_cache_never_reads_or_writes_through_a_link_at_the_file(bundle_dir, monkeypatch):
    _fake_download(monkeypatch)
    out = bundle_dir / "out"
    paths = context.layout(str(out), "mgmt")
    target = bundle_dir / "target.yaml"
    target.write_bytes(b"kind: ConfigMap\n")
    os.makedirs(paths["bundle_cache"])
    os.symlink(str(target), os.path.join(paths["bundle_cache"], context._cache_name("https://example.test/cilium.yaml")))
    with pytest.raises(bundles.BundleError, match="symbolic link"):
        context.resolve_release(str(bundle_dir / "bundles.yaml"), ["1.33"], cache_dir=paths["bundle_cache"],
                                root=str(out))


def test_registry_credentials_option_then_environment():
    env = {"REGISTRY_USERNAME": "ru", "REGISTRY_PASSWORD": "rp"}
    assert context.registry_credentials(environ=env) == {"username": "ru", "password": "rp"}
    assert context.registry_credentials("opt", None, environ=env) == {"username": "opt", "password": "rp"}
    assert context.registry_credentials(environ={}) == {"username": None, "password": None}
