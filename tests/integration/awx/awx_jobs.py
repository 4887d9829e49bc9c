"""AWX job helpers for the integration tests (tests/integration/awx, tests/integration/fleet): an ansible-runner job in a
fresh private data directory with the `awx/` project and the credentials as AWX injects them, and the no-secret check
of a job's output, events and artifacts."""
import base64
import json
import os
import shutil
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lab"))
from lab_fixture import end_job_processes, job_marker  # noqa: E402  pylint: disable=wrong-import-position,import-error

REPO = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent


def _collections(top):
    target = Path(top) / "collections" / "ansible_collections" / "eksa"
    target.mkdir(parents=True, exist_ok=True)
    if not (target / "anywhere").exists():
        (target / "anywhere").symlink_to(REPO)
    return str(Path(top) / "collections")


def _injected(lab, custom_type):
    """AWX's credential injectors, as environment variables."""
    vmware = {  # the built-in VMware vCenter type ("Verify SSL" unticked: AWX's default)
        "VMWARE_HOST": lab["LAB_VSPHERE_SERVER"], "VMWARE_USER": lab["LAB_VSPHERE_USERNAME"],
        "VMWARE_PASSWORD": lab["LAB_VSPHERE_PASSWORD"], "VMWARE_VALIDATE_CERTS": "False",
    }
    injectors = yaml.safe_load((REPO / "docs/awx/credential-types/eks-anywhere-vsphere.yml").read_text())["injectors"]["env"]
    inputs = {"vsphere_username": lab["LAB_VSPHERE_USERNAME"], "vsphere_password": lab["LAB_VSPHERE_PASSWORD"],
              "vsphere_cp_username": lab["LAB_VSPHERE_CP_USERNAME"], "vsphere_cp_password": lab["LAB_VSPHERE_CP_PASSWORD"],
              "registry_username": "", "registry_password": ""}
    custom = {}
    for var, template in injectors.items():  # "{{ field }}", as AWX renders it
        custom[var] = inputs[template.strip("{} ")]
    return dict(vmware, **custom) if custom_type else vmware


def job(lab, tmp_path_factory, playbook, extravars, envvars, cancel_at=None):
    """One AWX job: a fresh private data directory, the project, extra vars and injected credentials.

    ``cancel_at``: cancel the job as AWX's Cancel does as soon as a line containing it is printed: the runner ends
    ansible-playbook, and the job's container ends with whatever the job still ran in it (``end_job_processes``).
    """
    pdd = tmp_path_factory.mktemp("job")
    shutil.copytree(REPO / "awx", pdd / "project")
    env = {
        "PATH": "%s:%s" % (VENV_BIN, os.environ.get("PATH", "")),
        "ANSIBLE_COLLECTIONS_PATH": _collections(pdd),  # the execution environment holds the collection
        "ANSIBLE_LOCAL_TEMP": str(pdd / "tmp"), "ANSIBLE_NOCOLOR": "1",
    }
    env.update(envvars)
    marker = job_marker()
    env.update(marker)
    seen = {"cancel": False}

    def on_event(event):
        if cancel_at and cancel_at in (event.get("stdout") or ""):
            seen["cancel"] = True
        return True

    import ansible_runner  # pylint: disable=import-outside-toplevel

    runner = ansible_runner.run(private_data_dir=str(pdd), playbook=playbook, extravars=extravars, envvars=env,
                                quiet=True, timeout=900, event_handler=on_event, cancel_callback=lambda: seen["cancel"])
    end_job_processes(marker)
    stdout = runner.stdout.read()
    return pdd, runner, stdout


def stats_changed(runner):
    return sum((runner.stats or {}).get("changed", {}).values())


def secrets_of(lab):
    values = [lab["LAB_VSPHERE_PASSWORD"], lab["LAB_VSPHERE_CP_PASSWORD"]]
    return values + [base64.b64encode(v.encode()).decode() for v in values]


def assert_no_secret(lab, pdd, runner, stdout, extra=()):
    """No secret in stdout, in the job events, or in any file under artifacts/."""
    texts = {"stdout": stdout, "events": json.dumps(list(runner.events), default=str)}
    checked = 0
    for path in (pdd / "artifacts").rglob("*"):
        if not path.is_file():
            continue
        if path.name == "command" and path.parent.parent.name == "artifacts":
            # ansible-runner's own record of how it was started: the environment it was given, i.e. the injected
            # credentials themselves (AWX hands them over the same way). Written 0600 by the runner, not by the job.
            assert oct(path.stat().st_mode & 0o777) == "0o600"
            continue
        texts[str(path.relative_to(pdd))] = path.read_text(errors="replace")
        checked += 1
    assert checked > 3 and any("job_events" in k for k in texts) and any(k.endswith("/stdout") for k in texts)
    for secret in secrets_of(lab) + list(extra):
        for where, text in texts.items():
            assert secret not in text, "a secret is in %s" % where
