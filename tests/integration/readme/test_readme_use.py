"""A new user's first hour: the README's "Use" commands, run as written, from a folder of their own, against the
collection built and installed with ansible-galaxy (not the source tree), with the lab as vCenter and bootstrap cluster.

The commands are read from the README itself. What a user would have set up is given the way a user gives it: the
vCenter credentials in EKSA_VSPHERE_*, the lab's tools on PATH, the bootstrap cluster and the lab's lack of a spare IP
as inventory variables (ANSIBLE_INVENTORY), the Bundles manifest copied to ./bundles.yaml, and the spec filled in.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
EKSA_LINES = [
    "Performing setup and validations", "✅ Vsphere Provider setup is valid", "Creating new bootstrap cluster",
    "Installing cluster-api providers on bootstrap cluster", "Provider specific setup", "Creating new workload cluster",
    "Installing networking on workload cluster", "Installing storage class on workload cluster",
    "Installing cluster-api providers on workload cluster", "Moving cluster management from bootstrap to workload cluster",
    "Installing EKS-A custom components (CRD and controller) on workload cluster",
    "Creating EKS-A CRDs instances on workload cluster", "GitOps field not specified, bootstrap flux skipped",
    "Writing cluster config file", "Keeping bootstrap cluster", "🎉 Cluster created!"]


def readme_use_commands():
    """The command lines of the README's "Use" code block, in order, as written."""
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Use\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The collection as a user has it: a tarball built by ansible-galaxy, installed by ansible-galaxy."""
    top = tmp_path_factory.mktemp("galaxy")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(top / "collections"), ANSIBLE_NOCOLOR="1")
    subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(top), str(REPO)],
                   env=env, check=True, capture_output=True, text=True)
    [tarball] = top.glob("eksa-anywhere-*.tar.gz")
    subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "install", "-p", str(top / "collections"), str(tarball)],
                   env=env, check=True, capture_output=True, text=True)
    installed_at = top / "collections" / "ansible_collections" / "eksa" / "anywhere"
    assert (installed_at / "MANIFEST.json").exists() and not installed_at.is_symlink()
    return top / "collections"


def user_env(lab, collections, home, callback=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "LAB_", "EKSA_", "VMWARE_", "K8S_AUTH"))}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
               ANSIBLE_HOME=str(home / "ansible-home"), ANSIBLE_INVENTORY=str(home / "inventory.yml"),
               EKSA_VSPHERE_USERNAME=lab["LAB_VSPHERE_USERNAME"], EKSA_VSPHERE_PASSWORD=lab["LAB_VSPHERE_PASSWORD"],
               PATH=os.pathsep.join([lab["LAB_BIN"], str(VENV_BIN), env.get("PATH", "")]))
    if callback:
        env["ANSIBLE_STDOUT_CALLBACK"] = callback
    return env


def run_line(line, cwd, env, extra=""):
    return subprocess.run(["bash", "-c", line + extra], cwd=str(cwd), env=env, capture_output=True, text=True,
                          timeout=900, check=False)


def fill_in(spec_path, lab, pubkey):
    """What the user does between generate and validate: the blanks of the template, with the lab's values."""
    text = spec_path.read_text()
    for pattern, value in [
            (r'^(\s+host): ""$', r'\1: "127.0.0.11"'),
            (r'^(\s+server): ".*"$', r'\1: "%s"' % lab["LAB_VSPHERE_SERVER"]),
            (r'^(\s+thumbprint): ".*"$', r'\1: "%s"' % lab["LAB_VSPHERE_THUMBPRINT"]),
            (r'^(\s+datacenter): ""$', r'\1: "SDDC-Datacenter"'),
            (r'^(\s+network): ""$', r'\1: "sddc-cgw-network-1"'),
            (r'^(\s+datastore): ""$', r'\1: "/SDDC-Datacenter/datastore/WorkloadDatastore"'),
            (r'^(\s+folder): ""$', r'\1: "/SDDC-Datacenter/vm/eksa/management"'),
            (r'^(\s+)resourcePool: ""$',
             r'\1resourcePool: "*/Resources/Compute-ResourcePool"\n\1template: "/SDDC-Datacenter/vm/Templates/ubuntu-2204-kube-v1.33"'),
            (r'^(\s+osFamily): bottlerocket$', r'\1: ubuntu'),
            (r'^(\s+- name): ec2-user$', r'\1: capv'),
            (r'^(\s+- )ssh-rsa AAAA\.\.\.$', r'\g<1>' + pubkey)]:
        text = re.sub(pattern, value, text, flags=re.M)
    text = re.sub(r'^(\s+kubernetesVersion): "?[0-9.]+"?$', r'\1: "1.33"', text, flags=re.M)
    spec_path.write_text(text)


