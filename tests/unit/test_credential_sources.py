"""Credentials come from one place: spec/context.py (its variable tables) and the Kubernetes client (K8S_AUTH_*).

No other plugin reads os.environ for a credential, opens a file with the builtin open(), or names a credential
variable of its own (vsphere/args.py and kind_bootstrap take the names from the context's tables).
"""
import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(REPO, 'plugins')
# what may read the environment, and why
ENVIRON_ALLOWED = {
    'plugins/module_utils/spec/context.py': 'the credentials (vSphere, registry mirror)',
    'plugins/module_utils/k8s/client.py': 'K8S_AUTH_* and KUBECONFIG, as kubernetes.core reads them',
    'plugins/module_utils/tools/cli.py': 'PATH, to find the tools',
    'plugins/module_utils/vsphere/trust.py': 'VMWARE_VALIDATE_CERTS (a setting, not a credential)',
}
OPEN_ALLOWED = {'plugins/module_utils/k8s/client.py'}  # the kubeconfig and exec plugin files the user names
CREDENTIAL_NAME = re.compile(r'["\'](EKSA_VSPHERE_\w+|VMWARE_USER|VMWARE_PASSWORD|REGISTRY_USERNAME|REGISTRY_PASSWORD)["\']')


def _sources():
    for top, dummy, names in os.walk(PLUGINS):
        for name in names:
            if name.endswith('.py'):
                path = os.path.join(top, name)
                rel = os.path.relpath(path, REPO)
                with open(path) as handle:
                    yield rel, handle.read()


def _code(text):
    """The text without the DOCUMENTATION/EXAMPLES/RETURN blocks (they name the variables for the user)."""
    return re.sub(r'(DOCUMENTATION|EXAMPLES|RETURN) = r?"""(.|\n)*?"""', '', text)


@pytest.mark.parametrize('rel,text', list(_sources()), ids=lambda v: v if isinstance(v, str) and v.endswith('.py') else '')
def test_no_credential_lookup_outside_the_context(rel, text):
    code = _code(text)
    if rel != 'plugins/module_utils/common/files.py':
        assert not re.search(r'(?<![.\w])open\(', code) or rel in OPEN_ALLOWED, '%s opens a file itself: use common/files.py' % rel
    if 'os.environ' in code:
        assert rel in ENVIRON_ALLOWED, '%s reads os.environ: credentials come from spec/context.py' % rel
    if rel != 'plugins/module_utils/spec/context.py':
        assert not CREDENTIAL_NAME.findall(code), '%s names credential variables: use spec/context.py\'s tables' % rel
