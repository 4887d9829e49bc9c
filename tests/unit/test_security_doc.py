"""docs/security.md names the test holding each guarantee: every ``file.py::test_name`` it cites must exist.

A file is ``tests/...`` (from the repository), ``dir/test_x.py`` (under tests/unit/plugins/) or a bare ``test_x.py``
(found under tests/unit); ``::name`` alone continues the last file named (with or without a test).
"""
import glob
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKEN = re.compile(r'`([\w/.-]+\.py)?(?:::(\w+))?')


def _resolve(name):
    if name.startswith('tests/'):
        return os.path.join(REPO, name)
    if '/' in name:
        return os.path.join(REPO, 'tests', 'unit', 'plugins', name)
    found = glob.glob(os.path.join(REPO, 'tests', 'unit', '**', name), recursive=True)
    return found[0] if found else os.path.join(REPO, 'tests', 'unit', name)


def test_every_cited_test_exists():
    with open(os.path.join(REPO, 'docs', 'security.md')) as handle:
        text = handle.read()
    current, missing, cited = None, [], 0
    for match in TOKEN.finditer(text):
        if match.group(1):
            current = match.group(1)
        if not match.group(2):
            continue
        assert current, 'docs/security.md cites ::%s before naming its file' % match.group(2)
        path = _resolve(current)
        cited += 1
        if not os.path.isfile(path):
            missing.append('%s (no file %s)' % (match.group(2), current))
            continue
        with open(path) as handle:
            if not re.search(r'^def %s\(' % re.escape(match.group(2)), handle.read(), re.M):
                missing.append('%s::%s' % (current, match.group(2)))
    assert cited > 20
    assert not missing, 'docs/security.md cites tests that do not exist: %s' % ', '.join(missing)
