"""The create workflow run as AWX runs it: ansible-runner jobs, each in a fresh private data directory.

Each job: the project is the `awx/` wrapper folder, extra variables are what a survey sends (the spec as text, the
bundle as a URL), credentials are environment variables exactly as AWX's VMware credential type, the custom
"EKS Anywhere vSphere" type (docs/awx/credential-types) and the Kubernetes bearer-token type inject them. Nothing of a
job's folder survives it: the next job finds the cluster through its durable state (a Secret on the bootstrap cluster).
"""
import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ansible_runner = pytest.importorskip("ansible_runner")

sys.path.insert(0, str(Path(__file__).resolve().parent))
# pylint: disable-next=wrong-import-position
from awx_jobs import _collections, _injected, assert_no_secret, job, stats_changed  # noqa: E402
from lab_fixture import endpoint_host  # noqa: E402  pylint: disable=wrong-import-position,import-error

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
NAME = "awxjob"


def _spec_text(lab, tmp_path_factory):
    """The lab's spec, generated as the demo does, as the text a survey textarea sends."""
    work = tmp_path_factory.mktemp("spec")
    env = dict(os.environ, **{k: v for k, v in lab.items() if isinstance(v, str)})
    env["ANSIBLE_COLLECTIONS_PATH"] = _collections(work)
    env["ANSIBLE_LOCAL_TEMP"] = str(work / "tmp")
    # the create's always-tasks (context, preflight) run with --tags generate too
    env["EKSA_VSPHERE_USERNAME"] = lab["LAB_VSPHERE_USERNAME"]
    env["EKSA_VSPHERE_PASSWORD"] = lab["LAB_VSPHERE_PASSWORD"]
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", str(REPO / "inventories/localhost/hosts.yml"),
                           str(REPO / "playbooks/demo.yml"), "--tags", "generate", "-e", "demo_dir=%s" % work,
                           "-e", "demo_cluster_name=%s" % NAME, "-e", "demo_endpoint_host=%s" % endpoint_host(NAME)],
                          env=env, cwd=str(work), capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return (work / ("%s.yaml" % NAME)).read_text()


def survey(lab, spec_text):
    return {
        "cluster_config_data": spec_text,
        "bundle": Path(lab["LAB_BUNDLE"]).as_uri(),
        "bootstrap_kubeconfig": lab["LAB_BOOTSTRAP_KUBECONFIG"],
        "clusterctl_binary": os.path.join(lab["LAB_BIN"], "clusterctl"),
        "skip_ip_check": True,
    }


@pytest.fixture(scope="module")
def created(lab, tmp_path_factory):
    spec_text = _spec_text(lab, tmp_path_factory)
    extravars = survey(lab, spec_text)
    pdd, runner, stdout = job(lab, tmp_path_factory, "create_cluster.yml", extravars, _injected(lab, custom_type=True))
    assert runner.status == "successful", stdout[-5000:]
    return {"extravars": extravars, "pdd": pdd, "runner": runner, "stdout": stdout}


def test_create_as_a_job(lab, created):
    assert "🎉 Cluster created!" in created["stdout"]
    # the spec's thumbprint wins over the VMware credential's VMWARE_VALIDATE_CERTS=False, and says so
    assert "thumbprint always wins" in created["stdout"]
    assert_no_secret(lab, created["pdd"], created["runner"], created["stdout"])


def test_set_stats_publishes_non_secret_outputs(lab, created):
    stats = [e for e in created["runner"].events if e.get("event") == "playbook_on_stats"]
    data = stats[-1]["event_data"].get("artifact_data", {})
    assert data["eksa_cluster_name"] == NAME
    assert data["eksa_cluster_kubeconfig_secret"] == "eksa-anywhere/%s-eksa-anywhere-state" % NAME
    assert data["eksa_cluster_endpoint"]


