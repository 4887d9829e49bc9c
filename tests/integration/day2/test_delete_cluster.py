"""eksa.anywhere.delete_cluster in the lab: EKS Anywhere's phases, every VM gone, refusal, resume, re-run changes nothing."""
import pytest

from day2_helpers import capi_names, create, in_order, kube, lab_vars, playbook, recap_changed, vms_of

pytestmark = pytest.mark.lab

NAME = "gone"
MANAGED = {"apiVersion": "anywhere.eks.amazonaws.com/v1alpha1", "kind": "Cluster",
           "metadata": {"name": "w01", "namespace": "default"},
           "spec": {"kubernetesVersion": "1.33", "managementCluster": {"name": NAME}}}


def delete(lab, workdir, extra=()):
    return playbook(lab, workdir, "delete_cluster.yml", lab_vars(lab, workdir, NAME) + list(extra))


def test_delete_self_managed_cluster(lab, tmp_path):
    created = create(lab, tmp_path, NAME)
    assert created.returncode == 0, created.stdout[-3000:]
    assert len(vms_of(lab, NAME)) == 7
    kubeconfig = str(tmp_path / NAME / ("%s-eks-a-cluster.kubeconfig" % NAME))
    others_before = [n for n in capi_names(lab, lab["LAB_WORKLOAD_KUBECONFIG"]) if not n[1].startswith(NAME)]

    # a management cluster that still manages a workload cluster is refused, nothing changed
    managed = tmp_path / "w01.json"
    managed.write_text(__import__("json").dumps(MANAGED))
    kube(lab, kubeconfig, "apply", "-f", str(managed), parse=False)
    refused = delete(lab, tmp_path)
    kube(lab, kubeconfig, "delete", "-f", str(managed), parse=False)
    assert refused.returncode != 0
    assert "%s is the management cluster of default/w01" % NAME in refused.stdout, refused.stdout[-3000:]
    assert len(vms_of(lab, NAME)) == 7
    assert ("Cluster", NAME) in capi_names(lab, lab["LAB_WORKLOAD_KUBECONFIG"])

    # interrupted after the move (the bootstrap cluster holds it): the same command resumes
    moved = delete(lab, tmp_path, ["--tags", "bootstrap,capi-install,move"])
    assert moved.returncode == 0, moved.stdout[-3000:]
    assert ("Cluster", NAME) in capi_names(lab, lab["LAB_BOOTSTRAP_KUBECONFIG"])
    assert "Moving cluster management from workload cluster" in moved.stdout
    assert "Cluster deleted!" not in moved.stdout

    deleted = delete(lab, tmp_path)
    assert deleted.returncode == 0, deleted.stdout[-4000:]
    ok, missing = in_order(deleted.stdout, ["Performing provider setup and validations", "Deleting workload cluster",
                                            "Clean up Git Repo", "Deleting bootstrap cluster", "🎉 Cluster deleted!"])
    assert ok, missing
    assert vms_of(lab, NAME) == []
    for kubeconfig_path in (lab["LAB_BOOTSTRAP_KUBECONFIG"], lab["LAB_WORKLOAD_KUBECONFIG"]):
        assert not [n for n in capi_names(lab, kubeconfig_path) if n[1].startswith(NAME)]
    # the other clusters of the lab's shared API server are where they were
    assert [n for n in capi_names(lab, lab["LAB_WORKLOAD_KUBECONFIG"]) if not n[1].startswith(NAME)] == others_before

    again = delete(lab, tmp_path)
    assert again.returncode == 0, again.stdout[-3000:]
    assert recap_changed(again.stdout) == 0, again.stdout[-3000:]
    assert "🎉 Cluster deleted!" in again.stdout

