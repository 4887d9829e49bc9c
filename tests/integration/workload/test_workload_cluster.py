"""A workload cluster created by a management cluster (create_cluster -e management_kubeconfig=PATH), in the lab.

The management cluster is made as make demo makes it (playbooks/demo.yml: it ends on the lab's workload API server);
the workload cluster as make demo-workload makes it (playbooks/demo_workload.yml). capi-sim serves a workload cluster
of a management cluster from an API server of its own: one of the lab's pool (`lab.py grow`), else the lab's bootstrap
API server (tests/lab/README.md), so its kubeconfig, nodes, CNI and storage class are there.
"""
import base64
import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
# pylint: disable-next=wrong-import-position
from workload_lab import MGMT, REPO, VENV_BIN, _env, api_server_kubeconfig, kube, names, play, recap_changed  # noqa: E402

pytestmark = pytest.mark.lab

WORKLOAD = "wmgmt-w1"


def demo_workload(lab, workdir, *extra):
    return play(lab, workdir, "demo_workload.yml", "-e", "demo_dir=%s" % workdir, "-e", "demo_cluster_name=%s" % MGMT,
                "-e", "demo_workload_name=%s" % WORKLOAD, *extra)


@pytest.fixture(scope="module")
def created(lab, management_cluster):
    workdir = management_cluster  # shared with tests/integration/fleet: made once per session
    first = demo_workload(lab, workdir)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    return workdir, first


def test_prints_eksa_workload_lines_in_order(created):
    dummy, first = created
    lines = ["Performing setup and validations", "✅ Vsphere Provider setup is valid", "✅ validate cluster name",
             "✅ validate management cluster has eksa crds", "✅ validate management cluster name is valid",
             "✅ validate management cluster eksaVersion compatibility", "Creating workload cluster",
             "Installing networking on workload cluster", "Installing storage class on workload cluster",
             "Installing GitOps Toolkit on workload cluster", "GitOps field not specified, bootstrap flux skipped",
             "Writing cluster config file", "🎉 Cluster created!"]
    positions = [first.stdout.find(line) for line in lines]
    assert all(p >= 0 for p in positions), [l for l, p in zip(lines, positions) if p < 0]
    assert positions == sorted(positions)
    # no bootstrap cluster, no move
    for absent in ("Creating new bootstrap cluster", "Keeping bootstrap cluster", "Deleting bootstrap cluster",
                   "Moving cluster management", "Installing cluster-api providers on"):
        assert absent not in first.stdout


def test_objects_on_the_management_cluster(lab, created):
    mgmt = lab["LAB_WORKLOAD_KUBECONFIG"]
    assert WORKLOAD in names(kube(lab, mgmt, "get", "clusters.cluster.x-k8s.io", "-n", "eksa-system"))
    eksa = kube(lab, mgmt, "get", "clusters.anywhere.eks.amazonaws.com", WORKLOAD, "-n", "default")
    assert eksa["spec"]["managementCluster"]["name"] == MGMT
    assert eksa["metadata"]["annotations"]["anywhere.eks.amazonaws.com/managed-by-cli"] == "true"
    assert kube(lab, mgmt, "get", "secret", "%s-kubeconfig" % WORKLOAD, "-n", "eksa-system")
    # the durable state goes to the management cluster by default
    assert kube(lab, mgmt, "get", "secret", "%s-eksa-anywhere-state" % WORKLOAD, "-n", "eksa-anywhere")
    # no bootstrap cluster: nothing of the workload cluster on the lab's bootstrap API server's Cluster API objects
    bs = kube(lab, lab["LAB_BOOTSTRAP_KUBECONFIG"], "get", "clusters.cluster.x-k8s.io", "-n", "eksa-system", check=False)
    assert bs is None or WORKLOAD not in names(bs)


