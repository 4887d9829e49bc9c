"""The import rules each plugins/module_utils/<package>/__init__.py states hold, and the imports are acyclic.

A package's docstring says ``May import a, b and c`` (or ``Imports nothing from the sibling packages``); a module
allowed more says so by name: ```name`` (...) may import x and y``.  The rules are read from the docstrings, the
imports from the sources (ast), so the documentation and the code cannot drift apart.
"""
import ast
import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE = os.path.join(REPO, 'plugins', 'module_utils')
PREFIX = 'ansible_collections.eksa.anywhere.plugins.module_utils.'
PACKAGES = sorted(d for d in os.listdir(BASE) if os.path.isfile(os.path.join(BASE, d, '__init__.py')))


def _names(text):
    return set(n for n in re.split(r',\s*|\s+and\s+', text.strip()) if n)


def rules(package):
    """(packages the package may import, {module: extra packages it may import})."""
    with open(os.path.join(BASE, package, '__init__.py')) as handle:
        doc = ast.get_docstring(ast.parse(handle.read())) or ''
    doc = ' '.join(doc.split())
    match = re.search(r'\bMay import ([\w ,]+?)(?: only)?\s*[.(;]', doc)
    if match:
        allowed = _names(match.group(1))
    else:
        assert 'Imports nothing from the sibling packages' in doc, '%s/__init__.py states no import rule' % package
        allowed = set()
    extra = dict((m.group(1), _names(m.group(2)))
                 for m in re.finditer(r'``(\w+)``(?: \([^)]*\))? may import ([\w ,]+?)\s*[.;(]', doc))
    unknown = (allowed | set().union(*extra.values())) - set(PACKAGES) if extra else allowed - set(PACKAGES)
    assert not unknown, '%s/__init__.py names unknown packages %s' % (package, sorted(unknown))
    return allowed, extra


def imports(path):
    """The module_utils modules ``path`` imports, as 'package.module' (or 'package' for the package itself)."""
    with open(path) as handle:
        tree = ast.parse(handle.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(PREFIX):
                rest = node.module[len(PREFIX):]
                if '.' in rest:
                    found.add(rest)
                else:  # from ...module_utils.<package> import <module>
                    found.update('%s.%s' % (rest, alias.name) for alias in node.names)
            elif node.module + '.' == PREFIX:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name[len(PREFIX):] for a in node.names if a.name.startswith(PREFIX))
    return found


def _modules():
    for package in PACKAGES:
        for name in sorted(os.listdir(os.path.join(BASE, package))):
            if name.endswith('.py') and name != '__init__.py':
                yield package, name[:-3], os.path.join(BASE, package, name)


@pytest.mark.parametrize('package', PACKAGES)
def test_each_package_imports_only_what_its_docstring_allows(package):
    allowed, extra = rules(package)
    wrong = []
    for pkg, module, path in _modules():
        if pkg != package:
            continue
        for target in sorted(imports(path)):
            other = target.split('.')[0]
            if other != package and other not in allowed | extra.get(module, set()):
                wrong.append('%s/%s.py imports %s' % (package, module, target))
    assert not wrong, 'against %s/__init__.py: %s' % (package, '; '.join(wrong))


def test_the_exceptions_are_imported_by_no_module_utils_module():
    """A module allowed more (common.module_support) is glue for the modules: nothing below them imports it."""
    glue = set('%s.%s' % (package, module) for package in PACKAGES for module in rules(package)[1])
    assert glue == {'common.module_support'}
    for pkg, module, path in _modules():
        assert not imports(path) & glue, '%s/%s.py imports %s' % (pkg, module, sorted(imports(path) & glue))


def test_the_module_imports_are_acyclic():
    graph = dict(('%s.%s' % (pkg, module), set(t for t in imports(path) if '.' in t)) for pkg, module, path in _modules())
    state = {}

    def visit(node, trail):
        if state.get(node) == 'done':
            return
        assert state.get(node) != 'open', 'import cycle: %s' % ' -> '.join(trail + [node])
        state[node] = 'open'
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, trail + [node])
        state[node] = 'done'
    for node in sorted(graph):
        visit(node, [])


def test_the_rules_are_read():
    assert rules('k8s') == ({'common'}, {})
    assert rules('capi')[0] == {'common', 'spec', 'k8s', 'tools'}
    assert rules('common') == (set(), {'module_support': {'k8s', 'tools'}})
