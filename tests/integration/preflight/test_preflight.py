"""vSphere preflight against the lab's vCenter simulator: reference specs, bad input and faults."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
import yaml

from preflight_helpers import PREFIX, REPO, failures

pytestmark = pytest.mark.lab

PASS = "\u2705 "
REFERENCES = ["cluster_main.yaml", "cluster_main_br.yaml", "cluster_main_multiple_worker_node_groups.yaml",
              "cluster_main_stacked_etcd.yaml", "cluster_with_networks.yaml"]


@pytest.fixture
def unchanged(vs):
    """The inventory after a test equals the one before, but for folders the module created."""
    before = vs.snapshot()
    created = []
    yield created
    after = vs.snapshot()
    assert after - before == {(p, "Folder") for p in created}
    assert before - after == set()


@pytest.mark.parametrize("name", REFERENCES)
def test_reference_specs_validate_cleanly(vs, unchanged, name):
    result = vs.run(vs.reference(name), check_mode=True)
    assert not result.get("failed"), failures(result) or result.get("msg")
    msgs = result["messages"]
    assert msgs[:4] == [PASS + "Connected to server", PASS + "Authenticated to vSphere", PASS + "Datacenter validated",
                        PASS + "Network validated"]
    assert msgs[-1] == PASS + "Vsphere Provider setup is valid"
    assert PASS + "administrator@vsphere.local user vSphere privileges validated" in msgs
    assert "Skipping check for whether control plane ip is in use" in msgs
    assert result["changed"] is False
    res = result["resolved"]
    assert res["datacenter"] == "/SDDC-Datacenter"
    assert res["thumbprint"] == vs.thumbprint
    for mc in res["machine_configs"].values():
        assert mc["datastore"] == "/SDDC-Datacenter/datastore/WorkloadDatastore"
        assert mc["resource_pool"] == "/SDDC-Datacenter/host/Cluster-1/Resources"
        if "template" in mc:
            assert mc["clone_mode"] == "linkedClone" and mc["disk_gib"] == 25


def test_round_trips_fixed(vs, unchanged):
    result = vs.run(vs.reference("cluster_main.yaml"), check_mode=True)
    many = vs.reference("cluster_main_multiple_worker_node_groups.yaml")
    result2 = vs.run(many, check_mode=True)
    assert result["round_trips"]["soap"] == result2["round_trips"]["soap"]
    assert result2["round_trips"]["total"] <= 15


def test_wrong_password(vs, unchanged):
    result = vs.run(vs.base(), password="not-the-password-123")
    assert result["failed"]
    assert failures(result) == ["failed validating credentials for vCenter: vSphere authentication failed: cannot complete "
                                "login due to an incorrect user name or password"]
    assert result["messages"][0] == PASS + "Connected to server"
    assert "not-the-password-123" not in result["_raw"]


def test_credentials_from_environment(vs, unchanged):
    result = vs.run(vs.base(), username=None, password=None, check_mode=True,
                    env={"EKSA_VSPHERE_USERNAME": vs.username, "EKSA_VSPHERE_PASSWORD": vs.password})
    assert not result.get("failed"), failures(result)
    result = vs.run(vs.base(), username=None, password=None, check_mode=True,
                    env={"VMWARE_USER": vs.username, "VMWARE_PASSWORD": vs.password})
    assert not result.get("failed"), failures(result)
    assert vs.password not in result["_raw"]


def test_cloud_provider_user_from_environment(vs, unchanged):
    """EKSA_VSPHERE_CP_USERNAME names the lab's second user: it logs in and its privileges are reported after the main user's."""
    cp_user, cp_pass = vs.env["LAB_VSPHERE_CP_USERNAME"], vs.env["LAB_VSPHERE_CP_PASSWORD"]
    result = vs.run(vs.base(), check_mode=True, env={"EKSA_VSPHERE_CP_USERNAME": cp_user, "EKSA_VSPHERE_CP_PASSWORD": cp_pass})
    assert not result.get("failed"), failures(result)
    msgs = result["messages"]
    assert msgs.index(PASS + "administrator@vsphere.local user vSphere privileges validated") + 1 == \
        msgs.index(PASS + "%s user vSphere privileges validated" % cp_user)
    assert cp_pass not in result["_raw"]


def test_cloud_provider_user_wrong_password(vs, unchanged):
    cp_user = vs.env["LAB_VSPHERE_CP_USERNAME"]
    result = vs.run(vs.base(), cp_username=cp_user, cp_password="not-the-cp-password-1")
    assert result["failed"]
    assert failures(result) == ["cloud provider user %s: failed validating credentials for vCenter: vSphere authentication "
                                "failed: cannot complete login due to an incorrect user name or password" % cp_user]
    assert "not-the-cp-password-1" not in result["_raw"]
    no_password = vs.run(vs.base(), cp_username=cp_user)
    assert no_password["failed"] and "EKSA_VSPHERE_CP_PASSWORD" in no_password["msg"]


def test_connection_refused(vs, unchanged):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    result = vs.run(vs.base(), hostname="127.0.0.1:%d" % port, connect_timeout=2)
    assert result["failed"]
    assert failures(result)[0].startswith("failed validating connection to vCenter: failed to reach server 127.0.0.1:%d" % port)
    assert "refused" in failures(result)[0].lower()


def test_listener_that_never_answers(vs, unchanged):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    try:
        result = vs.run(vs.base(), hostname="127.0.0.1:%d" % srv.getsockname()[1], connect_timeout=1)
    finally:
        srv.close()
    assert len(failures(result)) == 1
    assert failures(result)[0].startswith("failed validating connection to vCenter: failed to reach server 127.0.0.1:")
    assert failures(result)[0].endswith("timed out after 1s")


def test_wrong_thumbprint(vs, unchanged):
    objs = vs.base()
    objs[-1]["spec"]["thumbprint"] = "AB:CD:EF"
    result = vs.run(objs)
    assert failures(result) == ["thumbprint mismatch detected, expected: AB:CD:EF, actual: %s" % vs.thumbprint]


def test_self_signed_without_thumbprint(vs, unchanged):
    objs = vs.base()
    objs[-1]["spec"]["thumbprint"] = ""
    result = vs.run(objs)
    assert failures(result) == ["thumbprint is required for secure mode with self-signed certificates"]


def test_ca_path_trusts_without_thumbprint(vs, unchanged):
    objs = vs.base()
    objs[-1]["spec"]["thumbprint"] = ""
    result = vs.run(objs, ca_path=vs.env["LAB_VSPHERE_CA_FILE"], check_mode=True)
    assert not result.get("failed"), failures(result)


def test_insecure_warns(vs, unchanged):
    objs = vs.base()
    objs[-1]["spec"]["insecure"] = True
    result = vs.run(objs, check_mode=True)
    assert not result.get("failed"), failures(result)
    assert "insecure mode" in str(result.get("warnings"))
    assert any("insecure mode" in m for m in result["messages"])


@pytest.mark.parametrize("field,value,message", [
    ("datacenter", "Nope-DC", "datacenter Nope-DC not found"),
    ("network", "/SDDC-Datacenter/network/nope", "network /SDDC-Datacenter/network/nope not found"),
])
def test_missing_datacenter_objects(vs, unchanged, field, value, message):
    objs = vs.base()
    objs[-1]["spec"][field] = value
    if field == "datacenter":
        objs[-1]["spec"]["network"] = "/Nope-DC/network/sddc-cgw-network-1"
    result = vs.run(objs)
    assert message in failures(result)


@pytest.mark.parametrize("field,value,message", [
    ("datastore", "nope-ds", "failed to get datastore: datastore /SDDC-Datacenter/datastore/nope-ds not found"),
    ("resourcePool", "*/nope-pool", "resource pool 'nope-pool' not found"),
    ("template", "/SDDC-Datacenter/vm/Templates/nope", "template </SDDC-Datacenter/vm/Templates/nope> not found. "
                                                       "Has the template been imported?"),
    ("folder", "/SDDC-Datacenter/vm/nope/deeper",
     "failed to get folder: /SDDC-Datacenter/vm/nope/ is an invalid intermediate directory"),
    ("template", PREFIX + "dup-template", "specified template '%sdup-template' maps to multiple paths within the "
                                          "datacenter 'SDDC-Datacenter'" % PREFIX),
    ("resourcePool", PREFIX + "dup-pool", "specified resource pool '%sdup-pool' maps to multiple paths within the "
                                          "datacenter 'SDDC-Datacenter'" % PREFIX),
    ("template", "ubuntu-1804-kube-v1.19.6-untagged",
     "template /SDDC-Datacenter/vm/Templates/ubuntu-1804-kube-v1.19.6-untagged is missing tag os:ubuntu"),
    ("template", "ubuntu-1804-kube-v1.19.6-nosnapshot", "cannot use 'linkedClone' for VSphereMachineConfig 'test-cp'"),
])
def test_bad_machine_config_objects(vs, unchanged, field, value, message):
    result = vs.run(vs.base(**{field: value}))
    assert result["failed"]
    assert any(m.startswith(message) for m in failures(result)), failures(result)
    assert "\u274c Validation failed" in result["messages"]


def test_untagged_template_lists_both_tags(vs, unchanged):
    result = vs.run(vs.base(template="ubuntu-1804-kube-v1.19.6-untagged"))
    path = "/SDDC-Datacenter/vm/Templates/ubuntu-1804-kube-v1.19.6-untagged"
    assert "template %s is missing tag eksdRelease:kubernetes-1-19-eks-4" % path in failures(result)


def test_all_failures_at_once(vs, unchanged):
    objs = vs.base(datastore="nope-ds", resourcePool="*/nope-pool")
    objs[-1]["spec"]["network"] = "/SDDC-Datacenter/network/nope"
    result = vs.run(objs)
    assert len(failures(result)) >= 3 + 3   # network + datastore and pool of each of the 3 machine configs
    assert result["msg"].startswith("\u274c Validation failed: ")


def test_not_enough_datastore_space(vs, unchanged):
    result = vs.run(vs.base(diskGiB=5000, cloneMode="fullClone"))
    assert any(m.startswith("not enough space in datastore /SDDC-Datacenter/datastore/WorkloadDatastore for given diskGiB "
                            "and count for respective machine groups") for m in failures(result)), failures(result)


def test_endpoint_ip_in_use(vs, unchanged):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.5", 80))
    srv.listen(5)
    try:
        objs = vs.base()
        objs[0]["spec"]["controlPlaneConfiguration"]["endpoint"]["host"] = "127.0.0.5"
        result = vs.run(objs, skip_ip_check=False)
    finally:
        srv.close()
    assert failures(result) == ["cluster controlPlaneConfiguration.Endpoint.Host <127.0.0.5> is already in use, control "
                                "plane IP must be unique"]


def test_folder_created_once_then_idempotent(vs, unchanged):
    folder = "/SDDC-Datacenter/vm/eksa/%sfolder-%d" % (PREFIX, os.getpid())
    result = vs.run(vs.base(folder=folder), check_mode=True)
    assert not result.get("failed") and result["changed"] is False
    assert any("would be created" in m for m in result["messages"])
    result = vs.run(vs.base(folder=folder))
    unchanged.append(folder)
    assert not result.get("failed") and result["changed"] is True and result["created_folders"] == [folder]
    result = vs.run(vs.base(folder=folder))
    assert not result.get("failed") and result["changed"] is False


def test_reports_written_private(vs, unchanged, tmp_path):
    rj, rx = tmp_path / "r.json", tmp_path / "r.xml"
    result = vs.run(vs.base(datastore="nope-ds"), report_json=str(rj), report_junit=str(rx))
    assert result["failed"]
    assert oct(rj.stat().st_mode & 0o777) == "0o600" and oct(rx.stat().st_mode & 0o777) == "0o600"
    assert vs.password not in rj.read_text() + rx.read_text()


def test_playbook_vvvv_never_shows_password(vs, unchanged, tmp_path):
    spec = tmp_path / "mgmt.yaml"
    spec.write_text(yaml.safe_dump_all(vs.reference("cluster_main.yaml")))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "EKSA_VSPHERE_"))}
    env.update(ANSIBLE_COLLECTIONS_PATH=vs.collections, EKSA_VSPHERE_USERNAME=vs.username, EKSA_VSPHERE_PASSWORD=vs.password,
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path / "home"))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvvv", "-i", "localhost,",
           str(REPO / "playbooks" / "validate_cluster.yml"), "-e", "cluster_config=%s" % spec, "-e", "bundle=%s" % vs.bundle,
           "-e", "skip_ip_check=true"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-4000:]
    assert "Vsphere Provider setup is valid" in out
    assert "Connected to server" in out
    assert vs.password not in out
    # and with the wrong password, given as an extra var
    cmd2 = cmd + ["-e", "vsphere_password=Wr0ng-Extra-Var-Pass"]
    p = subprocess.run(cmd2, capture_output=True, text=True, env=env, timeout=300, check=False)
    out = p.stdout + p.stderr
    assert p.returncode != 0
    assert "vSphere authentication failed" in out
    assert "Wr0ng-Extra-Var-Pass" not in out.replace("vsphere_password=Wr0ng-Extra-Var-Pass", "")


# ---------------------------------------------------------------------------------------- TLS defaults (AWX)
AWX_ENV = {"VMWARE_VALIDATE_CERTS": "False"}  # what AWX's VMware credential injects unless "Verify SSL" is ticked


def _dc(objs):
    return next(o for o in objs if o["kind"] == "VSphereDatacenterConfig")


def test_awx_validate_certs_false_never_beats_the_thumbprint(vs, unchanged):
    objs = vs.base()
    _dc(objs)["spec"]["thumbprint"] = "AB:CD:EF"
    result = vs.run(objs, env=AWX_ENV, check_mode=True)
    # verification stayed on: the wrong pin is still caught
    assert failures(result) == ["thumbprint mismatch detected, expected: AB:CD:EF, actual: %s" % vs.thumbprint]
    assert "VMWARE_VALIDATE_CERTS=False in the environment" in result["_raw"]
    assert "thumbprint always wins" in result["_raw"]


def test_awx_validate_certs_false_where_the_spec_says_nothing_warns(vs, unchanged):
    objs = vs.base()
    _dc(objs)["spec"].pop("thumbprint", None)
    _dc(objs)["spec"].pop("insecure", None)
    result = vs.run(objs, env=AWX_ENV, check_mode=True)
    assert not result.get("failed"), failures(result)
    assert any("verification is OFF because of VMWARE_VALIDATE_CERTS=False in the environment" in w
               for w in [str(result.get("warnings"))])


def test_awx_validate_certs_false_against_a_stated_insecure_false(vs, unchanged):
    objs = vs.base()
    _dc(objs)["spec"]["thumbprint"] = ""
    _dc(objs)["spec"]["insecure"] = False
    result = vs.run(objs, env=AWX_ENV, check_mode=True)
    assert failures(result) == ["thumbprint is required for secure mode with self-signed certificates"]
    assert "sets insecure: false" in str(result.get("warnings"))
