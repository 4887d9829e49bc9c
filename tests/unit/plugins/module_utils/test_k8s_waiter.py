"""k8s.waiter (the one wait loop), the auth precedence rules, name checks and the apply diff's Secret masking."""
import pytest

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import apply as k8s_apply
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import client as k8s_client
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import waiter


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_until_reports_changes_once_and_backs_off():
    clock = Clock()
    answers = iter([(False, "0/2"), (False, "0/2"), (False, "1/2"), (True, "2/2")])
    lines = []
    assert waiter.wait_until(lambda: next(answers), 60, "things", progress=lines.append, sleep=1,
                             clock=clock, sleeper=clock.sleep) == "2/2"
    assert lines == ["0/2", "1/2", "2/2"]
    assert clock.sleeps == [0.2, 0.4, 0.8]


def test_wait_until_blocks_on_the_watch_and_times_out_naming_what():
    clock = Clock()
    blocked = []

    def block(seconds):
        blocked.append(seconds)
        clock.now += seconds
    with pytest.raises(waiter.WaitTimeout) as err:
        waiter.wait_until(lambda: (False, "1/3 ready"), 25, "workers of cluster c1", block=block, sleep=10,
                          clock=clock, sleeper=clock.sleep)
    assert str(err.value) == "timed out after 25s waiting for workers of cluster c1: 1/3 ready"
    assert blocked == [10, 10, 5] and not clock.sleeps


def test_retry_returns_the_first_success_and_raises_the_last_failure():
    sleeps = []
    calls = []

    def flaky(attempt):
        calls.append(attempt)
        if attempt < 3:
            raise ValueError("try %d" % attempt)
        return "done"
    assert waiter.retry(flaky, 3, 5, "move", retry_on=(ValueError,), sleeper=sleeps.append) == "done"
    assert calls == [1, 2, 3] and sleeps == [5, 5]
    with pytest.raises(ValueError, match="try 2"):
        waiter.retry(flaky, 2, 1, "move", retry_on=(ValueError,), sleeper=sleeps.append)


def _dep(generation=2, observed=2, replicas=2, updated=2, available=2, total=2, cond="True"):
    return {"metadata": {"generation": generation}, "spec": {"replicas": replicas},
            "status": {"observedGeneration": observed, "updatedReplicas": updated, "availableReplicas": available,
                       "replicas": total, "conditions": [{"type": "Available", "status": cond}]}}


@pytest.mark.parametrize("dep, ready", [
    (_dep(), True),
    (_dep(observed=1), False),  # the controller has not seen the latest spec
    (_dep(updated=1), False),
    (_dep(available=1), False),
    (_dep(total=3), False),  # a replica of the old ReplicaSet is still there
    (_dep(cond="False"), False),
    (None, False),
])
def test_deployment_ready(dep, ready):
    assert waiter.deployment_ready(dep) is ready


def test_explicit_kubeconfig_wins_over_environment_host_and_token():
    env = {"K8S_AUTH_HOST": "https://127.0.0.1:1", "K8S_AUTH_API_KEY": "t", "K8S_AUTH_VERIFY_SSL": "no",
           "K8S_AUTH_KUBECONFIG": "/env/kubeconfig"}
    auth = k8s_client.resolve_auth({"kubeconfig": "/task/kubeconfig"}, env)
    assert auth == {"kubeconfig": "/task/kubeconfig", "validate_certs": False}
    assert k8s_client.resolve_auth({"context": "x"}, env)["context"] == "x"
    assert "host" not in k8s_client.resolve_auth({"context": "x"}, env)
    auth = k8s_client.resolve_auth({}, env)
    assert auth["host"] == "https://127.0.0.1:1" and auth["api_key"] == "t" and auth["kubeconfig"] == "/env/kubeconfig"
    assert k8s_client.resolve_auth({"host": "https://h"}, env) == {"host": "https://h", "validate_certs": False}
    with pytest.raises(k8s_client.K8sError, match="K8S_AUTH_VERIFY_SSL"):
        k8s_client.resolve_auth({}, {"K8S_AUTH_VERIFY_SSL": "maybe"})


@pytest.mark.parametrize("name", ["a", "cluster-1", "x.y", "a" * 253])
def test_valid_names(name):
    assert k8s_client.check_name(name) == name


@pytest.mark.parametrize("name", ["", "..", "a/b", "a%2fb", "A", "-a", "a\n", "a" * 254, None])
def test_invalid_names(name):
    with pytest.raises(k8s_client.K8sError):
        k8s_client.check_name(name)


def test_rbac_names_may_hold_colons_and_paths_are_escaped():
    assert k8s_client.check_name("system:controller:x", "ClusterRole")
    res = k8s_client.Resource("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False)
    assert res.path("system:controller:x") == "/apis/rbac.authorization.k8s.io/v1/clusterroles/system%3Acontroller%3Ax"
    with pytest.raises(k8s_client.K8sError):
        k8s_client.Resource("v1", "ConfigMap", "configmaps", True).path("x", "../kube-system")


def test_insecure_skip_tls_verify_must_be_a_boolean():
    assert k8s_client._go_bool(None, "w", "f") is False
    assert k8s_client._go_bool(True, "w", "f") is True
    for value in ("false", "true", 0, 1):
        with pytest.raises(k8s_client.K8sError, match="must be true or false"):
            k8s_client._go_bool(value, "kubeconfig k: cluster 'c'", "insecure-skip-tls-verify")


def test_merge_first_file_wins(tmp_path):
    first = tmp_path / "a"
    second = tmp_path / "b"
    first.write_text("clusters:\n- name: c\n  cluster: {server: 'https://one', certificate-authority: ca.crt}\n"
                     "current-context: x\n")
    second.write_text("clusters:\n- name: c\n  cluster: {server: 'https://two'}\n- name: d\n  cluster: {server: 'https://three'}\n"
                      "current-context: y\n")
    merged, found = k8s_client.merge_kubeconfigs([str(first), str(tmp_path / "missing"), str(second)])
    assert found == [str(first), str(second)]
    assert [c["cluster"]["server"] for c in merged["clusters"]] == ["https://one", "https://three"]
    assert merged["clusters"][0]["cluster"]["certificate-authority"] == str(tmp_path / "ca.crt")
    assert merged["current-context"] == "x"


def test_diff_hides_secret_values_and_marks_changed_ones():
    before = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "resourceVersion": "1"},
              "data": {"a": "b2xk", "b": "c2FtZQ=="}}
    after = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "resourceVersion": "2"},
             "data": {"a": "bmV3", "b": "c2FtZQ==", "c": "YWRkZWQ="}}
    entry = k8s_apply.diff_entry(before, after, "Secret default/s")
    text = entry["before"] + entry["after"]
    assert "b2xk" not in text and "bmV3" not in text and "c2FtZQ" not in text and "YWRkZWQ" not in text
    assert "a: <hidden, changed>" in entry["after"] and "b: <hidden>" in entry["after"] and "c: <hidden, changed>" in entry["after"]
    assert "resourceVersion" not in text
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "visible"}}
    assert "visible" in k8s_apply.diff_entry(None, cm, "ConfigMap c")["after"]
