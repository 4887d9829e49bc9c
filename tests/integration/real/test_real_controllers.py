"""The create workflow reconciled by the REAL Cluster API controllers (LAB_CONTROLLERS=real, tests/lab/README.md).

CAPI core, kubeadm bootstrap, kubeadm control plane, CAPV and the etcdadm bootstrap provider run as lab processes
(real-controllers) on the bootstrap API server and, after the move, on the cluster's own; only the guest side of the
VMs and the etcdadm controller are simulated (guest-sim). The test proves what the issue asks of it:
  * the collection's create ends with "🎉 Cluster created!", and a second run changes nothing;
  * every VM of the cluster was cloned by CAPV, and its guestinfo.userdata is the cloud-config the real kubeadm or
    etcdadm bootstrap controller rendered from our templates (kubeadm init/join, etcdadm init/join);
  * the real webhooks answer: a v1beta1 read is converted by the conversion webhook, an immutable-field change is
    refused by the admission webhook (server-side dry run: nothing changes).

make test runs it in its real-controller lab (scripts/integration.sh, group [real]). Run on its own against a lab that
runs capi-sim, it starts a lab of its own in real mode (${TMPDIR}/eksa-anywhere-lab-real-test) and stops it at the end.
"""
import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[3]
LAB_DIR = REPO / "tests" / "lab"
sys.path.insert(0, str(LAB_DIR))
sys.path.insert(0, str(REPO / "tests" / "integration" / "create"))

from test_create_cluster import kube, recap_changed, run_demo  # noqa: E402

NAME = "realctl"
ENDPOINT = "127.0.0.31"  # the VIP guest-sim serves (another lab's demo holds 127.0.0.11)


@pytest.fixture(scope="module")
def real_lab():
    import lab as labmod
    own = Path(os.environ.get("TMPDIR") or "/tmp") / "eksa-anywhere-lab-real-test"
    current = labmod._read_state(labmod.state_dir())  # noqa: SLF001
    if current and current.get("controllers") == "real" and labmod._healthy(labmod.state_dir(), current):  # noqa: SLF001
        yield labmod.env_values(current)
        return
    env = dict(os.environ, LAB_STATE_DIR=str(own), LAB_CONTROLLERS="real")
    subprocess.run([sys.executable, str(LAB_DIR / "lab.py"), "down"], env=env, capture_output=True, check=False)
    p = subprocess.run([sys.executable, str(LAB_DIR / "lab.py"), "up"], env=env, capture_output=True, text=True,
                       check=False)
    if p.returncode != 0:
        pytest.fail(f"the real-controller lab could not be started:\n{p.stderr[-4000:]}", pytrace=False)
    try:
        yield labmod.env_values(labmod._read_state(own))  # noqa: SLF001
    finally:
        subprocess.run([sys.executable, str(LAB_DIR / "lab.py"), "down"], env=env, capture_output=True, check=False)


@pytest.fixture(scope="module")
def created(real_lab, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("real")
    first = run_demo(real_lab, workdir, extra=["-e", f"demo_endpoint_host={ENDPOINT}"], name=NAME)
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-2000:]
    kubeconfig = str(workdir / NAME / f"{NAME}-eks-a-cluster.kubeconfig")
    return workdir, first, kubeconfig


def test_created_by_the_real_controllers(created):
    dummy, first, kubeconfig = created
    assert "🎉 Cluster created!" in first.stdout
    server = (Path(kubeconfig).read_text().split("server: ", 1)[1].split()[0])
    assert server == f"https://{ENDPOINT}:6443"  # the kubeconfig KCP generated, served by the simulated guest's VIP


def _vms(lab):
    import vsphere_seed
    from pyVmomi import vim
    si = vsphere_seed.connect(lab["LAB_VSPHERE_SERVER"], lab["LAB_VSPHERE_USERNAME"], lab["LAB_VSPHERE_PASSWORD"],
                              cafile=lab["LAB_VSPHERE_CA_FILE"])
    try:
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.VirtualMachine], True)
        out = {}
        for vm in view.view:
            if vm.name.startswith(NAME + "-") and not vm.config.template:
                out[vm.name] = {o.key: o.value for o in vm.config.extraConfig}
        view.Destroy()
        return out
    finally:
        vsphere_seed.disconnect(si)


