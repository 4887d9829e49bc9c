"""Helpers of the workload-cluster integration tests (tests/integration/workload, tests/integration/fleet): playbook runs
against the lab, kubectl, and the session's one management cluster `wmgmt` (made as make demo makes it, on the lab's
workload API server), shared by the packages that create workload clusters from it."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
MGMT = "wmgmt"


def _env(lab, workdir):
    top = Path(workdir) / "collections"
    target = top / "ansible_collections" / "eksa"
    target.mkdir(parents=True, exist_ok=True)
    if not (target / "anywhere").exists():
        (target / "anywhere").symlink_to(REPO)
    env = dict(os.environ)
    env.update({k: v for k, v in lab.items() if isinstance(v, str)})
    env.update(EKSA_VSPHERE_USERNAME=lab["LAB_VSPHERE_USERNAME"], EKSA_VSPHERE_PASSWORD=lab["LAB_VSPHERE_PASSWORD"],
               ANSIBLE_COLLECTIONS_PATH=str(top), ANSIBLE_LOCAL_TEMP=str(Path(workdir) / "tmp"), ANSIBLE_NOCOLOR="1")
    return env


def play(lab, workdir, playbook, *extra):
    cmd = [str(VENV_BIN / "ansible-playbook"), "-i", str(REPO / "inventories/localhost/hosts.yml"),
           str(REPO / "playbooks" / playbook)] + list(extra)
    return subprocess.run(cmd, env=_env(lab, workdir), cwd=str(workdir), capture_output=True, text=True, timeout=900,
                          check=False)


def recap_changed(out):
    match = re.search(r"localhost\s+: ok=\d+\s+changed=(\d+)", out)
    return int(match.group(1)) if match else None


def kube(lab, kubeconfig, *args, check=True):
    proc = subprocess.run([os.path.join(lab["LAB_BIN"], "kubectl"), "--kubeconfig", kubeconfig] + list(args) + ["-o", "json"],
                          capture_output=True, text=True, check=check, timeout=60)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def names(items):
    return sorted(i["metadata"]["name"] for i in items["items"])


def api_server_kubeconfig(lab, kubeconfig):
    """The lab's admin kubeconfig of the API server a cluster's kubeconfig points at (bootstrap, workload or one of
    the pool's, `lab.py grow`), read from the lab's state: the pool may have grown since the session began."""
    import yaml  # pylint: disable=import-outside-toplevel
    text = str(kubeconfig)
    config = yaml.safe_load(text if "\n" in text else Path(text).read_text())  # the kubeconfig, or its path
    server = config["clusters"][0]["cluster"]["server"]
    state = json.loads((Path(lab["LAB_STATE_DIR"]) / "state.json").read_text())
    servers = [state["bootstrap"], state["workload"]] + list(state.get("pool") or [])
    return next(s["kubeconfig"] for s in servers if s["server"] == server)


_MANAGEMENT = {}


def management_cluster_dir(lab, tmp_path_factory):
    """The folder of the management cluster MGMT (its spec, <MGMT>/<MGMT>-eks-a-cluster.kubeconfig), made on first
    use: once per session and lab even when several test packages ask (each registers the fixture of its own)."""
    key = lab["LAB_STATE_DIR"]
    if key not in _MANAGEMENT:
        workdir = tmp_path_factory.mktemp("workload")
        mgmt = play(lab, workdir, "demo.yml", "-e", "demo_dir=%s" % workdir, "-e", "demo_cluster_name=%s" % MGMT)
        assert mgmt.returncode == 0, mgmt.stdout[-4000:] + mgmt.stderr[-2000:]
        _MANAGEMENT[key] = workdir
    return _MANAGEMENT[key]
