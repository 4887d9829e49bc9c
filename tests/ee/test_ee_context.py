# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""The execution environment's build context (`make ee-context`: ansible-builder create) installs what a job needs.

Checked on the context ansible-builder generated from execution-environment.yml, without a container engine:
ansible-core and ansible-runner at the project's pins, this collection from its own build (the tarball in the
context is the one `make build` made, with the requirements its meta/execution-environment.yml names — ansible-builder's
own introspection script, run here on the installed tarball, must list them), and clusterctl + kubectl built from
their Go modules at the versions the lab pins (tests/lab/lab.py), installed on PATH in the final image.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONTEXT = Path(os.environ.get("EE_CONTEXT") or ROOT / ".build" / "ee-context")


def _lab_pin(name):
    text = (ROOT / "tests" / "lab" / "lab.py").read_text()
    return re.search(r'^%s = "([^"]+)"' % name, text, re.M).group(1)


def _requirement_pin(name):
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        if line.startswith(name + "=="):
            return line
    raise AssertionError("%s is not pinned in requirements-dev.txt" % name)


@pytest.fixture(scope="module")
def containerfile():
    path = CONTEXT / "Containerfile"
    if not path.is_file():
        pytest.fail("no EE build context at %s: run `make ee-context`" % CONTEXT)
    return path.read_text()


@pytest.fixture(scope="module")
def stages(containerfile):
    """Containerfile lines per stage name (base, galaxy, builder, final)."""
    out, current = {}, None
    for line in containerfile.splitlines():
        m = re.match(r"FROM \S+ AS (\w+)", line)
        if m:
            current = m.group(1)
            out[current] = []
        elif current:
            out[current].append(line)
    assert set(out) >= {"base", "galaxy", "builder", "final"}, sorted(out)
    return out


def _galaxy_version():
    return yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]


def test_ansible_core_and_runner_pinned_as_the_project(containerfile):
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]+)"', containerfile, re.M).group(1).split()
    assert _requirement_pin("ansible-core") in refs
    assert any(r.startswith("ansible-runner==") for r in refs), refs
    assert "$ANSIBLE_INSTALL_REFS" in containerfile


def test_collection_tarball_is_this_collections_build():
    version = _galaxy_version()
    tarball = CONTEXT / "_build" / "collections" / ("eksa-anywhere-%s.tar.gz" % version)
    assert tarball.is_file(), "the context carries no eksa-anywhere-%s.tar.gz (galaxy.yml's version)" % version
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
        manifest = yaml.safe_load(tar.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["namespace"] == "eksa"
    assert manifest["collection_info"]["name"] == "anywhere"
    assert manifest["collection_info"]["version"] == version
    for needed in ("meta/execution-environment.yml", "requirements.txt", "bindep.txt", "meta/runtime.yml"):
        assert needed in names, needed
    reqs = yaml.safe_load((CONTEXT / "_build" / "requirements.yml").read_text())
    assert reqs["collections"] == [{"name": "/build/collections/" + tarball.name, "type": "file"}]


def test_galaxy_stage_installs_the_collection(stages):
    galaxy = "\n".join(stages["galaxy"])
    assert "COPY _build /build" in galaxy
    assert "ansible-galaxy collection install" in galaxy and "-r requirements.yml" in galaxy
    final = "\n".join(stages["final"])
    assert "COPY --from=galaxy /usr/share/ansible /usr/share/ansible" in final


def test_introspection_finds_the_collections_python_requirements(tmp_path):
    """ansible-builder's introspect script, on the installed tarball, lists requirements.txt's packages."""
    version = _galaxy_version()
    tarball = CONTEXT / "_build" / "collections" / ("eksa-anywhere-%s.tar.gz" % version)
    coll = tmp_path / "ansible_collections" / "eksa" / "anywhere"
    coll.mkdir(parents=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(coll, filter="data")
    out_pip, out_bindep = tmp_path / "pip.txt", tmp_path / "bindep.txt"
    subprocess.run([sys.executable, str(CONTEXT / "_build" / "scripts" / "introspect.py"), "introspect",
                    str(tmp_path), "--write-pip", str(out_pip), "--write-bindep", str(out_bindep)],
                   check=True, capture_output=True, text=True)
    pip = out_pip.read_text()
    wanted = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    # ansible-builder leaves out what ansible-core itself brings (PyYAML, Jinja2...): its EXCLUDE_REQUIREMENTS
    sys.path.insert(0, str(CONTEXT / "_build" / "scripts"))
    try:
        from introspect import EXCLUDE_REQUIREMENTS  # pylint: disable=import-error
    finally:
        sys.path.pop(0)
    for req in filter(None, wanted):
        name = re.split(r"[<>=!~ ]", req)[0]
        if name.lower() in EXCLUDE_REQUIREMENTS:
            continue
        assert re.search(r"^%s\b" % re.escape(name), pip, re.M | re.I), (name, pip)
    assert "openssh" in out_bindep.read_text()


def test_clusterctl_and_kubectl_built_at_the_supported_versions(stages):
    builder = "\n".join(stages["builder"])
    clusterctl = _lab_pin("CLUSTERCTL_VERSION")
    k8s = _lab_pin("K8S_VERSION")
    assert "go install" in builder and "sigs.k8s.io/cluster-api/cmd/clusterctl@%s" % clusterctl in builder
    assert "version.gitVersion=%s" % clusterctl in builder
    assert "k8s.io/kubernetes/cmd/kubectl" in builder and "component-base/version.gitVersion=%s" % k8s in builder
    gomod = (CONTEXT / "_build" / "go-k8s" / "go.mod").read_text()
    assert re.search(r"^require k8s.io/kubernetes %s$" % re.escape(k8s), gomod, re.M)
    assert (CONTEXT / "_build" / "go-k8s" / "go.sum").is_file()
    final = "\n".join(stages["final"])
    assert "COPY --from=builder /output/ /output/" in final
    install = [line for line in stages["final"] if "/usr/local/bin" in line]
    assert install and "clusterctl" in install[0] and "kubectl" in install[0]
    # installed before the final stage removes /output
    assert final.index(install[0]) < final.index("RUN rm -rf /output")


def test_no_kind_and_no_registry_host_named():
    """An EE has no container engine (no kind); the base image is named by its short name only."""
    ee = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    assert ee["version"] == 3
    base = ee["images"]["base_image"]["name"]
    assert "/" not in base.split(":")[0] or "." not in base.split("/")[0], base
    assert "kind" not in (CONTEXT / "Containerfile").read_text().replace("kind:", "")
