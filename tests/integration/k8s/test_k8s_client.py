"""The Kubernetes client on the kubernetes library, against the lab's real kube-apiservers (no mocked transport):
exec credential plugins, in-cluster service accounts, merged KUBECONFIG, auth precedence over K8S_AUTH_*,
insecure-skip-tls-verify as client-go reads it, proxy and tls-server-name, checked names, diff with Secrets hidden."""
import base64
import json
import os
import socket
import stat

import pytest
import yaml

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.modules import capi_cluster_info, k8s_apply

pytestmark = pytest.mark.lab


def _closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _kubeconfig(lab):
    with open(lab["LAB_BOOTSTRAP_KUBECONFIG"]) as handle:
        return yaml.safe_load(handle)


def _pki(lab, name):
    return os.path.join(lab["LAB_STATE_DIR"], "pki", name)


def _write(path, data, mode=0o600):
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    path.chmod(mode)
    return str(path)


def _namespaces(conn):
    client = k8s_client.K8sClient(conn)
    try:
        return sorted(n["metadata"]["name"] for n in client.list("v1", "Namespace"))
    finally:
        client.close()


def _exec_kubeconfig(lab, tmp_path, command):
    data = _kubeconfig(lab)
    data["users"] = [{"name": "exec-user", "user": {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1", "command": command, "interactiveMode": "Never"}}}]
    data["contexts"][0]["context"]["user"] = "exec-user"
    return data


def _exec_plugin(lab, tmp_path):
    """A credential plugin printing an ExecCredential with the lab's client certificate."""
    with open(_pki(lab, "admin.crt")) as crt, open(_pki(lab, "admin.key")) as key:
        status = {"clientCertificateData": crt.read(), "clientKeyData": key.read()}
    cred = {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": status}
    _write(tmp_path / "cred.json", json.dumps(cred))
    return _write(tmp_path / "plugin.sh", "#!/bin/sh\ncat \"$(dirname \"$0\")/cred.json\"\n", 0o700)


def test_exec_plugin_kubeconfig_authenticates_and_removes_its_key_files(lab, tmp_path):
    plugin = _exec_plugin(lab, tmp_path)
    path = _write(tmp_path / "exec.kubeconfig", _exec_kubeconfig(lab, tmp_path, "./plugin.sh"))  # relative to the file
    conn = k8s_client.load_kubeconfig(path)
    assert os.path.isabs(plugin)
    private = conn.private_dir()
    key_files = [os.path.join(private, f) for f in os.listdir(private)]
    assert key_files and all(stat.S_IMODE(os.stat(f).st_mode) == 0o600 for f in key_files)
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o700
    assert "default" in _namespaces(conn)  # a namespace list needs the certificate: not anonymous
    conn.close()
    assert not os.path.exists(private)


def test_missing_exec_command_fails_naming_the_user_entry(lab, tmp_path):
    path = _write(tmp_path / "exec.kubeconfig", _exec_kubeconfig(lab, tmp_path, "eksa-no-such-credential-plugin"))
    with pytest.raises(k8s_client.K8sError) as err:
        k8s_client.load_kubeconfig(path)
    assert "user 'exec-user'" in str(err.value) and "eksa-no-such-credential-plugin" in str(err.value)
    assert "cannot run" in str(err.value)


def test_in_cluster_service_account(lab, tmp_path):
    admin_conn = k8s_client.load_kubeconfig(lab["LAB_BOOTSTRAP_KUBECONFIG"])
    admin = k8s_client.K8sClient(admin_conn)
    try:
        admin.apply({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "wt-in-cluster", "namespace": "default"}})
        admin.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "wt-in-cluster-read"},
                     "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]})
        admin.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                     "metadata": {"name": "wt-in-cluster-read"},
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "wt-in-cluster-read"},
                     "subjects": [{"kind": "ServiceAccount", "name": "wt-in-cluster", "namespace": "default"}]})
        res = admin.resource("v1", "ServiceAccount")
        token = admin.request("POST", res.path("wt-in-cluster", "default", "token"),
                              body={"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                    "spec": {"expirationSeconds": 600}})["status"]["token"]
    finally:
        admin.close()
        admin_conn.close()
    token_file = _write(tmp_path / "token", token)
    server = _kubeconfig(lab)["clusters"][0]["cluster"]["server"]
    port = server.rsplit(":", 1)[1]
    env = {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": port}
    conn = k8s_client.connection_from_params({}, environ=env, token_file=token_file, ca_file=_pki(lab, "ca.crt"))
    assert conn.source == "the in-cluster service account"
    client = k8s_client.K8sClient(conn)
    try:
        assert isinstance(client.list("v1", "ConfigMap", namespace="default"), list)  # allowed to the account by its role
        with pytest.raises(k8s_client.K8sError, match='system:serviceaccount:default:wt-in-cluster'):
            client.list("v1", "Namespace")  # not allowed: the requests carry the account's token, not another identity
    finally:
        client.close()
    conn.close()


def test_merged_kubeconfig_variable_reads_every_file(lab, tmp_path):
    data = _kubeconfig(lab)
    ca = base64.b64decode(data["clusters"][0]["cluster"].pop("certificate-authority-data"))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "ca.crt").write_bytes(ca)
    data["clusters"][0]["cluster"]["certificate-authority"] = "ca.crt"  # relative to its own file
    first = _write(tmp_path / "a" / "clusters", {"clusters": data["clusters"], "users": data["users"]})
    second = _write(tmp_path / "contexts", {"contexts": data["contexts"] + [{"name": "dead", "context": {"cluster": "nowhere"}}],
                                            "current-context": data["current-context"]})
    env = {"KUBECONFIG": os.pathsep.join([str(tmp_path / "missing"), first, second])}
    conn = k8s_client.connection_from_params({}, environ=env)
    assert "default" in _namespaces(conn)
    conn.close()
    conn = k8s_client.connection_from_params({"kubeconfig": os.pathsep.join([first, second])}, environ={})
    assert "default" in _namespaces(conn)
    conn.close()


def test_explicit_kubeconfig_wins_over_the_environment(lab, run_module, monkeypatch):
    monkeypatch.setenv("K8S_AUTH_HOST", "https://127.0.0.1:%d" % _closed_port())
    monkeypatch.setenv("K8S_AUTH_API_KEY", "not-a-token")
    result, failed = run_module(capi_cluster_info, {"name": "none", "kubeconfig": lab["LAB_BOOTSTRAP_KUBECONFIG"]})
    assert not failed and result["reachable"], result
    result, failed = run_module(k8s_apply, {"kubeconfig": lab["LAB_BOOTSTRAP_KUBECONFIG"], "definition": {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "wt-precedence", "namespace": "default"}}})
    assert not failed, result
    # with no kubeconfig given, the environment's host is what the task meant
    monkeypatch.delenv("KUBECONFIG", raising=False)
    result, failed = run_module(capi_cluster_info, {"name": "none"})
    assert not result["reachable"] and "cannot reach" in result["msg"]


def test_kubeconfig_as_a_dict_and_a_context(lab, run_module):
    result, failed = run_module(capi_cluster_info, {"name": "none", "kubeconfig": _kubeconfig(lab)})
    assert not failed and result["reachable"], result


def test_insecure_skip_tls_verify_is_read_as_kubectl_reads_it(lab, tmp_path):
    data = _kubeconfig(lab)
    data["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = "false"
    with pytest.raises(k8s_client.K8sError, match="insecure-skip-tls-verify must be true or false"):
        k8s_client.load_kubeconfig(data=data)
    data["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = False
    conn = k8s_client.load_kubeconfig(data=data)
    assert conn.verify and not conn.warnings
    conn.close()
    del data["clusters"][0]["cluster"]["certificate-authority-data"]
    data["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
    conn = k8s_client.load_kubeconfig(data=data)
    assert not conn.verify and "TLS verification off" in conn.warnings[0]
    assert "default" in _namespaces(conn)
    conn.close()


def test_tls_verification_off_warns_in_the_module(lab, run_module):
    result, failed = run_module(capi_cluster_info, {"name": "none", "kubeconfig": lab["LAB_BOOTSTRAP_KUBECONFIG"],
                                                    "validate_certs": False})
    assert not failed and result["reachable"]
    from ansible.module_utils.common.warnings import get_warning_messages
    assert any("not verified" in w for w in get_warning_messages()), result


def test_proxy_and_tls_server_name_are_honoured(lab):
    data = _kubeconfig(lab)
    port = data["clusters"][0]["cluster"]["server"].rsplit(":", 1)[1]
    closed = "http://127.0.0.1:%d" % _closed_port()
    data["clusters"][0]["cluster"]["proxy-url"] = closed
    conn = k8s_client.load_kubeconfig(data=data)
    with pytest.raises(k8s_client.K8sError, match="cannot reach"):
        _namespaces(conn)  # the request went to the (closed) proxy
    conn.close()
    conn = k8s_client.connection_from_params({"kubeconfig": data, "no_proxy": "127.0.0.1"}, environ={})
    assert "default" in _namespaces(conn)
    conn.close()
    del data["clusters"][0]["cluster"]["proxy-url"]
    data["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:%s" % port
    data["clusters"][0]["cluster"]["tls-server-name"] = "wrong.example"
    conn = k8s_client.load_kubeconfig(data=data)
    with pytest.raises(k8s_client.K8sError, match="TLS"):
        _namespaces(conn)
    conn.close()
    data["clusters"][0]["cluster"]["tls-server-name"] = "kubernetes.default.svc"
    conn = k8s_client.load_kubeconfig(data=data)
    assert "default" in _namespaces(conn)
    conn.close()


@pytest.mark.parametrize("name", ["../kube-system/x", "a/b", "UPPER", "x%2f", ".", "a\n", "a b"])
def test_invalid_names_are_refused_before_any_request(lab, name):
    conn = k8s_client.load_kubeconfig(lab["LAB_BOOTSTRAP_KUBECONFIG"])
    client = k8s_client.K8sClient(conn)
    try:
        client.resource("v1", "ConfigMap")
        before = client.round_trips
        for call in (lambda: client.get("v1", "ConfigMap", name, "default"),
                     lambda: client.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}}),
                     lambda: client.get("v1", "ConfigMap", "ok", name)):
            with pytest.raises(k8s_client.K8sError, match="not a valid Kubernetes"):
                call()
        assert client.round_trips == before
    finally:
        client.close()
        conn.close()


def test_apply_diff_hides_secret_values(lab, run_module):
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "wt-diff", "namespace": "default"},
              "stringData": {"password": "S3cr3t-first", "user": "admin"}}
    args = {"kubeconfig": lab["LAB_BOOTSTRAP_KUBECONFIG"], "definition": secret}
    run_module(k8s_apply, args)
    secret["stringData"]["password"] = "S3cr3t-second"
    for check_mode in (True, False):
        result, failed = run_module(k8s_apply, args, check_mode=check_mode, diff=True)
        assert not failed and result["changed"], result
        text = json.dumps(result)
        for value in ("S3cr3t", base64.b64encode(b"S3cr3t-first").decode()[:8], base64.b64encode(b"admin").decode()):
            assert value not in text
        assert "<hidden, changed>" in result["diff"][0]["after"] and "password" in result["diff"][0]["after"]
    result, failed = run_module(k8s_apply, args, diff=True)
    assert not result["changed"] and "diff" not in result


def test_round_trips_are_counted_and_discovery_is_cached(lab):
    """A fresh client pays /apis once and each group version once; then one request per call."""
    conn = k8s_client.load_kubeconfig(lab["LAB_BOOTSTRAP_KUBECONFIG"])
    client = k8s_client.K8sClient(conn)
    try:
        assert client.round_trips == 0  # no request before the first call
        client.list("v1", "Namespace")
        assert client.round_trips == 3  # /apis, /api/v1, the list
        client.get("v1", "Namespace", "default")
        client.list("v1", "ConfigMap", namespace="default")
        assert client.round_trips == 5  # same group version: no discovery
        client.list("apps/v1", "Deployment", namespace="default")
        assert client.round_trips == 7  # /apis/apps/v1 once, the list
        client.list("apps/v1", "Deployment", namespace="default")
        assert client.round_trips == 8
    finally:
        client.close()
        conn.close()