def _without_etcdadm_command(text):
    return "\n".join(line for line in text.splitlines() if "etcdadm init" not in line and "etcdadm join" not in line)


def test_each_vm_holds_the_cloud_config_the_real_bootstrap_controllers_rendered(real_lab, created):
    dummy, dummy2, kubeconfig = created
    vms = _vms(real_lab)
    machines = kube(real_lab, kubeconfig, "-n", "eksa-system", "get", "machines.cluster.x-k8s.io")["items"]
    ours = {m["metadata"]["name"]: m for m in machines if m["spec"]["clusterName"] == NAME}
    assert sorted(vms) == sorted(ours), (sorted(vms), sorted(ours))  # one VM per Machine: 3 etcd, 2 cp, 2 workers
    commands = []
    for name, extra in vms.items():
        assert extra.get("guestinfo.userdata.encoding") == "base64", name
        userdata = base64.b64decode(extra["guestinfo.userdata"]).decode()
        secret = kube(real_lab, kubeconfig, "-n", "eksa-system", "get", "secret",
                      ours[name]["spec"]["bootstrap"]["dataSecretName"])
        assert "#cloud-config" in userdata.splitlines()[1], name
        kind = next(c for c in ("kubeadm init", "kubeadm join", "etcdadm init", "etcdadm join") if c in userdata)
        rendered = base64.b64decode(secret["data"]["value"]).decode()
        if kind.startswith("etcdadm"):
            # the etcdadm bootstrap provider renders the first member's data again once the move reset its status
            # (`etcdadm join` then), after CAPV cloned the VM with `etcdadm init`: the same but for that command line
            userdata, rendered = (_without_etcdadm_command(t) for t in (userdata, rendered))
        assert userdata == rendered, name  # CAPV cloned the VM with the data the real bootstrap controller rendered
        commands.append(kind)
    assert sorted(commands) == sorted(["etcdadm init", "etcdadm join", "etcdadm join", "kubeadm init",
                                       "kubeadm join", "kubeadm join", "kubeadm join"])


def test_real_managers_run_after_the_move(real_lab, created):
    sd = Path(real_lab["LAB_STATE_DIR"])
    import lab as labmod
    for binary in ("capi-manager", "kubeadm-bootstrap-manager", "kubeadm-control-plane-manager", "capv-manager",
                   "etcdadm-bootstrap-manager"):
        pid = json.loads((sd / "pids" / f"ctrl-workload-{binary}.pid").read_text())
        assert labmod._pid_alive(pid["pid"], pid.get("match")), binary  # noqa: SLF001


def test_the_real_webhooks_convert_and_refuse(real_lab, created):
    dummy, dummy2, kubeconfig = created
    old = kube(real_lab, kubeconfig, "-n", "eksa-system", "get", f"clusters.v1beta1.cluster.x-k8s.io/{NAME}")
    assert old["apiVersion"] == "cluster.x-k8s.io/v1beta1"
    assert old["spec"]["infrastructureRef"]["apiVersion"].startswith("infrastructure.cluster.x-k8s.io/")  # converted
    templates = kube(real_lab, kubeconfig, "-n", "eksa-system", "get",
                     "vspheremachinetemplates.infrastructure.cluster.x-k8s.io")["items"]
    template = next(t["metadata"]["name"] for t in templates if t["metadata"]["name"].startswith(NAME))
    # CAPV's validating webhook (not the CRD's schema) keeps a machine template's spec immutable
    p = subprocess.run([os.path.join(real_lab["LAB_BIN"], "kubectl"), "--kubeconfig", kubeconfig, "-n", "eksa-system",
                        "patch", "vspheremachinetemplates.infrastructure.cluster.x-k8s.io", template, "--type", "merge",
                        "-p", '{"spec":{"template":{"spec":{"numCPUs":7}}}}', "--dry-run=server"],
                       capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode != 0 and "Please create a new resource instead" in p.stderr, \
        p.stdout + p.stderr


def test_second_run_changes_nothing(real_lab, created):
    workdir, dummy, dummy2 = created
    again = run_demo(real_lab, workdir, extra=["-e", f"demo_endpoint_host={ENDPOINT}"], name=NAME)
    assert again.returncode == 0, again.stdout[-4000:]
    assert recap_changed(again.stdout) == 0, again.stdout[-3000:]
