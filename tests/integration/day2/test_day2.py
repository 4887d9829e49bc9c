"""Day 2 in the lab on one cluster: scale, version upgrade, machine config change, added and removed worker groups,
immutable fields refused, a killed upgrade re-run, a finished one re-run, then delete.

capi-sim rolls as the real controllers do (tests/lab/capi_sim.py): the control plane one new machine up before one old
down, etcd one member at a time, each MachineDeployment by its strategy; every machine is a VM in the vCenter simulator.
The tests run in file order on the module's cluster.
"""
import json
import os
import re
import signal
import subprocess
import time

import pytest

from day2_helpers import (capi_names, create, in_order, kube, lab_env, lab_vars, playbook, recap_changed, REPO,
                          VENV_BIN, vms_of)

pytestmark = pytest.mark.lab

NAME = "dayt"


@pytest.fixture(scope="module")
def cluster(lab, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("day2")
    created = create(lab, workdir, NAME)
    assert created.returncode == 0, created.stdout[-3000:]
    return {"dir": workdir, "spec": workdir / ("%s.yaml" % NAME),
            "kubeconfig": str(workdir / NAME / ("%s-eks-a-cluster.kubeconfig" % NAME))}


def edit(cluster, *pairs):
    text = cluster["spec"].read_text()
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    cluster["spec"].write_text(text)


def run(lab, cluster, book="upgrade_cluster.yml", extra=()):
    return playbook(lab, cluster["dir"], book, lab_vars(lab, cluster["dir"], NAME) + list(extra))


def machines(lab, cluster):
    items = kube(lab, cluster["kubeconfig"], "get", "machines.cluster.x-k8s.io", "-n", "eksa-system",
                 "-l", "cluster.x-k8s.io/cluster-name=%s" % NAME)["items"]
    out = {}
    for item in items:
        labels = item["metadata"].get("labels") or {}
        group = labels.get("cluster.x-k8s.io/deployment-name") or labels.get("cluster.x-k8s.io/etcd-cluster") or "cp"
        out.setdefault(group, set()).add(item["metadata"]["name"])
    return out


def all_names(groups):
    return set().union(*groups.values())


WORKERS = "  - count: 2\n    machineGroupRef:\n      kind: VSphereMachineConfig\n      name: %s\n    name: md-0" % NAME


def test_scale_workers_adds_machines_and_replaces_none(lab, cluster):
    before = machines(lab, cluster)
    edit(cluster, (WORKERS, WORKERS.replace("count: 2", "count: 3")))
    result = run(lab, cluster, "scale_cluster.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "machines: 0 replaced, 1 added, 0 removed" in result.stdout
    assert "VSphereMachineTemplate" not in result.stdout.split("Show the upgrade plan")[1].split("Upgrading")[0]
    after = machines(lab, cluster)
    assert all_names(before) < all_names(after) and len(all_names(after)) == 8  # none replaced, one added
    assert len(vms_of(lab, NAME)) == 8
    ok, missing = in_order(result.stdout, ["Performing setup and validations", "✅ Validate immutable fields",
                                           "Upgrading management cluster", "Writing cluster config file",
                                           "🎉 Cluster upgraded!"])
    assert ok, missing


def test_scale_refuses_a_change_that_replaces_machines(lab, cluster):
    edit(cluster, ("memoryMiB: 8192\n  numCPUs: 2\n  osFamily: ubuntu\n  resourcePool: \"*/Resources/Compute-ResourcePool\"\n"
                   "  template: \"/SDDC-Datacenter/vm/Templates/ubuntu-2204-kube-v1.33\"\n  users:\n  - name: capv\n",
                   "memoryMiB: 4096\n  numCPUs: 2\n  osFamily: ubuntu\n  resourcePool: \"*/Resources/Compute-ResourcePool\"\n"
                   "  template: \"/SDDC-Datacenter/vm/Templates/ubuntu-2204-kube-v1.33\"\n  users:\n  - name: capv\n"))
    before = machines(lab, cluster)
    refused = run(lab, cluster, "scale_cluster.yml")
    assert refused.returncode != 0 and "scale_cluster only changes counts" in refused.stdout, refused.stdout[-3000:]
    assert machines(lab, cluster) == before
    cluster["spec"].write_text(cluster["spec"].read_text().replace("memoryMiB: 4096", "memoryMiB: 8192"))


def test_version_upgrade_rolls_control_plane_then_etcd_then_workers(lab, cluster):
    before = machines(lab, cluster)
    edit(cluster, ('kubernetesVersion: "1.33"', 'kubernetesVersion: "1.34"'))
    cluster["spec"].write_text(cluster["spec"].read_text().replace("ubuntu-2204-kube-v1.33", "ubuntu-2204-kube-v1.34"))
    result = run(lab, cluster)
    assert result.returncode == 0, result.stdout[-4000:]
    out = result.stdout
    progress = "\n".join(line for line in out.splitlines() if "up to date" in line)
    assert "machines: 8 replaced, 0 added, 0 removed" in out
    for tpl in ("%s-control-plane-1 -> %s-control-plane-2" % (NAME, NAME), "%s-etcd-1 -> %s-etcd-2" % (NAME, NAME),
                "%s-md-0-1 -> %s-md-0-2" % (NAME, NAME)):
        assert tpl in out
    # one up before one down: 3 control-plane machines at a time, never 1; etcd 4 then 3
    # one up before one down: a third control-plane machine (a fourth etcd member) while it rolls, never fewer than
    # asked; progress is polled, so which intermediate counts show varies, but a surge always shows
    assert re.search(r"control plane: \d/2 up to date, 3 machine\(s\)", out), progress
    assert re.search(r"etcd: \d/3 up to date, 4 machine\(s\)", out), progress
    assert not re.search(r"control plane: \d/2 up to date, [01] machine\(s\)", out), progress
    assert out.index("control plane: 2/2 up to date, 2 machine(s)") < out.index("etcd: 3/3 up to date, 3 machine(s)") \
        < out.rindex("%s-md-0: 3/3 up to date, 3 machine(s)" % NAME), progress
    after = machines(lab, cluster)
    assert not all_names(before) & all_names(after) and len(all_names(after)) == 8
    assert sorted(vms_of(lab, NAME)) == sorted(all_names(after))  # old VMs destroyed, new ones made
    kcp = kube(lab, cluster["kubeconfig"], "get", "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io", NAME, "-n", "eksa-system")
    assert kcp["spec"]["version"].startswith("v1.34")


def test_memory_change_rolls_exactly_that_group_and_a_group_is_added(lab, cluster):
    before = machines(lab, cluster)
    spec = cluster["spec"].read_text()
    # md-0's machine config gets more memory; a new group md-1 uses the control plane's machine config
    parts = spec.split("---")
    for i, part in enumerate(parts):
        if "kind: VSphereMachineConfig" in part and re.search(r"\n  name: %s\n" % NAME, part):
            parts[i] = part.replace("memoryMiB: 8192", "memoryMiB: 16384")
    spec = "---".join(parts)
    spec = spec.replace(WORKERS.replace("count: 2", "count: 3"), WORKERS.replace("count: 2", "count: 3")
                        + "\n  - count: 1\n    machineGroupRef:\n      kind: VSphereMachineConfig\n      name: %s-cp\n    name: md-1" % NAME)
    cluster["spec"].write_text(spec)
    result = run(lab, cluster)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "worker_group/%s-md-0: roll" % NAME in result.stdout and "worker_group/%s-md-1: add" % NAME in result.stdout
    assert "control_plane: roll" not in result.stdout and "etcd: roll" not in result.stdout
    after = machines(lab, cluster)
    assert after["cp"] == before["cp"] and after["%s-etcd" % NAME] == before["%s-etcd" % NAME]
    assert not after["%s-md-0" % NAME] & before["%s-md-0" % NAME] and len(after["%s-md-0" % NAME]) == 3
    assert len(after["%s-md-1" % NAME]) == 1


def test_remove_a_group_and_scale_workers_down(lab, cluster):
    spec = cluster["spec"].read_text()
    spec = spec.replace("\n  - count: 1\n    machineGroupRef:\n      kind: VSphereMachineConfig\n      name: %s-cp\n    name: md-1" % NAME, "")
    spec = spec.replace(WORKERS.replace("count: 2", "count: 3"), WORKERS.replace("count: 2", "count: 1"))
    cluster["spec"].write_text(spec)
    before = machines(lab, cluster)
    result = run(lab, cluster, "scale_cluster.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    after = machines(lab, cluster)
    assert "%s-md-1" % NAME not in after and len(after["%s-md-0" % NAME]) == 1
    assert after["%s-md-0" % NAME] < before["%s-md-0" % NAME]  # removed, none replaced
    assert sorted(vms_of(lab, NAME)) == sorted(all_names(after))


@pytest.mark.parametrize("old, new, field", [
    # one lab case (each field's rule is unit-tested in tests/unit/plugins/module_utils/test_upgrade.py)
    ('host: "127.0.0.11"', 'host: "127.0.0.12"', "spec.controlPlaneConfiguration.endpoint.host"),
])
def test_immutable_field_refused_with_nothing_changed(lab, cluster, old, new, field):
    original = cluster["spec"].read_text()
    before = machines(lab, cluster)
    cluster["spec"].write_text(original.replace(old, new))
    try:
        refused = run(lab, cluster)
    finally:
        cluster["spec"].write_text(original)
    assert refused.returncode != 0
    assert field in refused.stdout and "previous value" in refused.stdout, refused.stdout[-3000:]
    assert machines(lab, cluster) == before


def kill_when(lab, cluster, book, markers, grace=0.0):
    """Run ``book`` and kill its whole process group once a line holding one of ``markers`` shows (after ``grace``
    seconds more); returns the lines seen. A run faster than the look is the re-run's starting point all the same."""
    cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(REPO / "inventories/localhost/hosts.yml"),
           str(REPO / "playbooks" / book)] + lab_vars(lab, cluster["dir"], NAME)
    proc = subprocess.Popen(cmd, env=lab_env(lab, cluster["dir"]), cwd=str(cluster["dir"]), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if any(marker in line for marker in markers):
            break
    time.sleep(grace)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    return seen


def test_killed_upgrade_converges_when_run_again_then_changes_nothing(lab, cluster):
    before = machines(lab, cluster)
    cluster["spec"].write_text(cluster["spec"].read_text().replace("memoryMiB: 16384", "memoryMiB: 12288"))
    # killed in the middle of the worker group's roll
    markers = ["%s-md-0: 0/1 up to date, 2 machine(s)" % NAME, "%s-md-0: 1/1 up to date, 2 machine(s)" % NAME]
    seen = kill_when(lab, cluster, "upgrade_cluster.yml", markers)
    assert any("Roll out each stage" in line for line in seen), "".join(seen)[-3000:]
    again = run(lab, cluster)
    assert again.returncode == 0, again.stdout[-4000:]
    after = machines(lab, cluster)
    assert len(after["%s-md-0" % NAME]) == 1 and not after["%s-md-0" % NAME] & before["%s-md-0" % NAME]
    assert sorted(vms_of(lab, NAME)) == sorted(all_names(after))
    finished = run(lab, cluster)
    assert finished.returncode == 0 and recap_changed(finished.stdout) == 0, finished.stdout[-3000:]
    assert "No upgrade needed" in finished.stdout


def set_memory(cluster, config, mib):
    parts = cluster["spec"].read_text().split("---")
    hits = [i for i, part in enumerate(parts)
            if "kind: VSphereMachineConfig" in part and re.search(r"\n  name: %s\n" % re.escape(config), part)]
    assert len(hits) == 1, config
    parts[hits[0]] = re.sub(r"memoryMiB: \d+", "memoryMiB: %d" % mib, parts[hits[0]])
    cluster["spec"].write_text("---".join(parts))


# slow (make integration-all): two more rolls each; make test kills the workers' roll above and the delete below
@pytest.mark.parametrize("config, group, markers", [
    pytest.param("%s-cp" % NAME, "cp", ["control plane: 1/2 up to date", "control plane: 0/2 up to date, 3 machine(s)"],
                 marks=pytest.mark.slow),
    pytest.param("%s-etcd" % NAME, "%s-etcd" % NAME, ["etcd: 1/3 up to date", "etcd: 0/3 up to date, 4 machine(s)"],
                 marks=pytest.mark.slow),
])
def test_killed_in_the_control_plane_or_etcd_stage_converges(lab, cluster, config, group, markers):
    """An upgrade killed while the control plane (or etcd) rolls: the same command finishes exactly that roll."""
    before = machines(lab, cluster)
    set_memory(cluster, config, 10240)
    seen = kill_when(lab, cluster, "upgrade_cluster.yml", markers)
    assert any("Roll out each stage" in line for line in seen), "".join(seen)[-3000:]
    again = run(lab, cluster)
    assert again.returncode == 0, again.stdout[-4000:]
    after = machines(lab, cluster)
    assert not after[group] & before[group] and len(after[group]) == len(before[group])
    assert dict((g, n) for g, n in after.items() if g != group) == dict((g, n) for g, n in before.items() if g != group)
    assert sorted(vms_of(lab, NAME)) == sorted(all_names(after))


def fresh_run(lab, cluster, folder, book="upgrade_cluster.yml", extra=()):
    """A day-2 job in a new folder (an AWX job's private data dir): only the spec, the bundle and the kubeconfig."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / ("%s.yaml" % NAME)
    spec.write_text(cluster["spec"].read_text())
    args = ["-e", "cluster_config=%s" % spec, "-e", "bundle=%s" % lab["LAB_BUNDLE"], "-e", "output_dir=%s" % folder,
            "-e", "kubeconfig=%s" % cluster["kubeconfig"], "-e", "vsphere_ca_path=%s" % lab["LAB_VSPHERE_CA_FILE"]]
    return playbook(lab, folder, book, args + list(extra))


def test_day2_job_in_a_new_folder_plans_from_the_cluster_and_scales(lab, cluster, tmp_path):
    workers = WORKERS.replace("count: 2", "count: 1")
    assert workers in cluster["spec"].read_text()
    edit(cluster, (workers, WORKERS))  # md-0 1 -> 2
    before = machines(lab, cluster)
    checked = fresh_run(lab, cluster, tmp_path / "check", extra=["--check"])
    assert checked.returncode == 0, checked.stdout[-4000:]
    assert "worker_group/%s-md-0: scale" % NAME in checked.stdout and "machines: 0 replaced, 1 added, 0 removed" in checked.stdout
    assert machines(lab, cluster) == before  # --check changed nothing
    result = fresh_run(lab, cluster, tmp_path / "job1", "scale_cluster.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    # the same plan as the create's folder would make: from the manifests kept on the cluster, no template renamed
    assert "machines: 0 replaced, 1 added, 0 removed" in result.stdout and "🎉 Cluster upgraded!" in result.stdout
    after = machines(lab, cluster)
    assert before["%s-md-0" % NAME] < after["%s-md-0" % NAME] and len(after["%s-md-0" % NAME]) == 2
    assert sorted(vms_of(lab, NAME)) == sorted(all_names(after))
    again = fresh_run(lab, cluster, tmp_path / "job2")
    assert again.returncode == 0 and "No upgrade needed" in again.stdout, again.stdout[-3000:]
    assert machines(lab, cluster) == after


@pytest.mark.slow  # make integration-all: make test keeps to the list of lab tests
def test_control_plane_count_scales_without_replacing(lab, cluster):
    before = machines(lab, cluster)
    edit(cluster, ("  controlPlaneConfiguration:\n    count: 2\n", "  controlPlaneConfiguration:\n    count: 3\n"))
    result = run(lab, cluster, "scale_cluster.yml")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "control_plane: scale" in result.stdout and "machines: 0 replaced, 1 added, 0 removed" in result.stdout
    after = machines(lab, cluster)
    assert before["cp"] < after["cp"] and len(after["cp"]) == 3
    edit(cluster, ("  controlPlaneConfiguration:\n    count: 3\n", "  controlPlaneConfiguration:\n    count: 2\n"))
    down = run(lab, cluster, "scale_cluster.yml")
    assert down.returncode == 0, down.stdout[-4000:]
    final = machines(lab, cluster)
    assert final["cp"] < after["cp"] and len(final["cp"]) == 2
    assert sorted(vms_of(lab, NAME)) == sorted(all_names(final))


@pytest.mark.slow  # make integration-all: make test keeps to the list of lab tests
def test_worker_labels_and_taints_roll_exactly_that_group(lab, cluster):
    before = machines(lab, cluster)
    edit(cluster, (WORKERS, WORKERS + "\n    labels:\n      tier: web\n    taints:\n    - effect: PreferNoSchedule\n"
                                      "      key: dedicated\n      value: web"))
    result = run(lab, cluster)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "worker_group/%s-md-0: roll" % NAME in result.stdout, result.stdout[-4000:]
    assert "control_plane: roll" not in result.stdout and "etcd: roll" not in result.stdout
    after = machines(lab, cluster)
    assert after["cp"] == before["cp"] and after["%s-etcd" % NAME] == before["%s-etcd" % NAME]
    assert not after["%s-md-0" % NAME] & before["%s-md-0" % NAME] and len(after["%s-md-0" % NAME]) == 2
    config = kube(lab, cluster["kubeconfig"], "get", "kubeadmconfigtemplates.bootstrap.cluster.x-k8s.io", "-n", "eksa-system")
    joined = json.dumps([i["spec"] for i in config["items"] if i["metadata"]["name"].startswith("%s-md-0" % NAME)])
    assert "tier=web" in joined and "dedicated" in joined


@pytest.mark.parametrize("pairs, says", [
    # a template the preflight cannot find: refused before anything changes
    ([("ubuntu-2204-kube-v1.34\"", "ubuntu-2204-kube-v1.34-missing\"")], "ubuntu-2204-kube-v1.34-missing"),
    # never down (EKS Anywhere's ValidateServerVersionSkew): 1.34 -> 1.33, with the 1.33 templates the preflight accepts
    ([('kubernetesVersion: "1.34"', 'kubernetesVersion: "1.33"'), ("ubuntu-2204-kube-v1.34", "ubuntu-2204-kube-v1.33")],
     "spec.kubernetesVersion"),
])
def test_refused_before_anything_changes(lab, cluster, pairs, says):
    original = cluster["spec"].read_text()
    changed = original
    for old, new in pairs:
        assert old in changed
        changed = changed.replace(old, new)
    before = machines(lab, cluster)
    cluster["spec"].write_text(changed)
    try:
        refused = run(lab, cluster)
    finally:
        cluster["spec"].write_text(original)
    assert refused.returncode != 0 and says in refused.stdout, refused.stdout[-3000:]
    assert "Upgrading management cluster" not in refused.stdout
    assert machines(lab, cluster) == before


MANAGED = {"apiVersion": "anywhere.eks.amazonaws.com/v1alpha1", "kind": "Cluster",
           "metadata": {"name": "w01", "namespace": "default"},
           "spec": {"kubernetesVersion": "1.34", "managementCluster": {"name": NAME}}}


def test_delete_refused_while_managing_then_resumed_then_done(lab, cluster):
    kubeconfig, workdir = cluster["kubeconfig"], cluster["dir"]
    others_before = [n for n in capi_names(lab, lab["LAB_WORKLOAD_KUBECONFIG"]) if not n[1].startswith(NAME)]
    managed = workdir / "w01.json"
    managed.write_text(json.dumps(MANAGED))
    kube(lab, kubeconfig, "apply", "-f", str(managed), parse=False)
    try:
        refused = run(lab, cluster, "delete_cluster.yml")
    finally:
        kube(lab, kubeconfig, "delete", "-f", str(managed), parse=False)
    assert refused.returncode != 0
    assert "%s is the management cluster of default/w01" % NAME in refused.stdout, refused.stdout[-3000:]
    assert vms_of(lab, NAME) and ("Cluster", NAME) in capi_names(lab, lab["LAB_WORKLOAD_KUBECONFIG"])

    # interrupted after the move (the bootstrap cluster holds it): the same command resumes
    moved = run(lab, cluster, "delete_cluster.yml", ["--tags", "bootstrap,capi-install,move"])
    assert moved.returncode == 0, moved.stdout[-3000:]
    assert ("Cluster", NAME) in capi_names(lab, lab["LAB_BOOTSTRAP_KUBECONFIG"])
    assert "Moving cluster management from workload cluster" in moved.stdout and "Cluster deleted!" not in moved.stdout

    # killed while Cluster API deletes the machines: the same command waits for the rest
    seen = kill_when(lab, cluster, "delete_cluster.yml", ["Deleting workload cluster"], grace=3.0)
    assert any("Deleting workload cluster" in line for line in seen), "".join(seen)[-3000:]

    deleted = run(lab, cluster, "delete_cluster.yml")
    assert deleted.returncode == 0, deleted.stdout[-4000:]
    ok, missing = in_order(deleted.stdout, ["Performing provider setup and validations", "Deleting workload cluster",
                                            "Clean up Git Repo", "Deleting bootstrap cluster", "🎉 Cluster deleted!"])
    assert ok, missing
    assert vms_of(lab, NAME) == []
    for kubeconfig_path in (lab["LAB_BOOTSTRAP_KUBECONFIG"], lab["LAB_WORKLOAD_KUBECONFIG"]):
        assert not [n for n in capi_names(lab, kubeconfig_path) if n[1].startswith(NAME)]
    assert [n for n in capi_names(lab, lab["LAB_WORKLOAD_KUBECONFIG"]) if not n[1].startswith(NAME)] == others_before

    again = run(lab, cluster, "delete_cluster.yml")
    assert again.returncode == 0 and recap_changed(again.stdout) == 0, again.stdout[-3000:]
    assert "🎉 Cluster deleted!" in again.stdout