def test_workload_kubeconfig_cni_and_storage_class(lab, created):
    workdir, dummy = created
    kubeconfig = workdir / WORKLOAD / ("%s-eks-a-cluster.kubeconfig" % WORKLOAD)
    assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
    server = yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    mgmt_server = yaml.safe_load(Path(lab["LAB_WORKLOAD_KUBECONFIG"]).read_text())["clusters"][0]["cluster"]["server"]
    # capi-sim's <name>-kubeconfig: an API server of its own (the lab's pool, else its bootstrap API server)
    assert server != mgmt_server and api_server_kubeconfig(lab, kubeconfig)
    nodes = names(kube(lab, str(kubeconfig), "get", "nodes"))
    assert len([n for n in nodes if n.startswith(WORKLOAD + "-")]) == 4  # 2 control plane + 2 workers (etcd has none)
    assert not [n for n in names(kube(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "nodes")) if n.startswith(WORKLOAD)]
    assert kube(lab, str(kubeconfig), "get", "daemonset", "cilium", "-n", "kube-system")
    sc = kube(lab, str(kubeconfig), "get", "storageclass", "standard")
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert (workdir / WORKLOAD / ("%s-eks-a-cluster.yaml" % WORKLOAD)).exists()


def test_second_run_changes_nothing(lab, created):
    workdir, dummy = created
    again = demo_workload(lab, workdir)
    assert again.returncode == 0, again.stdout[-4000:]
    assert recap_changed(again.stdout) == 0, again.stdout[-4000:]
    assert "✅ validate cluster name (an earlier create of %s, resumed)" % WORKLOAD in again.stdout
    assert "Creating workload cluster… already done" in again.stdout
    assert again.stdout.find("🎉 Cluster created!") > again.stdout.find("Writing cluster config file") >= 0


def _variant(workdir, name, mgmt_name):
    text = (workdir / ("%s.yaml" % WORKLOAD)).read_text().replace(WORKLOAD, name)
    text = re.sub(r"(?m)^(  managementCluster:\n    name): .*$", r"\1: %s" % mgmt_name, text)
    path = workdir / ("%s.yaml" % name)
    path.write_text(text)
    return path


def _create(lab, workdir, spec, *extra):
    """create_cluster.yml with the output in <workdir>/refused (the management cluster's files stay apart)."""
    proc = play(lab, workdir, "create_cluster.yml", "-e", "cluster_config=%s" % spec, "-e", "bundle=%s" % lab["LAB_BUNDLE"],
                "-e", "output_dir=%s" % (workdir / "refused"), "-e", "vsphere_ca_path=%s" % lab["LAB_VSPHERE_CA_FILE"],
                "-e", "skip_ip_check=true", *extra)
    proc.stdout = proc.stdout.replace('\\"', '"')  # the default callback prints messages as JSON strings
    return proc


def test_wrong_management_cluster_name_is_refused_and_nothing_changes(lab, created):
    workdir, dummy = created
    spec = _variant(workdir, "wrong-w2", "nope")
    mgmt_kubeconfig = workdir / MGMT / ("%s-eks-a-cluster.kubeconfig" % MGMT)
    proc = _create(lab, workdir, spec, "-e", "management_kubeconfig=%s" % mgmt_kubeconfig)
    assert proc.returncode != 0
    assert "❌ Validation failed" in proc.stdout
    assert 'unable to retrieve management cluster nope: clusters.anywhere.eks.amazonaws.com "nope" not found' in proc.stdout
    assert "Specify a valid management cluster in the cluster spec." in proc.stdout
    assert recap_changed(proc.stdout) == 0
    mgmt = lab["LAB_WORKLOAD_KUBECONFIG"]
    assert "wrong-w2" not in names(kube(lab, mgmt, "get", "clusters.cluster.x-k8s.io", "-n", "eksa-system"))
    assert "wrong-w2" not in names(kube(lab, mgmt, "get", "clusters.anywhere.eks.amazonaws.com", "-A"))
    assert not (workdir / "refused" / "wrong-w2" / "generated" / "wrong-w2-capi-cluster.yaml").exists()


def test_name_of_the_management_cluster_is_refused(lab, created):
    workdir, dummy = created
    spec = _variant(workdir, MGMT, "other-mgmt")
    proc = _create(lab, workdir, spec, "-e", "management_kubeconfig=%s" % (workdir / MGMT / ("%s-eks-a-cluster.kubeconfig" % MGMT)))
    assert proc.returncode != 0
    assert "cluster name %s already exists" % MGMT in proc.stdout
    assert recap_changed(proc.stdout) == 0


