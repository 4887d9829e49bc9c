# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""diagnostics.collect against an in-memory API server: what is written, what is summarized, what is never written."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import stat
import sys

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import diagnostics
from ansible_collections.eksa.anywhere.plugins.module_utils.k8s.client import K8sError

sys.path.insert(0, os.path.dirname(__file__))
from test_capi_status import FakeClient  # noqa: E402  pylint: disable=wrong-import-position


class DiagClient(FakeClient):
    def __init__(self, objects=(), logs=None):
        super().__init__(objects)
        self.logs = logs or {}
        self.log_requests = []

    def request(self, method, path, body=None, params=None, **kwargs):
        self.log_requests.append((path, dict(params or {})))
        key = (path.split("/")[-2], (params or {}).get("container"))
        if key not in self.logs:
            raise K8sError("container %s is waiting to start: ContainerCreating" % key[1], status=400)
        return {"raw": self.logs[key]}


def _obj(api, kind, name, ns, ready=None, labels=None, **extra):
    obj = {"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": ns, "labels": labels or {}}}
    if ready is not None:
        obj["status"] = {"conditions": [{"type": "Ready", "status": "True" if ready else "False", "message": "waiting for node"}]}
    obj.update(extra)
    return obj


def _world(logs=None):
    return DiagClient([
        _obj("cluster.x-k8s.io/v1beta1", "Cluster", "mgmt", "eksa-system", ready=True),
        _obj("cluster.x-k8s.io/v1beta1", "Machine", "mgmt-md-0-abc", "eksa-system", ready=False,
             labels={"cluster.x-k8s.io/cluster-name": "mgmt"}),
        _obj("cluster.x-k8s.io/v1beta1", "Machine", "other-md-0-xyz", "eksa-system", ready=False,
             labels={"cluster.x-k8s.io/cluster-name": "other"}),
        _obj("v1", "Secret", "mgmt-kubeconfig", "eksa-system", data={"value": "c2VjcmV0LXRva2Vu"}),
        _obj("v1", "Event", "ev1", "eksa-system", involvedObject={"kind": "Machine", "name": "mgmt-md-0-abc"},
             message="waiting for VM", type="Normal", lastTimestamp="2026-11-24T10:00:00Z"),
        _obj("clusterctl.cluster.x-k8s.io/v1alpha3", "Provider", "cluster-api", "capi-system",
             providerName="cluster-api", type="CoreProvider", version="v1.10.2"),
        _obj("apps/v1", "Deployment", "capi-controller-manager", "capi-system", status={"replicas": 1, "availableReplicas": 0}),
        _obj("v1", "Pod", "capi-controller-manager-1", "capi-system", spec={"containers": [{"name": "manager"}]}),
        _obj("v1", "Pod", "capi-controller-manager-2", "capi-system", spec={"containers": [{"name": "manager"}]}),
    ], logs=logs)


def test_collect_writes_private_files_and_summarizes_only_this_cluster(tmp_path):
    folder = tmp_path / "diag"
    os.makedirs(str(folder), 0o700)
    summary = diagnostics.collect(_world(), "mgmt", "eksa-system", str(folder))
    assert "Machine mgmt-md-0-abc: Ready=False waiting for node" in summary
    assert not any("other-md-0" in line for line in summary)
    assert "provider Deployment capi-system/capi-controller-manager: 0/1 available" in summary
    for f in folder.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f
    assert "other-md-0" not in (folder / "machine.yaml").read_text()
    assert (folder / "summary.txt").read_text().splitlines() == summary


def test_secret_data_is_never_written(tmp_path):
    diagnostics.collect(_world(), "mgmt", "eksa-system", str(tmp_path))
    assert (tmp_path / "secrets.txt").read_text() == "mgmt-kubeconfig\n"
    for f in tmp_path.iterdir():
        assert "c2VjcmV0LXRva2Vu" not in f.read_text(), f


def test_provider_logs_where_reachable_and_why_not_elsewhere(tmp_path):
    client = _world(logs={("capi-controller-manager-1", "manager"): "E1124 reconcile failed: no VM\n"})
    diagnostics.collect(client, "mgmt", "eksa-system", str(tmp_path))
    logs = (tmp_path / "provider-logs.txt").read_text()
    assert "==> capi-system/capi-controller-manager-1 [manager] <==\nE1124 reconcile failed: no VM\n" in logs
    assert "capi-controller-manager-2 [manager] <==\n(logs not reachable: container manager is waiting to start" in logs
    assert all(params["tailLines"] == diagnostics.LOG_TAIL_LINES for dummy, params in client.log_requests)
    deps = json.loads((tmp_path / "provider-deployments.json").read_text())
    assert deps == [{"name": "capi-system/capi-controller-manager", "replicas": 1, "available": 0, "conditions": None}]


def test_all_ready_says_so(tmp_path):
    client = DiagClient([_obj("cluster.x-k8s.io/v1beta1", "Cluster", "mgmt", "eksa-system", ready=True)])
    assert diagnostics.collect(client, "mgmt", "eksa-system", str(tmp_path)) == []
    assert (tmp_path / "summary.txt").read_text() == "every object reports Ready\n"
    assert (tmp_path / "provider-logs.txt").read_text() == "(no provider pods)\n"
