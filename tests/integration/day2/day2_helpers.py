"""Running the collection's playbooks against the lab, and looking at the lab (shared by the day-2 tests)."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent


def _collections_path(tmp):
    top = Path(tmp) / "collections"
    target = top / "ansible_collections" / "eksa"
    target.mkdir(parents=True, exist_ok=True)
    link = target / "anywhere"
    if not link.exists():
        link.symlink_to(REPO)
    return str(top)


def lab_env(lab, workdir):
    env = dict(os.environ)
    env.update({k: v for k, v in lab.items() if isinstance(v, str)})
    env["EKSA_VSPHERE_USERNAME"] = lab["LAB_VSPHERE_USERNAME"]
    env["EKSA_VSPHERE_PASSWORD"] = lab["LAB_VSPHERE_PASSWORD"]
    env["ANSIBLE_COLLECTIONS_PATH"] = _collections_path(workdir)
    env["ANSIBLE_LOCAL_TEMP"] = str(Path(workdir) / "tmp")
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


def playbook(lab, workdir, name, extra=(), timeout=900):
    """ansible-playbook playbooks/<name> with the lab's environment; returns the CompletedProcess."""
    cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(REPO / "inventories/localhost/hosts.yml"),
           str(REPO / "playbooks" / name)] + list(extra)
    return subprocess.run(cmd, env=lab_env(lab, workdir), cwd=str(workdir), capture_output=True, text=True,
                          timeout=timeout, check=False)


def create(lab, workdir, name):
    return playbook(lab, workdir, "demo.yml", ["-e", "demo_dir=%s" % workdir, "-e", "demo_cluster_name=%s" % name])


def lab_vars(lab, workdir, name):
    """The -e arguments the day-2 playbooks take in the lab (as demo.yml passes them to create)."""
    return ["-e", "cluster_config=%s/%s.yaml" % (workdir, name), "-e", "bundle=%s" % lab["LAB_BUNDLE"],
            "-e", "output_dir=%s" % workdir, "-e", "bootstrap_kubeconfig=%s" % lab["LAB_BOOTSTRAP_KUBECONFIG"],
            "-e", "clusterctl_binary=%s/clusterctl" % lab["LAB_BIN"], "-e", "kind_binary=%s/kind" % lab["LAB_BIN"],
            "-e", "vsphere_ca_path=%s" % lab["LAB_VSPHERE_CA_FILE"], "-e", "skip_ip_check=true"]


def recap_changed(out):
    match = re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)", out)
    return int(match.group(1)) if match else None


def kube(lab, kubeconfig, *args, parse=True):
    out = subprocess.run([os.path.join(lab["LAB_BIN"], "kubectl"), "--kubeconfig", kubeconfig] + list(args)
                         + (["-o", "json"] if parse else []), capture_output=True, text=True, check=True, timeout=60).stdout
    return json.loads(out) if parse else out


def capi_names(lab, kubeconfig, kinds="clusters.cluster.x-k8s.io,machines.cluster.x-k8s.io"):
    items = kube(lab, kubeconfig, "get", kinds, "-n", "eksa-system")["items"]
    return [(i["kind"], i["metadata"]["name"]) for i in items]


def vms_of(lab, name):
    sys.path.insert(0, str(REPO / "tests" / "lab"))
    import vsphere_seed  # pylint: disable=import-outside-toplevel
    from pyVmomi import vim  # pylint: disable=import-outside-toplevel
    si = vsphere_seed.connect(lab["LAB_VSPHERE_SERVER"], lab["LAB_VSPHERE_USERNAME"], lab["LAB_VSPHERE_PASSWORD"],
                              cafile=lab["LAB_VSPHERE_CA_FILE"])
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    return sorted(vm.name for vm in view.view if vm.name.startswith(name + "-"))


def in_order(out, lines):
    positions = [out.find(line) for line in lines]
    missing = [line for line, pos in zip(lines, positions) if pos < 0]
    return not missing and positions == sorted(positions), missing
