# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""The collection tarball holds collection content only: never what `make demo` or a user leaves in the folder.

The tracked files are copied to a temporary folder, a demo-like folder (private SSH key, admin kubeconfig, Secrets
manifest with a password) and stray files are added, and `ansible-galaxy collection build` packs it: every member
must be a tracked file, and none may hold a private key, a kubeconfig or a Secret.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GALAXY = os.path.join(os.path.dirname(sys.executable), 'ansible-galaxy')
PRIVATE_KEY = re.compile(r'-----BEGIN [A-Z ]*PRIVATE KEY-----')
FAKE_KEY = ('-----BEGIN OPENSSH ' + 'PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH ' + 'PRIVATE KEY-----\n')
KUBECONFIG = {
    'apiVersion': 'v1', 'kind': 'Config', 'current-context': 'admin@demo',
    'clusters': [{'name': 'demo', 'cluster': {'server': 'https://127.0.0.1:6443'}}],
    'users': [{'name': 'admin', 'user': {'client-key-data': 'S2V5', 'client-certificate-data': 'Q2VydA=='}}],
    'contexts': [{'name': 'admin@demo', 'context': {'cluster': 'demo', 'user': 'admin'}}],
}
SECRET = {'apiVersion': 'v1', 'kind': 'Secret', 'metadata': {'name': 'demo-vsphere-credentials'},
          'stringData': {'password': 'Leak-Me-Not-1'}}


def _tracked():
    if not os.path.isdir(os.path.join(REPO, '.git')) and not os.path.isfile(os.path.join(REPO, '.git')):
        pytest.skip('not a git checkout: the tracked files are unknown')
    out = subprocess.run(['git', 'ls-files', '-z'], cwd=REPO, capture_output=True, check=True).stdout
    return [p for p in out.decode().split('\0') if p and os.path.isfile(os.path.join(REPO, p))]


def _write(root, rel, text, mode=0o600):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        handle.write(text)
    os.chmod(path, mode)


def _private_content(name, data):
    """Why a member must not be packed, or None."""
    text = data.decode('utf-8', 'replace')
    if PRIVATE_KEY.search(text):
        return 'a private key'
    if name.endswith(('.yml', '.yaml', '.kubeconfig', '.json')) or 'kubeconfig' in name:
        try:
            docs = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            return None
        for doc in docs:
            if isinstance(doc, dict) and doc.get('kind') == 'Config' and doc.get('users'):
                return 'a kubeconfig'
            if isinstance(doc, dict) and doc.get('kind') == 'Secret':
                return 'a Secret'
    return None


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    tracked = _tracked()
    root = str(tmp_path_factory.mktemp('collection'))
    for rel in tracked:
        dest = os.path.join(root, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copy2(os.path.join(REPO, rel), dest)
    # what `make demo` leaves (demo/) and what a user running the README from the project folder leaves (mgmt/)
    _write(root, 'demo/id_ed25519', FAKE_KEY)
    _write(root, 'demo/id_ed25519.pub', 'ssh-ed25519 AAAA eksa-demo\n', 0o644)
    _write(root, 'demo/demo.yaml', 'apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\n')
    _write(root, 'demo/demo/demo-eks-a-cluster.kubeconfig', yaml.safe_dump(KUBECONFIG))
    _write(root, 'demo/demo/generated/demo.kind.kubeconfig', yaml.safe_dump(KUBECONFIG))
    _write(root, 'demo/demo/generated/secrets.yaml', yaml.safe_dump(SECRET))
    _write(root, 'mgmt/mgmt-eks-a-cluster.kubeconfig', yaml.safe_dump(KUBECONFIG))
    _write(root, 'mgmt.yaml', 'apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\n')
    _write(root, 'notes.txt', 'a stray file\n')
    _write(root, 'scratch/kubeconfig', yaml.safe_dump(KUBECONFIG))
    _write(root, 'tests/lab/secrets.yaml', yaml.safe_dump(SECRET))
    out = str(tmp_path_factory.mktemp('out'))
    proc = subprocess.run([GALAXY, 'collection', 'build', '--output-path', out, root], capture_output=True, text=True,
                          check=False, env=dict(os.environ, ANSIBLE_NOCOLOR='1'))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [name] = [f for f in os.listdir(out) if f.endswith('.tar.gz')]
    return os.path.join(out, name), set(tracked)


def test_every_member_is_tracked_collection_content(tarball):
    path, tracked = tarball
    with tarfile.open(path) as tar:
        files = [m.name for m in tar.getmembers() if m.isfile()]
    extra = sorted(set(files) - tracked - {'MANIFEST.json', 'FILES.json'})
    assert not extra, 'not tracked collection content: %s' % extra
    for must in ('galaxy.yml',):
        assert must not in files
    for must in ('README.md', 'meta/runtime.yml', 'plugins/modules/cluster_spec.py', 'playbooks/create_cluster.yml',
                 'roles/cluster_spec/tasks/main.yml', 'plugins/callback/eksa.py'):
        assert must in files, must
    assert not [f for f in files if f.startswith(('demo/', 'mgmt/', 'tests/lab/', 'bench/', '.'))]


def test_no_private_key_kubeconfig_or_secret_in_the_tarball(tarball):
    path, dummy = tarball
    found = []
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            if member.isfile():
                why = _private_content(member.name, tar.extractfile(member).read())
                if why:
                    found.append('%s: %s' % (member.name, why))
    assert not found, found


def test_the_check_finds_what_it_looks_for():
    """The content check is not vacuous: it recognizes each kind of private file the demo leaves."""
    assert _private_content('demo/id_ed25519', FAKE_KEY.encode()) == 'a private key'
    assert _private_content('x.kubeconfig', yaml.safe_dump(KUBECONFIG).encode()) == 'a kubeconfig'
    assert _private_content('secrets.yaml', yaml.safe_dump(SECRET).encode()) == 'a Secret'
    assert _private_content('roles/x/tasks/main.yml', b'- name: a task\n  debug: {}\n') is None
