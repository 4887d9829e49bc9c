"""kind_bootstrap with a stand-in kind executable (no container engine here): config, arguments, decisions, errors."""
import stat

import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.tools import kind
from ansible_collections.eksa.anywhere.plugins.modules import kind_bootstrap

SPEC = {
    "provider": "vsphere",
    "cluster": {"metadata": {"name": "mgmt"}, "spec": {
        "clusterNetwork": {"pods": {"cidrBlocks": ["192.168.0.0/16"]}, "services": {"cidrBlocks": ["10.96.0.0/12"]}},
        "controlPlaneConfiguration": {"endpoint": {"host": "10.0.0.10"}},
        "proxyConfiguration": {"httpProxy": "proxy:3128", "httpsProxy": "proxy:3128", "noProxy": ["10.0.0.0/8"]},
        "registryMirrorConfiguration": {"endpoint": "mirror.local", "port": "5000"},
    }},
    "datacenter": {"spec": {"server": "vcenter.local"}},
}


@pytest.fixture
def fake_kind(tmp_path):
    """A kind stand-in: records its arguments and environment; `get clusters` prints $FAKE_KIND_CLUSTERS."""
    log = tmp_path / "kind.log"
    script = tmp_path / "kind"
    script.write_text("""#!/bin/sh
printf '%s\\n' "$*" >> "{log}"
printf 'NO_PROXY=%s\\n' "$NO_PROXY" >> "{log}"
case "$1 $2" in
  "get clusters") printf '%s\\n' "$FAKE_KIND_CLUSTERS";;
  "create cluster") [ -n "$FAKE_KIND_FAIL" ] && {{ echo "ERROR: failed to create cluster: no container engine" >&2; exit 1; }}; exit 0;;
  "delete cluster") exit 0;;
esac
""".format(log=log))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script), log


def test_kind_config_carries_cidrs_and_mirror():
    config = kind.kind_config(SPEC)
    assert config["networking"] == {"podSubnet": "192.168.0.0/16", "serviceSubnet": "10.96.0.0/12"}
    assert "mirror.local:5000" in config["containerdConfigPatches"][0]


def test_proxy_environment_adds_vcenter_endpoint_and_cidrs():
    env = kind.proxy_environment(SPEC)
    assert env["HTTPS_PROXY"] == "proxy:3128"
    for item in ("10.0.0.0/8", "vcenter.local", "10.0.0.10", "192.168.0.0/16", "10.96.0.0/12"):
        assert item in env["NO_PROXY"].split(",")


def test_create_runs_kind_with_eksa_arguments(run_module, fake_kind, tmp_path, monkeypatch):
    binary, log = fake_kind
    monkeypatch.setenv("FAKE_KIND_CLUSTERS", "")
    result, failed = run_module(kind_bootstrap, {"name": "mgmt", "spec": SPEC, "node_image": "kind/node:v1", "output_dir": str(tmp_path),
                                                 "binary_path": binary, "wait_timeout": 1})
    # the stand-in makes no API server, so the module fails after running kind - with the command it ran
    assert failed and "does not answer" in result["msg"]
    assert result["cmd"][1:7] == ["create", "cluster", "--name", "mgmt-eks-a-cluster", "--image", "kind/node:v1"]
    assert result["cmd"][result["cmd"].index("--kubeconfig") + 1] == str(tmp_path / "mgmt" / "generated" / "mgmt.kind.kubeconfig")
    text = log.read_text()
    assert "NO_PROXY=10.0.0.0/8,vcenter.local,10.0.0.10" in text


def test_check_mode_predicts_create_and_runs_nothing_but_get(run_module, fake_kind, tmp_path, monkeypatch):
    binary, log = fake_kind
    monkeypatch.setenv("FAKE_KIND_CLUSTERS", "other-eks-a-cluster")
    result, failed = run_module(kind_bootstrap, {"name": "mgmt", "spec": SPEC, "output_dir": str(tmp_path), "binary_path": binary},
                                check_mode=True)
    assert not failed and result["changed"] and result["created"]
    assert "create" not in log.read_text()


def test_existing_unhealthy_cluster_is_an_error_that_says_what_to_do(run_module, fake_kind, tmp_path, monkeypatch):
    binary, dummy = fake_kind
    monkeypatch.setenv("FAKE_KIND_CLUSTERS", "mgmt-eks-a-cluster")
    result, failed = run_module(kind_bootstrap, {"name": "mgmt", "spec": SPEC, "output_dir": str(tmp_path), "binary_path": binary})
    assert failed and "kind delete cluster --name mgmt-eks-a-cluster" in result["msg"]


def test_kind_failure_returns_rc_stdout_stderr(run_module, fake_kind, tmp_path, monkeypatch):
    binary, dummy = fake_kind
    monkeypatch.setenv("FAKE_KIND_CLUSTERS", "")
    monkeypatch.setenv("FAKE_KIND_FAIL", "1")
    result, failed = run_module(kind_bootstrap, {"name": "mgmt", "spec": SPEC, "output_dir": str(tmp_path), "binary_path": binary})
    assert failed and result["rc"] == 1 and "no container engine" in result["stderr"]


def test_absent_deletes_only_when_present(run_module, fake_kind, tmp_path, monkeypatch):
    binary, log = fake_kind
    monkeypatch.setenv("FAKE_KIND_CLUSTERS", "")
    result, failed = run_module(kind_bootstrap, {"name": "mgmt", "state": "absent", "output_dir": str(tmp_path), "binary_path": binary})
    assert not failed and not result["changed"]
    monkeypatch.setenv("FAKE_KIND_CLUSTERS", "mgmt-eks-a-cluster")
    result, failed = run_module(kind_bootstrap, {"name": "mgmt", "state": "absent", "output_dir": str(tmp_path), "binary_path": binary})
    assert not failed and result["changed"]
    assert "delete cluster --name mgmt-eks-a-cluster" in log.read_text()


def test_missing_binary_is_a_clear_error(run_module, tmp_path):
    result, failed = run_module(kind_bootstrap, {"name": "mgmt", "spec": SPEC, "binary_path": str(tmp_path / "nope")})
    assert failed and "binary_path" in result["msg"]


def test_existing_mode_never_deletes(run_module, tmp_path):
    result, failed = run_module(kind_bootstrap, {"name": "mgmt", "state": "absent", "existing_kubeconfig": str(tmp_path / "kc")})
    assert not failed and not result["changed"] and "left running" in result["msg"]
