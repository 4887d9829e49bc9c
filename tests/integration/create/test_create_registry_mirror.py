"""A create with an authenticated registry mirror that has a CA (EKS Anywhere's air-gapped setup), in the lab: what
every container runtime would be told — the node files of the control plane and workers as applied (and moved to the
workload cluster), the credentials Secret — and the kind configuration and certs.d files the bootstrap phase writes
(kind_bootstrap with a stand-in kind binary that hands over the lab's bootstrap API server)."""
import base64
import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from test_create_cluster import REPO, VENV_BIN, _collections_path, kube, run_demo

pytestmark = pytest.mark.lab

NAME = "mirror"
USER, PASSWORD = "mirror-robot", "Mirr0r-S3cret!"
MIRROR = {"endpoint": "registry.lab.internal", "port": "5000", "authenticate": True,
          "ociNamespaces": [{"registry": "public.ecr.aws", "namespace": "eks-anywhere"},
                            {"registry": "docker.io", "namespace": "docker-hub"}]}
HOST = "registry.lab.internal:5000"


@pytest.fixture(scope="module")
def mirrored(lab, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("mirror")
    generated = run_demo(lab, workdir, extra=["--tags", "generate"], name=NAME)
    assert generated.returncode == 0, generated.stdout[-3000:]
    spec_path = workdir / ("%s.yaml" % NAME)
    docs = [d for d in yaml.safe_load_all(spec_path.read_text()) if d]
    ca = Path(lab["LAB_VSPHERE_CA_FILE"]).read_text()  # any PEM CA: the lab's
    docs[0]["spec"]["registryMirrorConfiguration"] = dict(MIRROR, caCertContent=ca)
    spec_path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    os.environ["REGISTRY_USERNAME"], os.environ["REGISTRY_PASSWORD"] = USER, PASSWORD
    try:
        created = run_demo(lab, workdir, extra=["-vvv"], name=NAME)
    finally:
        del os.environ["REGISTRY_USERNAME"], os.environ["REGISTRY_PASSWORD"]
    assert created.returncode == 0, created.stdout[-4000:] + created.stderr[-2000:]
    return workdir, created, ca


def _files(obj):
    spec = obj["spec"]["kubeadmConfigSpec"] if obj["kind"] == "KubeadmControlPlane" else obj["spec"]["template"]["spec"]
    return dict((f["path"], f) for f in spec.get("files") or [])


def test_created_and_password_never_in_output(mirrored):
    dummy, created, dummy_ca = mirrored
    assert "🎉 Cluster created!" in created.stdout
    for text in (PASSWORD, base64.b64encode(PASSWORD.encode()).decode()):
        assert text not in created.stdout + created.stderr


def test_nodes_are_told_the_mirror_its_ca_and_credentials(lab, mirrored):
    """The control plane and every worker group, as they are in the workload cluster after the move."""
    dummy, dummy_created, ca = mirrored
    workload = lab["LAB_WORKLOAD_KUBECONFIG"]
    kcps = [o for o in kube(lab, workload, "get", "kubeadmcontrolplanes", "-n", "eksa-system")["items"]
            if o["metadata"]["name"] == NAME]
    kcts = [o for o in kube(lab, workload, "get", "kubeadmconfigtemplates", "-n", "eksa-system")["items"]
            if o["metadata"]["name"].startswith(NAME + "-")]
    assert kcps and kcts
    for obj in kcps + kcts:
        files = _files(obj)
        append = files["/etc/containerd/config_append.toml"]
        assert 'config_path = "/etc/containerd/certs.d"' in append["content"]
        assert '[plugins."io.containerd.grpc.v1.cri".registry.configs."%s".auth]' % HOST in append["content"]
        assert 'username = "%s"' % USER in append["content"] and 'password = "%s"' % PASSWORD in append["content"]
        assert append["permissions"] == "0600"
        assert files["/etc/containerd/certs.d/%s/ca.crt" % HOST]["content"] == ca
        ecr = files["/etc/containerd/certs.d/public.ecr.aws/hosts.toml"]["content"]
        assert '[host."https://%s/v2/eks-anywhere"]' % HOST in ecr and "override_path = true" in ecr
        assert 'ca = "/etc/containerd/certs.d/%s/ca.crt"' % HOST in ecr
        hub = files["/etc/containerd/certs.d/docker.io/hosts.toml"]["content"]
        assert 'server = "https://registry-1.docker.io"' in hub and "/v2/docker-hub" in hub
        spec = obj["spec"]["kubeadmConfigSpec"] if obj["kind"] == "KubeadmControlPlane" else obj["spec"]["template"]["spec"]
        assert "cat /etc/containerd/config_append.toml >> /etc/containerd/config.toml" in spec["preKubeadmCommands"]
    etcds = [o for o in kube(lab, workload, "get", "etcdadmclusters", "-n", "eksa-system")["items"]
             if o["metadata"]["name"] == NAME + "-etcd"]
    assert etcds, "the demo spec has an external etcd"
    mirror = etcds[0]["spec"]["etcdadmConfigSpec"]["registryMirror"]
    assert mirror["endpoint"].startswith(HOST) and mirror["caCert"] == ca
    secret = kube(lab, workload, "get", "secret", "registry-credentials", "-n", "eksa-system")
    assert base64.b64decode(secret["data"]["username"]).decode() == USER


def test_generated_files_private_and_diff_masked(mirrored):
    workdir, dummy, dummy_ca = mirrored
    for path in (workdir / NAME / "generated").glob("%s-capi-*.yaml" % NAME):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_kind_bootstrap_config_pulls_through_the_mirror(lab, mirrored, tmp_path):
    """The kind config the bootstrap phase writes: config_path and the credentials patched into containerd, the
    certs.d files (hosts.toml per registry, the CA) mounted; a stand-in kind hands over the lab's bootstrap server."""
    workdir, dummy, ca = mirrored
    saved = tmp_path / "kind-config.yaml"
    fake = tmp_path / "kind"
    fake.write_text("""#!/bin/sh
case "$1 $2" in
  "get clusters") exit 0;;
  "create cluster")
    while [ $# -gt 0 ]; do
      case "$1" in --config) cp "$2" "{saved}"; shift;; --kubeconfig) cp "{kubeconfig}" "$2"; shift;; esac
      shift
    done
    exit 0;;
esac
exit 0
""".format(saved=saved, kubeconfig=lab["LAB_BOOTSTRAP_KUBECONFIG"]))
    fake.chmod(0o755)
    play = tmp_path / "kind.yml"
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "connection": "local", "gather_facts": False,
                                     "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                                     "tasks": [
                                         {"eksa.anywhere.cluster_spec": {"path": str(workdir / ("%s.yaml" % NAME))},
                                          "register": "loaded"},
                                         {"eksa.anywhere.kind_bootstrap": {
                                             "name": NAME, "spec": "{{ loaded.spec }}", "output_dir": str(tmp_path / "out"),
                                             "binary_path": str(fake), "wait_timeout": 60}}]}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=_collections_path(tmp_path), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), REGISTRY_USERNAME=USER, REGISTRY_PASSWORD=PASSWORD)
    run = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", str(REPO / "inventories/localhost/hosts.yml"),
                          str(play), "-vvv"], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert PASSWORD not in run.stdout + run.stderr
    config = yaml.safe_load(saved.read_text())
    patch = config["containerdConfigPatches"][0]
    assert 'config_path = "/etc/containerd/certs.d"' in patch
    assert '[plugins."io.containerd.grpc.v1.cri".registry.configs."%s".auth]' % HOST in patch
    assert 'password = "%s"' % PASSWORD in patch
    certs = tmp_path / "out" / NAME / "generated" / "kind-certs.d"
    assert config["nodes"][0]["extraMounts"] == [{"containerPath": "/etc/containerd/certs.d", "hostPath": str(certs),
                                                  "readOnly": True}]
    assert (certs / HOST / "ca.crt").read_text() == ca
    assert "/v2/eks-anywhere" in (certs / "public.ecr.aws" / "hosts.toml").read_text()
    assert "/v2/docker-hub" in (certs / "docker.io" / "hosts.toml").read_text()
    kind_config = tmp_path / "out" / NAME / "generated" / "kind_tmp.yaml"
    assert stat.S_IMODE(os.stat(kind_config).st_mode) == 0o600
