"""A fleet: one management cluster, N workload clusters created by N concurrent AWX jobs, each isolated.

The management cluster is the workload tests' (workload_lab.MGMT, made once per session). The lab's pool gets an API
server per workload cluster (`lab.py grow`; capi-sim gives each workload cluster of a management cluster the first free
one). Each job is an ansible-runner job as AWX runs it (awx_jobs.job: a fresh private data directory, the `awx/` project,
the credentials injected as environment variables), the management cluster given by name (its kubeconfig from its
durable state on the lab's bootstrap API server). A second round runs the three jobs again together with a fourth whose
cluster capi-sim keeps from ever getting a ready worker (the faults file): it fails, the others succeed and change
nothing. Last, the clusters are deleted, freeing their API servers.
"""
import base64
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

pytest.importorskip("ansible_runner")

# pylint: disable-next=wrong-import-position
from awx_jobs import _injected, assert_no_secret, job, stats_changed  # noqa: E402
# pylint: disable-next=wrong-import-position
from workload_lab import MGMT, api_server_kubeconfig, kube, names, play  # noqa: E402

pytestmark = pytest.mark.lab

LAB_CLI = Path(__file__).resolve().parents[2] / "lab" / "lab.py"
N = 3
FLEET = ["fleet-%d" % i for i in range(1, N + 1)]
FAULTY = "fleet-%d" % (N + 1)


def fleet_spec(workdir, name, index):
    """The management cluster's spec made a workload cluster's: its name, managementCluster.name, an endpoint and a
    folder of its own (as demo_workload.yml fills them in)."""
    text = (workdir / ("%s.yaml" % MGMT)).read_text().replace(MGMT, name)
    text = re.sub(r"(?m)^(  managementCluster:\n    name): .*$", r"\1: %s" % MGMT, text)
    text = text.replace('"127.0.0.11"', '"127.0.0.%d"' % (30 + index))
    return text.replace("/SDDC-Datacenter/vm/eksa/management", "/SDDC-Datacenter/vm/eksa/workload")


def survey(lab, workdir, name, index):
    return {"cluster_config_data": fleet_spec(workdir, name, index), "bundle": Path(lab["LAB_BUNDLE"]).as_uri(),
            "management_cluster": MGMT, "state_kubeconfig": lab["LAB_BOOTSTRAP_KUBECONFIG"],
            "vsphere_ca_path": lab["LAB_VSPHERE_CA_FILE"], "skip_ip_check": True}


def concurrently(lab, tmp_path_factory, surveys):
    """One AWX job per survey, all at once; {name: (private data dir, runner, stdout)}."""
    creds = _injected(lab, custom_type=True)
    with ThreadPoolExecutor(max_workers=len(surveys)) as pool:
        futures = {name: pool.submit(job, lab, tmp_path_factory, "create_cluster.yml", extravars, creds)
                   for name, extravars in surveys.items()}
        return {name: future.result() for name, future in futures.items()}


def kubeconfig_of(runner):
    stats = [e for e in runner.events if e.get("event") == "playbook_on_stats"][-1]["event_data"]["artifact_data"]
    return Path(stats["eksa_cluster_kubeconfig_path"])


def server_of(kubeconfig):
    return yaml.safe_load(Path(kubeconfig).read_text())["clusters"][0]["cluster"]["server"]


def snapshot(lab, name):
    """What a cluster is made of, as identities (a change in any would show): its Machines and kubeconfig Secret on the
    management cluster, its Nodes on its own API server."""
    mgmt = lab["LAB_WORKLOAD_KUBECONFIG"]
    machines = kube(lab, mgmt, "get", "machines.cluster.x-k8s.io", "-n", "eksa-system", "-l",
                    "cluster.x-k8s.io/cluster-name=%s" % name)
    secret = kube(lab, mgmt, "get", "secret", "%s-kubeconfig" % name, "-n", "eksa-system")
    server = api_server_kubeconfig(lab, base64.b64decode(secret["data"]["value"]).decode())
    nodes = kube(lab, server, "get", "nodes")
    return {"machines": sorted((m["metadata"]["name"], m["metadata"]["uid"]) for m in machines["items"]),
            "secret": (secret["metadata"]["uid"], secret["metadata"]["resourceVersion"]),
            "nodes": sorted((n["metadata"]["name"], n["metadata"]["uid"]) for n in nodes["items"]
                            if n["metadata"]["name"].startswith(name + "-"))}


@pytest.fixture(scope="module")
def pool(lab):
    """An API server per workload cluster of the fleet and the faulty one (the lab starts none by default)."""
    proc = subprocess.run([sys.executable, str(LAB_CLI), "grow", str(N + 1)], capture_output=True, text=True,
                          check=False, timeout=300, env=dict(os.environ, LAB_STATE_DIR=lab["LAB_STATE_DIR"]))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((Path(lab["LAB_STATE_DIR"]) / "state.json").read_text())["pool"]


