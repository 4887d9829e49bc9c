"""The whole create with `-e bundle=https://...`: the lab's Bundles manifest served over HTTPS by a server on 127.0.0.1
with a certificate of the lab CA (given with -e bundle_ca_path), every reference in it relative to the manifest (the EKS-D
release as an `embed:///` name). The cluster context reads the manifest once, resolves the references against its URL and
downloads each manifest once; no later phase reads the bundle again.
"""
import http.server
import os
import re
import shutil
import ssl
import threading
from collections import Counter
from pathlib import Path

import pytest
import yaml

from test_create_cluster import kube, recap_changed, run_demo, vms_of  # pylint: disable=import-error

pytestmark = pytest.mark.lab
NAME = "https1"


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests_seen = None

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.requests_seen[self.path] += 1
        return super().do_GET()


def _relative_bundle(lab, root):
    """Copy the lab's bundle folder to root, every absolute reference made relative (the EKS-D one embed:///)."""
    source = Path(lab["LAB_BUNDLE"]).parent
    shutil.copytree(source, root, dirs_exist_ok=True)
    text = (source / "bundles.yaml").read_text()
    text = text.replace("uri: %s/" % source, "uri: ")
    docs = list(yaml.safe_load_all(text))
    for doc in docs:
        for vb in doc["spec"]["versionsBundles"]:
            url = vb["eksD"]["manifestUrl"]
            if url.startswith(str(source) + "/"):
                vb["eksD"]["manifestUrl"] = "embed:///eksd/" + os.path.basename(url)
                shutil.copy(url, root / os.path.basename(url))  # embed:/// names a file next to the manifest
    (root / "bundles.yaml").write_text(yaml.safe_dump_all(docs))
    return root


@pytest.fixture(scope="module")
def https_bundle(lab, tmp_path_factory):
    root = _relative_bundle(lab, tmp_path_factory.mktemp("served"))
    assert str(Path(lab["LAB_BUNDLE"]).parent) not in (root / "bundles.yaml").read_text()
    seen = Counter()
    handler = type("Handler", (_Handler,), {"requests_seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(root)))
    pki = Path(lab["LAB_STATE_DIR"]) / "pki"  # the lab CA's certificate for 127.0.0.1 (the vCenter's)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(pki / "vcsim.crt"), str(pki / "vcsim.key"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "https://127.0.0.1:%d/bundles.yaml" % server.server_address[1], seen
    server.shutdown()


def test_create_with_a_bundle_over_https(lab, https_bundle, tmp_path):
    url, seen = https_bundle
    extra = ["-e", "bundle=%s" % url, "-e", "bundle_ca_path=%s" % lab["LAB_VSPHERE_CA_FILE"]]
    first = run_demo(lab, tmp_path, extra=extra, name=NAME)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    assert "🎉 Cluster created!" in first.stdout
    # read once, each referenced manifest downloaded once, nothing else asked for
    assert seen["/bundles.yaml"] == 1, seen
    assert seen["/kubernetes-1-33-eks-1.yaml"] == 1, seen
    assert all(count == 1 for count in seen.values()), seen
    assert any(path.endswith("/eksa-components.yaml") for path in seen), seen
    cache = tmp_path / NAME / "generated" / "bundle"
    files = sorted(cache.iterdir())
    assert files and all(oct(f.stat().st_mode & 0o777) == "0o600" for f in files)
    assert oct(cache.stat().st_mode & 0o777) == "0o700"
    wl = kube(lab, lab["LAB_WORKLOAD_KUBECONFIG"], "get", "machines.cluster.x-k8s.io", "-n", "eksa-system")
    assert len([m for m in wl["items"] if m["metadata"]["name"].startswith(NAME + "-")]) == 7
    assert len(vms_of(lab, NAME)) == 7
    # a second run reads the manifest once more (the context is resolved once per run) and changes nothing
    again = run_demo(lab, tmp_path, extra=extra, name=NAME)
    assert again.returncode == 0, again.stdout[-3000:]
    assert recap_changed(again.stdout) == 0, again.stdout[-3000:]
    assert seen["/bundles.yaml"] == 2, seen


def test_untrusted_bundle_server_says_how_to_fix(lab, https_bundle, tmp_path):
    url, dummy = https_bundle
    generated = run_demo(lab, tmp_path, extra=["--tags", "generate"], name="https2")
    assert generated.returncode == 0, generated.stdout[-3000:]
    failed = run_demo(lab, tmp_path, extra=["-e", "bundle=%s" % url, "--tags", "validate"], name="https2")
    assert failed.returncode != 0
    assert re.search(r"cannot download Bundles manifest https://127\.0\.0\.1:\d+/bundles\.yaml", failed.stdout), failed.stdout[-3000:]
    assert "bundle_ca_path" in failed.stdout
