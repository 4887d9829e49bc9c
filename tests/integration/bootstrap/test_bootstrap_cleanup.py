"""Bootstrap without kind: an existing cluster (the lab's bootstrap API server) as the bootstrap cluster, cleaned up at
the end of the create as a kind cluster is deleted - by kubeconfig (bootstrap_kubeconfig + bootstrap_cleanup), and by
in-cluster configuration (bootstrap_in_cluster: an ansible-runner job, as in an AWX container group, whose process sees
a service account at the standard path and KUBERNETES_SERVICE_HOST/PORT).

Each test compares the bootstrap API server before and after: what the create added (eksa-system, the providers'
namespaces, CRDs and RBAC, cert-manager, the record) is gone; what was there before (another test's providers, a
namespace and ConfigMap made here) is untouched. The lab may already hold providers from other tests: then nothing of
them is deleted, which is what is checked.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
KEEP_NS = "boot-keep"
RECORD_NS = "eksa-anywhere"


def _collections(top):
    target = Path(top) / "collections" / "ansible_collections" / "eksa"
    target.mkdir(parents=True, exist_ok=True)
    if not (target / "anywhere").exists():
        (target / "anywhere").symlink_to(REPO)
    return str(Path(top) / "collections")


def _env(lab, workdir):
    env = dict(os.environ)
    env.update({k: v for k, v in lab.items() if isinstance(v, str)})
    env["EKSA_VSPHERE_USERNAME"] = lab["LAB_VSPHERE_USERNAME"]
    env["EKSA_VSPHERE_PASSWORD"] = lab["LAB_VSPHERE_PASSWORD"]
    env["ANSIBLE_COLLECTIONS_PATH"] = _collections(workdir)
    env["ANSIBLE_LOCAL_TEMP"] = str(Path(workdir) / "tmp")
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def run_demo(lab, workdir, name, extra=()):
    cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(REPO / "inventories/localhost/hosts.yml"),
           str(REPO / "playbooks/demo.yml"), "-e", "demo_dir=%s" % workdir, "-e", "demo_cluster_name=%s" % name] + list(extra)
    return subprocess.run(cmd, env=_env(lab, workdir), cwd=str(workdir), capture_output=True, text=True, timeout=900,
                          check=False)


def kubectl(lab, *args, check=True):
    cmd = [os.path.join(lab["LAB_BIN"], "kubectl"), "--kubeconfig", lab["LAB_BOOTSTRAP_KUBECONFIG"]] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120)


def names(lab, *args):
    out = kubectl(lab, "get", *args, "-o", "json").stdout
    return sorted("%s/%s" % (i["metadata"].get("namespace", ""), i["metadata"]["name"]) for i in json.loads(out)["items"])


def state(lab):
    """What a create could add to (or take from) the bootstrap API server."""
    return {
        "namespaces": names(lab, "namespaces"),
        "crds": names(lab, "customresourcedefinitions"),
        "clusterroles": names(lab, "clusterroles"),
        "webhooks": names(lab, "validatingwebhookconfigurations") + names(lab, "mutatingwebhookconfigurations"),
        "deployments": names(lab, "deployments", "-A"),
    }


def assert_back_to(before, after):
    for key, items in before.items():
        if key == "namespaces":  # another test's kept namespace may end its termination meanwhile
            items = [i for i in items if not i.startswith("/%s-" % KEEP_NS)]
            after = dict(after, namespaces=[i for i in after[key] if not i.startswith("/%s-" % KEEP_NS)])
        added = sorted(set(after[key]) - set(items))
        if key == "namespaces":  # the durable state Secret of the cluster stays there, by design (docs/awx.md)
            added = [a for a in added if a != "/%s" % RECORD_NS]
        assert not added, "left on the bootstrap cluster: %s %s" % (key, added)
        assert not sorted(set(items) - set(after[key])), "deleted from the bootstrap cluster: %s" % key


@pytest.fixture
def kept(lab):
    """A namespace and a ConfigMap that exist before the create: untouched after it. (A name of its own per test: the
    previous test's may still be terminating.)"""
    namespace = "%s-%s" % (KEEP_NS, uuid.uuid4().hex[:6])
    kubectl(lab, "create", "namespace", namespace)
    kubectl(lab, "create", "configmap", "keep-me", "-n", namespace, "--from-literal=a=b")
    uid = json.loads(kubectl(lab, "get", "configmap", "keep-me", "-n", namespace, "-o", "json").stdout)["metadata"]["uid"]
    yield namespace, uid
    kubectl(lab, "delete", "namespace", namespace, "--wait=false", check=False)


def assert_kept(lab, kept_):
    namespace, uid = kept_
    cm = json.loads(kubectl(lab, "get", "configmap", "keep-me", "-n", namespace, "-o", "json").stdout)
    assert cm["metadata"]["uid"] == uid and cm["data"] == {"a": "b"}


def assert_no_record(lab, name):
    got = kubectl(lab, "get", "configmap", "%s-bootstrap" % name, "-n", RECORD_NS, check=False)
    assert got.returncode != 0 and "NotFound" in got.stderr, got.stdout


def test_bootstrap_kubeconfig_cleaned_up_like_kind(lab, kept, tmp_path):
    name = "bootkc"
    before = state(lab)
    proc = run_demo(lab, tmp_path, name, extra=["-e", "bootstrap_cleanup=true"])
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    out = proc.stdout
    assert "Deleting bootstrap cluster" in out and "Keeping bootstrap cluster" not in out
    assert "Deleted from the existing bootstrap cluster (%s)" % lab["LAB_BOOTSTRAP_KUBECONFIG"] in out
    assert out.find("Deleting bootstrap cluster") < out.find("🎉 Cluster created!")
    assert_back_to(before, state(lab))
    assert_no_record(lab, name)
    assert_kept(lab, kept)
    # the cluster itself lives on, managing itself, and its durable state stays on the bootstrap cluster
    kubectl(lab, "get", "secret", "%s-eksa-anywhere-state" % name, "-n", RECORD_NS)
    # a re-run: done, nothing recorded, nothing left to delete; in check mode, nothing changes
    again = run_demo(lab, tmp_path, name, extra=["-e", "bootstrap_cleanup=true", "--tags", "finalize"])
    assert again.returncode == 0, again.stdout[-4000:]
    assert "what this create put there: nothing left to delete" in again.stdout
    assert_back_to(before, state(lab))


# ------------------------------------------------------------------------------------------------ in-cluster
def _service_account_token(lab, sa):
    for args in (["create", "serviceaccount", sa, "-n", "default"],
                 ["create", "clusterrolebinding", sa, "--clusterrole=cluster-admin", "--serviceaccount=default:%s" % sa]):
        kubectl(lab, *args, check=False)
    return kubectl(lab, "create", "token", sa, "-n", "default", "--duration=1h").stdout.strip()


def _server_and_ca(lab):
    config = yaml.safe_load(Path(lab["LAB_BOOTSTRAP_KUBECONFIG"]).read_text())
    cluster = config["clusters"][0]["cluster"]
    if cluster.get("certificate-authority-data"):
        ca = base64.b64decode(cluster["certificate-authority-data"])
    else:
        ca = Path(cluster["certificate-authority"]).read_bytes()
    host_port = cluster["server"].split("://", 1)[1].rstrip("/")
    host, port = host_port.rsplit(":", 1)
    return host.strip("[]"), port, ca


def _spec_text(lab, workdir, name):
    """The lab's spec, generated and filled in as the demo does (the text an AWX survey sends)."""
    proc = run_demo(lab, workdir, name, extra=["--tags", "generate"])
    assert proc.returncode == 0, proc.stdout[-3000:]
    return (Path(workdir) / ("%s.yaml" % name)).read_text()


def _mount_points():
    """The folders of SA_DIR that do not exist yet (made for the bind mount, removed after)."""
    missing, path = [], SA_DIR
    while not path.exists():
        missing.append(path)
        path = path.parent
    return missing


@pytest.mark.slow  # make integration-all: make test's time went to the real controllers' build and tests/integration/real
def test_bootstrap_in_cluster_as_a_container_group_job(lab, kept, tmp_path):
    """The job's process alone sees the service account (a private mount namespace): nothing on the machine changes."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.fail("the in-cluster test needs root and unshare (util-linux) for a private mount namespace")
    name = "bootic"
    sa = "eksa-boot-%s" % uuid.uuid4().hex[:6]
    spec_text = _spec_text(lab, tmp_path / "spec", name)
    host, port, ca = _server_and_ca(lab)
    token = _service_account_token(lab, sa)
    secrets = tmp_path / "sa"
    secrets.mkdir(mode=0o700)
    (secrets / "token").write_text(token)
    (secrets / "ca.crt").write_bytes(ca)
    (secrets / "namespace").write_text("default")
    pdd = tmp_path / "job"
    shutil.copytree(REPO / "awx", pdd / "project")
    (pdd / "env").mkdir()
    extravars = {"cluster_config_data": spec_text, "bundle": Path(lab["LAB_BUNDLE"]).as_uri(), "bootstrap_in_cluster": True,
                 "clusterctl_binary": os.path.join(lab["LAB_BIN"], "clusterctl"), "skip_ip_check": True,
                 "vsphere_ca_path": lab["LAB_VSPHERE_CA_FILE"]}
    (pdd / "env" / "extravars").write_text(json.dumps(extravars))
    envvars = {"PATH": "%s:%s" % (VENV_BIN, os.environ.get("PATH", "")), "ANSIBLE_COLLECTIONS_PATH": _collections(pdd),
               "ANSIBLE_LOCAL_TEMP": str(pdd / "tmp"), "ANSIBLE_NOCOLOR": "1",
               "KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port,
               "EKSA_VSPHERE_USERNAME": lab["LAB_VSPHERE_USERNAME"], "EKSA_VSPHERE_PASSWORD": lab["LAB_VSPHERE_PASSWORD"]}
    (pdd / "env" / "envvars").write_text(json.dumps(envvars))
    before = state(lab)
    made = _mount_points()
    for path in reversed(made):
        path.mkdir()
    try:
        # a mount namespace of its own: the bind mount exists for the job's processes only, and ends with them
        script = 'mount --bind "$1" "$2" && exec "$3" run "$4" -p create_cluster.yml --ident job'
        proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(secrets),
                               str(SA_DIR), str(VENV_BIN / "ansible-runner"), str(pdd)],
                              capture_output=True, text=True, timeout=900, check=False)
    finally:
        for path in made:
            path.rmdir()
        kubectl(lab, "delete", "clusterrolebinding", sa, check=False)
        kubectl(lab, "delete", "serviceaccount", sa, "-n", "default", check=False)
    assert not any(p.exists() for p in made)
    stdout = (pdd / "artifacts" / "job" / "stdout").read_text() if (pdd / "artifacts" / "job" / "stdout").exists() else ""
    status = (pdd / "artifacts" / "job" / "status").read_text().strip() if (pdd / "artifacts" / "job" / "status").exists() else ""
    assert proc.returncode == 0 and status == "successful", (proc.stdout[-3000:], proc.stderr[-2000:], stdout[-5000:])
    # the job's folder is the project (AWX runs ansible-playbook there): <name>/generated/<name>.bootstrap.kubeconfig
    kubeconfig = pdd / "project" / name / "generated" / ("%s.bootstrap.kubeconfig" % name)
    assert kubeconfig.is_file() and oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
    assert "Deleting bootstrap cluster" in stdout and "Deleted from the existing bootstrap cluster (%s)" % kubeconfig in stdout
    for secret in (token, lab["LAB_VSPHERE_PASSWORD"]):
        assert secret not in stdout
    assert_back_to(before, state(lab))
    assert_no_record(lab, name)
    assert_kept(lab, kept)