@pytest.fixture(scope="module")
def user(lab, installed, tmp_path_factory):
    """A user's own folder, outside the project, and their environment."""
    home = tmp_path_factory.mktemp("user")
    folder = home / "clusters"
    folder.mkdir()
    assert REPO not in folder.parents
    (home / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "bootstrap_kubeconfig": lab["LAB_BOOTSTRAP_KUBECONFIG"], "skip_ip_check": True}}}}))
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "readme", "-f", str(home / "id_ed25519")],
                   check=True)
    shutil.copy(lab["LAB_BUNDLE"], folder / "bundles.yaml")
    return home, folder


@pytest.fixture(scope="module")
def steps(lab, installed, user):
    """The three README commands, run in order; the spec filled in after the first, as the README says."""
    home, folder = user
    generate, validate, create = readme_use_commands()
    assert "generate_clusterconfig" in generate and "validate_cluster" in validate and "create_cluster" in create
    out = {"generate": run_line(generate, folder, user_env(lab, installed, home))}
    fill_in(folder / "mgmt.yaml", lab, (home / "id_ed25519.pub").read_text().strip())
    out["validate"] = run_line(validate, folder, user_env(lab, installed, home))
    out["create"] = run_line(create, folder, user_env(lab, installed, home, callback="eksa.anywhere.eksa"))
    out["again"] = run_line(create, folder, user_env(lab, installed, home, callback="eksa.anywhere.eksa"))
    out["again_default"] = run_line(create, folder, user_env(lab, installed, home))
    return out


def test_readme_has_the_three_commands():
    commands = readme_use_commands()
    assert len(commands) == 3, commands
    for line in commands:
        assert shlex.split(line)[0] == "ansible-playbook"