@pytest.fixture(scope="module")
def fleet(lab, pool, management_cluster, tmp_path_factory):
    surveys = {name: survey(lab, management_cluster, name, i) for i, name in enumerate(FLEET, 1)}
    jobs = concurrently(lab, tmp_path_factory, surveys)
    for name, (dummy, runner, stdout) in jobs.items():
        assert runner.status == "successful", (name, stdout[-5000:])
    return surveys, jobs


def test_fleet_created_by_concurrent_jobs(lab, fleet):
    dummy, jobs = fleet
    for name, (pdd, runner, stdout) in jobs.items():
        assert "Creating workload cluster" in stdout and "🎉 Cluster created!" in stdout, name
        assert_no_secret(lab, pdd, runner, stdout)
    capi = names(kube(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "clusters.cluster.x-k8s.io", "-n", "eksa-system"))
    assert set(FLEET) <= set(capi) and MGMT in capi


def test_each_cluster_on_an_api_server_of_its_own(lab, pool, fleet):
    dummy, jobs = fleet
    shared = {server_of(lab[k]) for k in ("LAB_BOOTSTRAP_KUBECONFIG", "LAB_WORKLOAD_KUBECONFIG")}
    servers = {}
    for name, (dummy, runner, dummy_stdout) in jobs.items():
        kubeconfig = kubeconfig_of(runner)
        assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
        servers[name] = server_of(kubeconfig)
        nodes = names(kube(lab, str(kubeconfig), "get", "nodes"))  # the job's kubeconfig reaches its server
        assert len([n for n in nodes if n.startswith(name + "-")]) == 4, (name, nodes)  # 2 control plane + 2 workers
        assert not [n for n in nodes if n.startswith("fleet-") and not n.startswith(name + "-")], (name, nodes)
        assert kube(lab, str(kubeconfig), "get", "daemonset", "cilium", "-n", "kube-system")
        assert kube(lab, str(kubeconfig), "get", "storageclass", "standard")
    assert len(set(servers.values())) == N, servers
    assert not set(servers.values()) & shared
    assert set(servers.values()) <= {p["server"] for p in pool}


def test_faulty_job_fails_and_changes_nothing_of_the_others(lab, fleet, management_cluster, tmp_path_factory):
    """The three jobs again, with a fourth whose cluster never gets a ready worker: it fails, the others resume to
    changed=0, and nothing of theirs changes."""
    surveys = dict(fleet[0])
    before = {name: snapshot(lab, name) for name in FLEET}
    surveys[FAULTY] = dict(survey(lab, management_cluster, FAULTY, N + 1), per_machine_timeout=3)
    faults = Path(lab["LAB_STATE_DIR"]) / "capi-sim-faults.json"
    faults.write_text(json.dumps({FAULTY: {"fault": "machine-never-ready"}}))
    try:
        jobs = concurrently(lab, tmp_path_factory, surveys)
    finally:
        faults.unlink()
    pdd, runner, stdout = jobs.pop(FAULTY)
    assert runner.status == "failed", stdout[-5000:]
    assert "waiting for workers of cluster %s" % FAULTY in stdout and "Cluster created!" not in stdout, stdout[-3000:]
    assert_no_secret(lab, pdd, runner, stdout)
    for name, (pdd, runner, stdout) in jobs.items():
        assert runner.status == "successful", (name, stdout[-5000:])
        assert stats_changed(runner) == 0, (name, stdout[-5000:])
        assert "Creating workload cluster… already done" in stdout, name
        assert_no_secret(lab, pdd, runner, stdout)
    assert {name: snapshot(lab, name) for name in FLEET} == before


def test_delete_the_fleet_frees_its_api_servers(lab, fleet, management_cluster, tmp_path_factory):
    """Last: the workload clusters deleted together (eksa.anywhere.delete_cluster); the management cluster stays, and
    capi-sim frees their API servers for the next ones."""
    specs = dict((name, extravars["cluster_config_data"]) for name, extravars in fleet[0].items())
    specs[FAULTY] = fleet_spec(management_cluster, FAULTY, N + 1)
    mgmt_kubeconfig = management_cluster / MGMT / ("%s-eks-a-cluster.kubeconfig" % MGMT)

    def delete(name):
        workdir = tmp_path_factory.mktemp("delete")
        (workdir / ("%s.yaml" % name)).write_text(specs[name])
        return play(lab, workdir, "delete_cluster.yml", "-e", "cluster_config=%s" % (workdir / ("%s.yaml" % name)),
                    "-e", "output_dir=%s" % workdir, "-e", "management_kubeconfig=%s" % mgmt_kubeconfig)

    with ThreadPoolExecutor(max_workers=len(specs)) as workers:
        results = dict(zip(specs, workers.map(delete, specs)))
    for name, proc in results.items():
        assert proc.returncode == 0, (name, proc.stdout[-4000:])
    capi = names(kube(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "clusters.cluster.x-k8s.io", "-n", "eksa-system"))
    assert MGMT in capi and not set(specs) & set(capi)
    assignments = Path(lab["LAB_STATE_DIR"]) / "capi-sim-api-servers.json"
    held = json.loads(assignments.read_text()) if assignments.exists() else {}
    assert not [key for key in held if key.split("/")[-1] in specs], held