def test_workload_spec_without_management_kubeconfig_is_refused(lab, created):
    workdir, dummy = created
    spec = _variant(workdir, "lost-w3", MGMT)
    proc = _create(lab, workdir, spec, "-e", "bootstrap_kubeconfig=%s" % lab["LAB_BOOTSTRAP_KUBECONFIG"])
    assert proc.returncode != 0
    assert "lost-w3 is a workload cluster (spec.managementCluster.name: %s)" % MGMT in proc.stdout
    assert "-e management_kubeconfig=PATH" in proc.stdout
    assert recap_changed(proc.stdout) == 0


# ---------------------------------------------------------------------------- as AWX runs it
def _job(lab, tmp_path_factory, extravars):
    """One AWX job (ansible-runner, a fresh private data directory, the awx/ project, the VMware credential's variables)."""
    ansible_runner = pytest.importorskip("ansible_runner")
    pdd = tmp_path_factory.mktemp("job")
    shutil.copytree(REPO / "awx", pdd / "project")
    env = {"PATH": "%s:%s" % (VENV_BIN, os.environ.get("PATH", "")), "ANSIBLE_COLLECTIONS_PATH": _env(lab, pdd)["ANSIBLE_COLLECTIONS_PATH"],
           "ANSIBLE_LOCAL_TEMP": str(pdd / "tmp"), "ANSIBLE_NOCOLOR": "1",
           "VMWARE_HOST": lab["LAB_VSPHERE_SERVER"], "VMWARE_USER": lab["LAB_VSPHERE_USERNAME"],
           "VMWARE_PASSWORD": lab["LAB_VSPHERE_PASSWORD"]}
    runner = ansible_runner.run(private_data_dir=str(pdd), playbook="create_cluster.yml", extravars=extravars, envvars=env,
                                quiet=True, timeout=900)
    return pdd, runner, runner.stdout.read()


JOB_WORKLOAD = "wmgmt-job"


@pytest.fixture(scope="module")
def job_created(lab, created, tmp_path_factory):
    """A workload cluster created by an AWX job: the spec as survey text, the management cluster by name, its kubeconfig
    from its durable state on the cluster the management cluster's create stored it on (the lab's bootstrap API server)."""
    workdir, dummy = created
    spec_text = (workdir / ("%s.yaml" % WORKLOAD)).read_text().replace(WORKLOAD, JOB_WORKLOAD).replace("127.0.0.12", "127.0.0.13")
    extravars = {"cluster_config_data": spec_text, "bundle": Path(lab["LAB_BUNDLE"]).as_uri(), "management_cluster": MGMT,
                 "state_kubeconfig": lab["LAB_BOOTSTRAP_KUBECONFIG"], "vsphere_ca_path": lab["LAB_VSPHERE_CA_FILE"],
                 "skip_ip_check": True}
    pdd, runner, stdout = _job(lab, tmp_path_factory, extravars)
    assert runner.status == "successful", stdout[-5000:]
    return extravars, pdd, runner, stdout


def test_workload_cluster_as_an_awx_job(lab, job_created):
    dummy, pdd, runner, stdout = job_created
    assert "Creating workload cluster" in stdout and "🎉 Cluster created!" in stdout
    assert JOB_WORKLOAD in names(kube(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "clusters.cluster.x-k8s.io", "-n", "eksa-system"))
    # its durable state next to the management cluster's (state_kubeconfig), for the next job
    assert kube(lab, lab["LAB_BOOTSTRAP_KUBECONFIG"], "get", "secret", "%s-eksa-anywhere-state" % JOB_WORKLOAD, "-n", "eksa-anywhere")
    stats = [e for e in runner.events if e.get("event") == "playbook_on_stats"][-1]["event_data"].get("artifact_data", {})
    assert stats["eksa_cluster_name"] == JOB_WORKLOAD and stats["eksa_cluster_management"] == MGMT
    texts = [stdout, json.dumps(list(runner.events), default=str)]
    for secret in (lab["LAB_VSPHERE_PASSWORD"], base64.b64encode(lab["LAB_VSPHERE_PASSWORD"].encode()).decode()):
        assert all(secret not in text for text in texts)


def test_workload_second_job_in_a_new_folder_changes_nothing(lab, job_created, tmp_path_factory):
    extravars = job_created[0]
    pdd, runner, stdout = _job(lab, tmp_path_factory, extravars)
    assert runner.status == "successful", stdout[-5000:]
    assert sum((runner.stats or {}).get("changed", {}).values()) == 0, stdout[-5000:]
    assert "Creating workload cluster… already done" in stdout