def test_generate_writes_the_template_in_the_users_folder(steps, user, installed):
    home, folder = user
    result = steps["generate"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert (folder / "mgmt.yaml").is_file()
    assert str(folder / "mgmt.yaml") in result.stdout  # named in full
    assert not list(installed.rglob("mgmt.yaml"))  # nothing lands inside the installed collection


def test_validate_finds_the_filled_spec_and_the_lab_vcenter(steps, user):
    home, folder = user
    result = steps["validate"]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "✅ Cluster spec %s is valid" % (folder / "mgmt.yaml") in result.stdout
    assert "✅ Vsphere Provider setup is valid" in result.stdout


def test_create_makes_the_cluster_in_the_users_folder(steps, user, lab):
    home, folder = user
    result = steps["create"]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    kubeconfig = folder / "mgmt" / "mgmt-eks-a-cluster.kubeconfig"
    assert kubeconfig.is_file() and oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
    assert (folder / "mgmt" / "mgmt-eks-a-cluster.yaml").is_file()
    nodes = subprocess.run([os.path.join(lab["LAB_BIN"], "kubectl"), "--kubeconfig", str(kubeconfig), "get", "nodes",
                            "-o", "name"], capture_output=True, text=True, check=True).stdout.split()
    assert len([n for n in nodes if n.startswith("node/mgmt")]) >= 2


def test_the_eksa_callback_prints_what_eksctl_prints(steps, user, lab):
    home, folder = user
    out = steps["create"].stdout
    positions = [out.find(line) for line in EKSA_LINES]
    assert all(p >= 0 for p in positions), [line for line, p in zip(EKSA_LINES, positions) if p < 0]
    assert positions == sorted(positions)
    # no task chatter
    for chatter in ("TASK [", "PLAY [", "ok: [", "skipping:", "changed: [", "PLAY RECAP", "Validating arguments"):
        assert chatter not in out, chatter
    # progress while waiting, then at the end the kubeconfig and how to use it
    assert re.search(r"^  (etcd|control plane|workers)", out, re.M) or "ready" in out, out[-3000:]
    kubeconfig = folder / "mgmt" / "mgmt-eks-a-cluster.kubeconfig"
    tail = out.strip().splitlines()[-2:]
    assert tail == ["The cluster's kubeconfig: %s" % kubeconfig,
                    "Use it: export KUBECONFIG=%s; kubectl get nodes" % kubeconfig], tail
    # true messages: the lab's bootstrap cluster is an existing one, kept; the ✅ lines name their machine config
    assert "Deleting bootstrap cluster" not in out
    assert "Keeping bootstrap cluster: it is an existing cluster (%s)" % lab["LAB_BOOTSTRAP_KUBECONFIG"] in out
    for mc in ("mgmt-cp", "mgmt-etcd", "mgmt"):
        assert "✅ Datastore validated (machine config %s)" % mc in out
    assert "AddonManager" not in out
    assert lab["LAB_VSPHERE_PASSWORD"] not in out + steps["create"].stderr


def test_a_rerun_says_each_done_phase_is_done(steps):
    result = steps["again"]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    out = result.stdout
    for phase in ("Creating new bootstrap cluster", "Installing cluster-api providers on bootstrap cluster",
                  "Creating new workload cluster", "Installing cluster-api providers on workload cluster",
                  "Moving cluster management from bootstrap to workload cluster"):
        assert "%s… already done" % phase in out, phase
    assert "🎉 Cluster created!" in out


def test_the_default_callback_shows_the_same_lines(steps):
    result = steps["again_default"]
    assert result.returncode == 0, result.stdout[-4000:]
    out = result.stdout
    assert "TASK [" in out  # Ansible's own output
    for line in ("Performing setup and validations", "✅ Vsphere Provider setup is valid",
                 "Creating new bootstrap cluster… already done", "Installing networking on workload cluster",
                 "GitOps field not specified, bootstrap flux skipped", "🎉 Cluster created!", "The cluster's kubeconfig: "):
        assert line in out, line
    assert not re.search(r"TASK \[[^\]]*Installing AddonManager", out)
    assert re.search(r"localhost\s+: ok=\d+\s+changed=0", out), out[-2000:]


# The README's day-2 sentence ("the same -e cluster_config=... -e bundle=..."), run as a user would after the create,
# from the same folder, with the same relative paths: the installed collection's day-2 playbooks resolve them there.
DAY2_COMMANDS = {
    "upgrade_check": "ansible-playbook eksa.anywhere.upgrade_cluster -e cluster_config=mgmt.yaml -e bundle=bundles.yaml --check",
    "delete": "ansible-playbook eksa.anywhere.delete_cluster -e cluster_config=mgmt.yaml -e bundle=bundles.yaml",
}


@pytest.fixture(scope="module")
def day2(lab, installed, user, steps):
    """After the create (and every test of it, which come first in this file): upgrade --check, then delete."""
    home, folder = user
    out = {"upgrade_check": run_line(DAY2_COMMANDS["upgrade_check"], folder, user_env(lab, installed, home))}
    out["delete"] = run_line(DAY2_COMMANDS["delete"], folder, user_env(lab, installed, home))
    return out


def test_upgrade_check_finds_the_relative_spec_and_bundle(day2, user, installed):
    home, folder = user
    result = day2["upgrade_check"]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "does not exist" not in result.stdout + result.stderr
    assert "Performing setup and validations" in result.stdout
    assert not list(installed.rglob("mgmt-eks-a-cluster.yaml"))  # nothing written inside the installed collection


def test_delete_with_relative_paths_deletes_the_cluster(day2, user, lab):
    home, folder = user
    result = day2["delete"]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "does not exist" not in result.stdout + result.stderr
    assert "🎉 Cluster deleted!" in result.stdout
    assert lab["LAB_VSPHERE_PASSWORD"] not in result.stdout + result.stderr