def test_state_secret_on_the_bootstrap_cluster(lab, created):
    out = subprocess.run([os.path.join(lab["LAB_BIN"], "kubectl"), "--kubeconfig", lab["LAB_BOOTSTRAP_KUBECONFIG"], "get",
                          "secret", "-n", "eksa-anywhere", "%s-eksa-anywhere-state" % NAME, "-o", "json"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    data = json.loads(out)["data"]
    assert sorted(data) == ["kubeconfig", "spec"]
    assert "kind: Cluster" in base64.b64decode(data["spec"]).decode()


def test_second_job_in_a_new_folder_changes_nothing(lab, created, tmp_path_factory):
    pdd, runner, stdout = job(lab, tmp_path_factory, "create_cluster.yml", created["extravars"],
                              _injected(lab, custom_type=True))
    assert runner.status == "successful", stdout[-5000:]
    assert stats_changed(runner) == 0, stdout[-5000:]
    assert_no_secret(lab, pdd, runner, stdout)


def _bearer_token(lab, tmp_path_factory):
    """A service account token on the bootstrap cluster, as a Kubernetes bearer-token credential holds one."""
    kubectl = [os.path.join(lab["LAB_BIN"], "kubectl"), "--kubeconfig", lab["LAB_BOOTSTRAP_KUBECONFIG"]]
    for args in (["create", "serviceaccount", "awx-job", "-n", "default"],
                 ["create", "clusterrolebinding", "awx-job", "--clusterrole=cluster-admin", "--serviceaccount=default:awx-job"]):
        subprocess.run(kubectl + args, capture_output=True, text=True, check=False, timeout=60)
    token = subprocess.run(kubectl + ["create", "token", "awx-job", "-n", "default"], capture_output=True, text=True,
                           check=True, timeout=60).stdout.strip()
    config = yaml.safe_load(Path(lab["LAB_BOOTSTRAP_KUBECONFIG"]).read_text())
    cluster = config["clusters"][0]["cluster"]
    ca = tmp_path_factory.mktemp("ca") / "ca.crt"
    if cluster.get("certificate-authority-data"):
        ca.write_bytes(base64.b64decode(cluster["certificate-authority-data"]))
    else:
        shutil.copy(cluster["certificate-authority"], ca)
    return {"K8S_AUTH_HOST": cluster["server"], "K8S_AUTH_API_KEY": token, "K8S_AUTH_VERIFY_SSL": "True",
            "K8S_AUTH_SSL_CA_CERT": str(ca)}


def test_kubeconfig_job_with_a_bearer_token_credential(lab, created, tmp_path_factory):
    creds = _bearer_token(lab, tmp_path_factory)
    dest = tmp_path_factory.mktemp("fetched") / "admin.kubeconfig"
    pdd, runner, stdout = job(lab, tmp_path_factory, "cluster_kubeconfig.yml", {"cluster_name": NAME, "dest": str(dest)},
                              creds)
    assert runner.status == "successful", stdout[-5000:]
    stats = [e for e in runner.events if e.get("event") == "playbook_on_stats"][-1]["event_data"]["artifact_data"]
    fetched = Path(stats["eksa_cluster_kubeconfig_path"])
    assert fetched == dest and fetched.is_file(), (stats, stdout[-3000:])
    assert oct(fetched.stat().st_mode & 0o777) == "0o600"
    server = yaml.safe_load(fetched.read_text())["clusters"][0]["cluster"]["server"]
    assert stats["eksa_cluster_server"] == server
    assert_no_secret(lab, pdd, runner, stdout, extra=[creds["K8S_AUTH_API_KEY"]])


# a phase before the state is stored (the bootstrap cluster holds everything), one after it, and the move: a job canceled
# inside `clusterctl move` leaves the cluster in both clusters, and the next job completes the move
KILL_POINTS = ["Creating new workload cluster",
               pytest.param("Installing networking on workload cluster", marks=pytest.mark.slow),
               "Moving cluster management from bootstrap to workload cluster"]
_KILL_NAMES = [p.values[0] if hasattr(p, "values") else p for p in KILL_POINTS]


def _kubectl_json(lab, kubeconfig, *args):
    out = subprocess.run([os.path.join(lab["LAB_BIN"], "kubectl"), "--kubeconfig", kubeconfig] + list(args) + ["-o", "json"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return json.loads(out)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_job_canceled_in_a_phase_is_resumed_by_a_new_job(lab, created, tmp_path_factory, point):
    name = "awxk%d" % _KILL_NAMES.index(point)
    # the cluster's own name and control-plane endpoint (the guest's VIP of awxjob holds awxjob's)
    spec = created["extravars"]["cluster_config_data"].replace(endpoint_host(NAME), endpoint_host(name))
    extravars = dict(created["extravars"], cluster_config_data=spec.replace(NAME, name))
    creds = _injected(lab, custom_type=True)
    pdd, runner, stdout = job(lab, tmp_path_factory, "create_cluster.yml", extravars, creds, cancel_at=point)
    assert runner.status == "canceled", stdout[-3000:]
    assert point in stdout
    assert "Cluster created!" not in stdout
    pdd2, runner2, stdout2 = job(lab, tmp_path_factory, "create_cluster.yml", extravars, creds)
    assert pdd2 != pdd
    assert runner2.status == "successful", stdout2[-5000:]
    assert "🎉 Cluster created!" in stdout2
    machines = _kubectl_json(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "machines.cluster.x-k8s.io", "-n", "eksa-system")
    assert len([m for m in machines["items"] if m["metadata"]["name"].startswith(name + "-")]) == 7
    left = _kubectl_json(lab, lab["LAB_BOOTSTRAP_KUBECONFIG"], "get", "clusters.cluster.x-k8s.io", "-n", "eksa-system")
    assert not [i for i in left["items"] if i["metadata"]["name"] == name]
    assert_no_secret(lab, pdd, runner, stdout)
    assert_no_secret(lab, pdd2, runner2, stdout2)


def test_upgrade_jobs_in_new_folders_need_only_the_spec_bundle_and_state(lab, created, tmp_path_factory):
    """Day 2 as AWX runs it: the changed spec as survey text, the bundle URL and where the durable state is; the
    kubeconfig is restored from the state Secret, the manifests the cluster runs with are read from the cluster."""
    spec = created["extravars"]["cluster_config_data"]
    workers = "  - count: 2\n    machineGroupRef:\n      kind: VSphereMachineConfig\n      name: %s\n    name: md-0" % NAME
    assert workers in spec
    extravars = {"cluster_config_data": spec.replace(workers, workers.replace("count: 2", "count: 3")),
                 "bundle": created["extravars"]["bundle"], "state_kubeconfig": lab["LAB_BOOTSTRAP_KUBECONFIG"]}
    creds = _injected(lab, custom_type=True)
    pdd, runner, stdout = job(lab, tmp_path_factory, "upgrade_cluster.yml", extravars, creds)
    assert runner.status == "successful", stdout[-5000:]
    assert "machines: 0 replaced, 1 added, 0 removed" in stdout and "🎉 Cluster upgraded!" in stdout
    md = _kubectl_json(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "machinedeployments.cluster.x-k8s.io",
                       "%s-md-0" % NAME, "-n", "eksa-system")
    assert md["spec"]["replicas"] == 3 and md["status"].get("readyReplicas") == 3
    assert_no_secret(lab, pdd, runner, stdout)
    pdd2, runner2, stdout2 = job(lab, tmp_path_factory, "upgrade_cluster.yml", extravars, creds)
    assert runner2.status == "successful", stdout2[-5000:]
    assert "No upgrade needed" in stdout2
    assert_no_secret(lab, pdd2, runner2, stdout2)