def test_upgrade_the_workload_cluster_from_a_new_folder(lab, created, tmp_path):
    """eksa.anywhere.upgrade_cluster on a workload cluster, as a job in a new folder: the changed spec, the bundle and
    the management cluster's kubeconfig only (the manifests it runs with are kept on the management cluster)."""
    workdir, dummy = created
    docs = list(yaml.safe_load_all((workdir / ("%s.yaml" % WORKLOAD)).read_text()))
    cluster = [d for d in docs if d and d["kind"] == "Cluster"][0]
    group = cluster["spec"]["workerNodeGroupConfigurations"][0]
    group["count"] = group["count"] + 1
    spec = tmp_path / ("%s.yaml" % WORKLOAD)
    spec.write_text(yaml.safe_dump_all([d for d in docs if d]))
    mgmt_kubeconfig = str(workdir / MGMT / ("%s-eks-a-cluster.kubeconfig" % MGMT))
    md_name = "%s-%s" % (WORKLOAD, group["name"])
    args = ("-e", "cluster_config=%s" % spec, "-e", "bundle=%s" % lab["LAB_BUNDLE"], "-e", "output_dir=%s" % tmp_path,
            "-e", "management_kubeconfig=%s" % mgmt_kubeconfig, "-e", "vsphere_ca_path=%s" % lab["LAB_VSPHERE_CA_FILE"])
    proc = play(lab, tmp_path, "upgrade_cluster.yml", *args)
    assert proc.returncode == 0, proc.stdout[-4000:]
    for line in ("Upgrading workload cluster", "machines: 0 replaced, 1 added, 0 removed", "🎉 Cluster upgraded!"):
        assert line in proc.stdout, line
    md = kube(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "machinedeployments.cluster.x-k8s.io", md_name, "-n", "eksa-system")
    assert md["spec"]["replicas"] == group["count"] and md["status"].get("readyReplicas") == group["count"]
    fresh = tmp_path / "again"  # a second job in another new folder: nothing left to do
    fresh.mkdir()
    again = play(lab, fresh, "upgrade_cluster.yml",
                 *[a.replace("output_dir=%s" % tmp_path, "output_dir=%s" % fresh) for a in args])
    assert again.returncode == 0 and "No upgrade needed" in again.stdout, again.stdout[-3000:]


def test_delete_the_workload_cluster_from_its_management_cluster(lab, created, job_created, tmp_path):
    """Last: eksa.anywhere.delete_cluster takes the job's workload cluster off the management cluster; the management
    cluster and the other workload cluster stay."""
    workdir, dummy = created
    spec = tmp_path / ("%s.yaml" % JOB_WORKLOAD)
    spec.write_text(job_created[0]["cluster_config_data"])
    secret = kube(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "secret", "%s-kubeconfig" % JOB_WORKLOAD, "-n", "eksa-system")
    job_server = api_server_kubeconfig(lab, base64.b64decode(secret["data"]["value"]).decode())
    own_server = api_server_kubeconfig(lab, workdir / WORKLOAD / ("%s-eks-a-cluster.kubeconfig" % WORKLOAD))
    proc = play(lab, tmp_path, "delete_cluster.yml", "-e", "cluster_config=%s" % spec, "-e", "output_dir=%s" % tmp_path,
                "-e", "management_kubeconfig=%s" % (workdir / MGMT / ("%s-eks-a-cluster.kubeconfig" % MGMT)))
    assert proc.returncode == 0, proc.stdout[-4000:]
    mgmt = lab["LAB_WORKLOAD_KUBECONFIG"]
    capi = names(kube(lab, mgmt, "get", "clusters.cluster.x-k8s.io", "-n", "eksa-system"))
    assert JOB_WORKLOAD not in capi and MGMT in capi and WORKLOAD in capi
    assert JOB_WORKLOAD not in names(kube(lab, mgmt, "get", "clusters.anywhere.eks.amazonaws.com", "-A"))
    nodes = names(kube(lab, job_server, "get", "nodes"))
    assert not [n for n in nodes if n.startswith(JOB_WORKLOAD + "-")]  # capi-sim deleted them where it made them
    assert [n for n in names(kube(lab, own_server, "get", "nodes")) if n.startswith(WORKLOAD + "-")]
