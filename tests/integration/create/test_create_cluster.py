"""eksa.anywhere.create_cluster end to end in the lab: converge, idempotence, verify, resume.

The bootstrap cluster is the lab's bootstrap API server, vSphere is the lab's simulator, and the real Cluster API
controllers reconcile the clusters (make test runs this package in a lab with LAB_CONTROLLERS=real; tests/lab/README.md).
Each cluster gets a control-plane endpoint of its own (lab_fixture.endpoint_host): the simulated guest serves its VIP.
"""
import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))
from lab_fixture import end_job_processes, endpoint_host, job_marker  # noqa: E402  pylint: disable=wrong-import-position,import-error

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
NAME = "itest"


def _collections_path(tmp):
    top = Path(tmp) / "collections"
    target = top / "ansible_collections" / "eksa"
    target.mkdir(parents=True, exist_ok=True)
    link = target / "anywhere"
    if not link.exists():
        link.symlink_to(REPO)
    return str(top)


def run_demo(lab, workdir, extra=(), name=NAME):
    env = dict(os.environ)
    env.update({k: v for k, v in lab.items() if isinstance(v, str)})
    env["EKSA_VSPHERE_USERNAME"] = lab["LAB_VSPHERE_USERNAME"]
    env["EKSA_VSPHERE_PASSWORD"] = lab["LAB_VSPHERE_PASSWORD"]
    # the cloud provider's own user, as EKS Anywhere users set it: preflight checks it, the CPI Secret carries it
    env["EKSA_VSPHERE_CP_USERNAME"] = lab["LAB_VSPHERE_CP_USERNAME"]
    env["EKSA_VSPHERE_CP_PASSWORD"] = lab["LAB_VSPHERE_CP_PASSWORD"]
    env["ANSIBLE_COLLECTIONS_PATH"] = _collections_path(workdir)
    env["ANSIBLE_LOCAL_TEMP"] = str(Path(workdir) / "tmp")
    env["ANSIBLE_NOCOLOR"] = "1"
    cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(REPO / "inventories/localhost/hosts.yml"),
           str(REPO / "playbooks/demo.yml"), "-e", "demo_dir=%s" % workdir, "-e", "demo_cluster_name=%s" % name]
    if not any(str(e).startswith("demo_endpoint_host=") for e in extra):
        cmd += ["-e", "demo_endpoint_host=%s" % endpoint_host(name)]
    cmd += list(extra)
    proc = subprocess.run(cmd, env=env, cwd=str(workdir), capture_output=True, text=True, timeout=900, check=False)
    return proc


def recap_changed(out):
    match = re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)", out)
    return int(match.group(1)) if match else None


CLUSTER_LABEL = "cluster.x-k8s.io/cluster-name"


def own(items, name):
    """The objects of cluster ``name`` only: the lab may hold other clusters (make demo's, another test's)."""
    return [i for i in items if (i["metadata"].get("labels") or {}).get(CLUSTER_LABEL) == name or i["metadata"]["name"] == name]


