"""meta/runtime.yml's action groups match the doc fragments the modules use; stated versions match requirements.txt."""
import glob
import os
import re

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the action group of the modules whose options come from a shared doc fragment (module_defaults set them once)
GROUP_OF_FRAGMENT = {'eksa.anywhere.k8s_auth': 'kubernetes'}


def _modules_using(fragment):
    found = []
    for path in sorted(glob.glob(os.path.join(REPO, 'plugins', 'modules', '*.py'))):
        with open(path) as handle:
            if re.search(r'^\s*-\s*%s\s*$' % re.escape(fragment), handle.read(), re.M):
                found.append(os.path.basename(path)[:-3])
    return found


def test_every_module_with_a_shared_fragment_is_in_its_action_group():
    with open(os.path.join(REPO, 'meta', 'runtime.yml')) as handle:
        groups = yaml.safe_load(handle)['action_groups']
    for fragment, group in GROUP_OF_FRAGMENT.items():
        users = _modules_using(fragment)
        assert 'upgrade_plan' in users and 'k8s_apply' in users
        assert sorted(users) == sorted(groups[group]), (fragment, group)


def test_the_kubernetes_minimum_version_is_the_requirements_one():
    with open(os.path.join(REPO, 'requirements.txt')) as handle:
        required = re.search(r'^kubernetes>=([\d.]+)', handle.read(), re.M).group(1)
    with open(os.path.join(REPO, 'plugins', 'doc_fragments', 'k8s_auth.py')) as handle:
        stated = re.search(r'kubernetes \(the Python client\) >= ([\d.]+)', handle.read()).group(1)
    assert stated == required