def kube(lab, kubeconfig, *args):
    out = subprocess.run([os.path.join(lab["LAB_BIN"], "kubectl"), "--kubeconfig", kubeconfig] + list(args) + ["-o", "json"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return json.loads(out)


@pytest.fixture(scope="module")
def created(lab, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("create")
    first = run_demo(lab, workdir, extra=["-vvvv"])
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    return workdir, first


def test_prints_eksa_lines_in_order(created):
    dummy, first = created
    lines = ["Performing setup and validations", "✅ Vsphere Provider setup is valid", "Creating new bootstrap cluster",
             "Installing cluster-api providers on bootstrap cluster", "Provider specific setup", "Creating new workload cluster",
             "Installing networking on workload cluster", "Installing storage class on workload cluster",
             "Installing cluster-api providers on workload cluster", "Moving cluster management from bootstrap to workload cluster",
             "Installing EKS-A custom components (CRD and controller) on workload cluster",
             "Creating EKS-A CRDs instances on workload cluster", "GitOps field not specified, bootstrap flux skipped",
             "Writing cluster config file", "Keeping bootstrap cluster", "🎉 Cluster created!"]
    positions = [first.stdout.find(line) for line in lines]
    assert all(p >= 0 for p in positions), [l for l, p in zip(lines, positions) if p < 0]
    assert positions == sorted(positions)


def test_password_never_in_output_at_vvvv(lab, created):
    dummy, first = created
    assert lab["LAB_VSPHERE_PASSWORD"] not in first.stdout + first.stderr
    assert lab["LAB_VSPHERE_CP_PASSWORD"] not in first.stdout + first.stderr
    for secret in (lab["LAB_VSPHERE_PASSWORD"], lab["LAB_VSPHERE_CP_PASSWORD"]):  # nor as the Secrets carry them
        assert base64.b64encode(secret.encode()).decode() not in first.stdout + first.stderr


def test_cloud_provider_user_checked_and_in_its_secret(lab, created):
    dummy, first = created
    cp_user = lab["LAB_VSPHERE_CP_USERNAME"]
    assert "✅ %s user vSphere privileges validated" % cp_user in first.stdout
    secret = kube(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "secret", "-n", "eksa-system",
                  "%s-cloud-provider-vsphere-credentials" % NAME)
    inner = yaml.safe_load(base64.b64decode(secret["data"]["data"]).decode())
    users = {k: base64.b64decode(v).decode() for k, v in inner["data"].items() if k.endswith(".username")}
    assert set(users.values()) == {cp_user}
    capv = kube(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "secret", "-n", "eksa-system", "%s-vsphere-credentials" % NAME)
    assert base64.b64decode(capv["data"]["username"]).decode() == lab["LAB_VSPHERE_USERNAME"]


def test_check_mode_reports_and_changes_nothing(lab, tmp_path):
    name = "chk"
    generated = run_demo(lab, tmp_path, extra=["--tags", "generate"], name=name)
    assert generated.returncode == 0, generated.stdout[-3000:]
    check = run_demo(lab, tmp_path, extra=["--check"], name=name)
    assert check.returncode == 0, check.stdout[-4000:]
    assert "would apply" in check.stdout and "✅ Vsphere Provider setup is valid" in check.stdout
    bs = kube(lab, lab["LAB_BOOTSTRAP_KUBECONFIG"], "get", "clusters.cluster.x-k8s.io", "-n", "eksa-system")
    assert name not in [i["metadata"]["name"] for i in bs["items"]]
    assert not vms_of(lab, name)
    assert not list((tmp_path / name).glob("generated/*.yaml"))


def test_second_run_changes_nothing(lab, created):
    workdir, dummy = created
    again = run_demo(lab, workdir)
    assert again.returncode == 0, again.stdout[-3000:]
    assert recap_changed(again.stdout) == 0, again.stdout[-3000:]


def test_capi_objects_moved_to_workload(lab, created):
    wl = kube(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "clusters.cluster.x-k8s.io,machines.cluster.x-k8s.io", "-n", "eksa-system")
    names = [(i["kind"], i["metadata"]["name"]) for i in own(wl["items"], NAME)]
    assert ("Cluster", NAME) in names
    assert sum(1 for k, dummy in names if k == "Machine") == 7  # 2 control plane + 3 etcd + 2 workers
    bs = kube(lab, lab["LAB_BOOTSTRAP_KUBECONFIG"], "get", "clusters.cluster.x-k8s.io,machines.cluster.x-k8s.io", "-n", "eksa-system")
    assert not own(bs["items"], NAME)


def test_workload_has_cilium_storage_class_and_eksa_objects(lab, created):
    workdir, dummy = created
    kubeconfig = str(Path(workdir) / NAME / ("%s-eks-a-cluster.kubeconfig" % NAME))
    assert oct(os.stat(kubeconfig).st_mode & 0o777) == "0o600"
    assert kube(lab, kubeconfig, "get", "daemonset", "cilium", "-n", "kube-system")["metadata"]["name"] == "cilium"
    sc = kube(lab, kubeconfig, "get", "storageclass", "standard")
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    cluster = kube(lab, kubeconfig, "get", "clusters.anywhere.eks.amazonaws.com", NAME, "-n", "default")
    assert cluster["metadata"]["annotations"]["anywhere.eks.amazonaws.com/managed-by-cli"] == "true"
    nodes = kube(lab, kubeconfig, "get", "nodes")["items"]
    # the control plane and the workers (with the real controllers an etcd machine's guest registers a Node too,
    # labelled node-role.kubernetes.io/etcd: tests/lab/README.md, "Deviations")
    kubelets = [n for n in nodes if n["metadata"]["name"].startswith(NAME + "-")
                and "node-role.kubernetes.io/etcd" not in (n["metadata"].get("labels") or {})]
    assert len(kubelets) == 4


def test_spec_file_written(created):
    workdir, dummy = created
    path = Path(workdir) / NAME / ("%s-eks-a-cluster.yaml" % NAME)
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert {d["kind"] for d in docs} == {"Cluster", "VSphereDatacenterConfig", "VSphereMachineConfig"}


def vms_of(lab, name):
    sys.path.insert(0, str(REPO / "tests" / "lab"))
    import vsphere_seed  # pylint: disable=import-outside-toplevel
    from pyVmomi import vim  # pylint: disable=import-outside-toplevel
    si = vsphere_seed.connect(lab["LAB_VSPHERE_SERVER"], lab["LAB_VSPHERE_USERNAME"], lab["LAB_VSPHERE_PASSWORD"],
                              cafile=lab["LAB_VSPHERE_CA_FILE"])
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    return [vm for vm in view.view if vm.name.startswith(name + "-")]


def test_simulator_holds_one_vm_per_machine(lab, created):
    vms = vms_of(lab, NAME)
    assert len(vms) == 7, sorted(vm.name for vm in vms)
    for vm in vms:
        assert vm.parent.name == "management"
        assert vm.config.hardware.memoryMB in (8192,)
        assert vm.resourcePool.name == "Compute-ResourcePool"


def test_never_ready_machine_times_out_with_diagnostics_then_resumes(lab, tmp_path):
    """The lab keeps one worker from ever becoming ready (its guest never gets an IP with the real controllers; capi-sim
    gives it no node otherwise): the wait fails naming the phase, diagnostics are collected,
    the bootstrap cluster is kept; with the fault lifted, the same command completes with no duplicate VM."""
    name = "faulty"
    faults = Path(lab["LAB_STATE_DIR"]) / "capi-sim-faults.json"
    faults.write_text(json.dumps({name: {"fault": "machine-never-ready"}}))
    try:
        failed = run_demo(lab, tmp_path, extra=["-e", "per_machine_timeout=3"], name=name)
    finally:
        faults.unlink()
    assert failed.returncode != 0
    assert "timed out after" in failed.stdout and "waiting for workers of cluster faulty" in failed.stdout, failed.stdout[-3000:]
    diagnostics = list((tmp_path / name / "generated").glob("diagnostics-*"))
    assert diagnostics and (diagnostics[0] / "summary.txt").exists()
    summary = (diagnostics[0] / "summary.txt").read_text()
    assert "faulty-md-0" in summary and "Ready=False" in summary, summary
    assert (diagnostics[0] / "provider-deployments.json").exists()
    # the lab runs no pods (its controllers, real or capi-sim, are processes): the file says so rather than being absent
    assert (diagnostics[0] / "provider-logs.txt").read_text() in ("(no provider pods)\n",) or \
        "==> capi-system/" in (diagnostics[0] / "provider-logs.txt").read_text()
    assert "run the same command again to resume" in failed.stdout
    bs = kube(lab, lab["LAB_BOOTSTRAP_KUBECONFIG"], "get", "clusters.cluster.x-k8s.io", "-n", "eksa-system")
    assert name in [i["metadata"]["name"] for i in bs["items"]]  # kept for the re-run
    again = run_demo(lab, tmp_path, name=name)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "🎉 Cluster created!" in again.stdout
    assert len(vms_of(lab, name)) == 7


# make test kills a run during the move, twice: while clusterctl move creates in the workload cluster and while it
# deletes from the bootstrap cluster (the AWX jobs cancel one before the move, tests/integration/awx);
# make integration-all adds the other seven (marked slow): each costs a create and a resume
_SLOW = pytest.mark.slow
MOVE = "Moving cluster management from bootstrap to workload cluster"
MOVE_DELETING = MOVE + " (while deleting from the bootstrap cluster)"
KILL_POINTS = [
    # with the lab's bootstrap cluster, a kill here is a fresh create again: the cheapest of the slow ones
    pytest.param("Creating new bootstrap cluster", marks=_SLOW),
    pytest.param("Installing cluster-api providers on bootstrap cluster", marks=_SLOW),
    pytest.param("Creating new workload cluster", marks=_SLOW),
    pytest.param("etcd: ", marks=_SLOW),  # make test's time went to tests/integration/real (a create of its own)
    pytest.param("Installing networking on workload cluster", marks=_SLOW),
    MOVE,  # killed with the Cluster in both clusters, while clusterctl move creates in the workload cluster
    pytest.param(MOVE_DELETING, id="Moving cluster management, while deleting from the bootstrap cluster"),
    pytest.param("Creating EKS-A CRDs instances on workload cluster", marks=_SLOW),
    pytest.param("Writing cluster config file", marks=_SLOW),
]
_KILL_NAMES = [p.values[0] if hasattr(p, "values") else p for p in KILL_POINTS]


def _start_demo(lab, workdir, name, marker=None):
    env = dict(os.environ)
    env.update(marker or {})
    env.update({k: v for k, v in lab.items() if isinstance(v, str)})
    env["EKSA_VSPHERE_USERNAME"] = lab["LAB_VSPHERE_USERNAME"]
    env["EKSA_VSPHERE_PASSWORD"] = lab["LAB_VSPHERE_PASSWORD"]
    # the cloud provider's own user, as EKS Anywhere users set it: preflight checks it, the CPI Secret carries it
    env["EKSA_VSPHERE_CP_USERNAME"] = lab["LAB_VSPHERE_CP_USERNAME"]
    env["EKSA_VSPHERE_CP_PASSWORD"] = lab["LAB_VSPHERE_CP_PASSWORD"]
    env["ANSIBLE_COLLECTIONS_PATH"] = _collections_path(workdir)
    env["ANSIBLE_LOCAL_TEMP"] = str(Path(workdir) / "tmp")
    env["ANSIBLE_NOCOLOR"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(REPO / "inventories/localhost/hosts.yml"),
           str(REPO / "playbooks/demo.yml"), "-e", "demo_dir=%s" % workdir, "-e", "demo_cluster_name=%s" % name,
           "-e", "demo_endpoint_host=%s" % endpoint_host(name)]
    return subprocess.Popen(cmd, env=env, cwd=str(workdir), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _wait_half_moved(lab, name, deleting, timeout=120):
    """Until clusterctl move is half done: the Cluster in both clusters, and either still creating in the workload
    cluster or (``deleting``) already deleting Machines from the bootstrap cluster. The kill then leaves a move cut short
    at that stage, which the next run must make whole."""
    import time  # pylint: disable=import-outside-toplevel

    def names(kubeconfig, kind):
        out = subprocess.run([os.path.join(lab["LAB_BIN"], "kubectl"), "--kubeconfig", kubeconfig, "get", kind, "-n", "eksa-system",
                              "-l", "cluster.x-k8s.io/cluster-name=%s" % name, "-o", "name"],
                             capture_output=True, text=True, timeout=30, check=False).stdout.split()
        return set(out)
    workload, bootstrap = lab["LAB_WORKLOAD_KUBECONFIG"], lab["LAB_BOOTSTRAP_KUBECONFIG"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if deleting:
            moved = names(workload, "machines.cluster.x-k8s.io")
            if moved and moved - names(bootstrap, "machines.cluster.x-k8s.io") and names(bootstrap, "clusters.cluster.x-k8s.io"):
                return
        elif names(workload, "clusters.cluster.x-k8s.io") and names(bootstrap, "clusters.cluster.x-k8s.io"):
            return
        time.sleep(0.02)
    pytest.fail("clusterctl move of %s was never caught half done (%s) within %ss" % (name, "deleting" if deleting else "creating", timeout))


@pytest.mark.parametrize("point", KILL_POINTS)
def test_killed_during_a_phase_then_rerun_completes(lab, tmp_path, point):
    """The playbook (and whatever it runs: clusterctl, modules) is killed as a phase starts; the same command completes
    with the end state of a clean run: the Cluster API objects in the workload cluster only, one VM per machine."""
    import signal  # pylint: disable=import-outside-toplevel
    import time  # pylint: disable=import-outside-toplevel
    name = "kill%d" % _KILL_NAMES.index(point)
    marker = job_marker()
    proc = _start_demo(lab, tmp_path, name, marker)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if MOVE in line and point.startswith(MOVE):
            _wait_half_moved(lab, name, deleting=point == MOVE_DELETING)
            os.killpg(proc.pid, signal.SIGKILL)
            end_job_processes(marker)
            break
        if point in line:
            time.sleep(0.5)  # into the phase, not before it
            os.killpg(proc.pid, signal.SIGKILL)
            end_job_processes(marker)  # the workers are sessions of their own: the machine goes with all of them
            break
    proc.wait(timeout=60)
    assert any((MOVE if point.startswith(MOVE) else point) in line for line in seen), "".join(seen[-40:])
    again = run_demo(lab, tmp_path, name=name)
    assert again.returncode == 0, again.stdout[-4000:]
    assert "🎉 Cluster created!" in again.stdout
    if point.startswith(MOVE):
        assert "A move cut short by an earlier run was completed" in again.stdout, again.stdout[-4000:]
        step = "deleted from the source what clusterctl move had not" if point == MOVE_DELETING else "in the source, for clusterctl move to run again"
        assert step in again.stdout, again.stdout[-4000:]
    wl = kube(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "machines.cluster.x-k8s.io", "-n", "eksa-system")
    assert len(own(wl["items"], name)) == 7
    bs = kube(lab, lab["LAB_BOOTSTRAP_KUBECONFIG"], "get", "clusters.cluster.x-k8s.io,machines.cluster.x-k8s.io", "-n", "eksa-system")
    assert not own(bs["items"], name)
    assert len(vms_of(lab, name)) == 7
