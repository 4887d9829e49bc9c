# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Hostile input (issue 11, docs/security.md): the spec loader and the renderer on what an attacker or a careless user
would give them.

One test per class seen to fail (each failed before the fix), then property-based tests (Hypothesis) that mix the
classes into real specs and assert, for every generated input: a result that JSON can carry, or a SpecError /
RenderError whose every problem names the file and, for an object, the object and the field -- never another
exception, never a secret, nothing written on error.  Time is bounded by construction (sizes, documents, depth, alias
expansion); a generous alarm only turns a hang into a failure instead of a stuck test run.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import copy
import json
import os
import signal
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))

from test_capi_support import BUNDLES, CREDS, reference_docs, reference_text  # noqa: E402

from ansible_collections.eksa.anywhere.plugins.module_utils.capi import render as capi_render  # noqa: E402
from ansible_collections.eksa.anywhere.plugins.module_utils.spec import _validate as validate  # noqa: E402
from ansible_collections.eksa.anywhere.plugins.module_utils.spec import loader  # noqa: E402
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import SpecError, load_spec  # noqa: E402
from ansible_collections.eksa.anywhere.plugins.module_utils.spec.names import (  # noqa: E402
    dns1123_subdomain_problem, is_dns1123_label, is_dns1123_subdomain,
)

HANG_GUARD = 120  # seconds: far above any bounded run; only a hang (as on the unfixed code) reaches it
PROPERTIES = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@contextlib.contextmanager
def no_hang(seconds=HANG_GUARD):
    def fail(signum, frame):
        raise AssertionError('did not return within %ds: unbounded' % seconds)
    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def spec_text():
    return reference_text('cluster_main.yaml')


def load_text(text, tmp_path, name='spec.yaml'):
    path = tmp_path / name
    path.write_text(text, encoding='utf-8')
    with no_hang():
        return load_spec(path=str(path))


def refused(text, tmp_path, *words):
    with pytest.raises(SpecError) as err:
        load_text(text, tmp_path)
    message = str(err.value)
    assert 'Traceback' not in message
    for word in words:
        assert word in message, message
    assert all(p.source == str(tmp_path / 'spec.yaml') for p in err.value.errors)
    return err.value


# --------------------------------------------------------------------------- unbounded input

def billion_laughs(levels=14):
    lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]']
    for i in range(1, levels):
        lines.append('a%d: &a%d [%s]' % (i, i, ', '.join(['*a%d' % (i - 1)] * 10)))
    return '\n'.join(lines) + '\n'


def test_alias_bomb_refused_as_go_yaml_does(tmp_path):
    text = spec_text().replace('  clusterNetwork:\n', '  clusterNetwork:\n' + ''.join(
        '    ' + line + '\n' for line in billion_laughs().splitlines()), 1)
    assert len(text) < 10000
    refused(text, tmp_path, 'excessive aliasing', 'line ')


def test_a_few_aliases_are_fine(tmp_path):
    text = 'x: &k {a: 1}\n' + ''.join('y%d: *k\n' % i for i in range(50))
    assert len(loader.load_documents(text)[0][2]) == 51


def test_recursive_alias_refused(tmp_path):
    refused('a: &a [*a]\n', tmp_path, 'recursive')


@pytest.mark.parametrize('text', ['[' * 5000 + ']' * 5000, 'a:\n' + ''.join('  ' * i + '- \n' for i in range(1, 3000)),
                                  'x: ' + '{a: ' * 200 + '1' + '}' * 200])
def test_deep_nesting_refused_without_recursion_error(tmp_path, text):
    refused(text, tmp_path, 'nest')


def test_deep_nesting_through_an_alias_refused(tmp_path):
    refused('a: &x ' + '[' * 40 + ']' * 40 + '\nb: ' + '[' * 40 + '*x' + ']' * 40 + '\n', tmp_path, 'deeper than')


def test_thousands_of_documents_refused(tmp_path):
    refused('---\nkind: VSphereMachineConfig\n' * 5000, tmp_path, 'more than %d YAML documents' % loader.MAX_DOCUMENTS)


def test_warning_deduplication_is_linear(monkeypatch):
    """Thousands of warnings: each is checked once against a set, not compared with every earlier one."""
    calls = [0]
    real_eq = validate.SpecProblem.__eq__

    def counting_eq(self, other):
        calls[0] += 1
        return real_eq(self, other)
    monkeypatch.setattr(validate.SpecProblem, '__eq__', counting_eq)
    rep = validate.Report('spec.yaml')
    for i in range(5000):
        rep.warn('VSphereMachineConfig', 'mc-%d' % i, None, 'not referenced')
        rep.warn('VSphereMachineConfig', 'mc-%d' % i, None, 'not referenced')
        rep.error('VSphereMachineConfig', 'mc-%d' % i, 'spec.a', 'bad')
        rep.error('VSphereMachineConfig', 'mc-%d' % i, 'spec.a.b[0]', 'follow-on')
    assert len(rep.warnings) == 5000 and len(rep.errors) == 5000
    assert calls[0] <= 2 * 5000


def test_many_machine_configs_load(tmp_path):
    """900 unreferenced machine configs: 900 warnings, loaded (the limit is on documents, the work is linear)."""
    extra = ''.join('---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: VSphereMachineConfig\nmetadata:\n'
                    '  name: extra-%d\nspec:\n  datastore: ds\n  folder: f\n  memoryMiB: 8192\n  numCPUs: 2\n'
                    '  osFamily: bottlerocket\n  resourcePool: rp\n' % i for i in range(900))
    warnings = []
    path = tmp_path / 'spec.yaml'
    path.write_text(spec_text() + '\n' + extra)
    with no_hang():
        load_spec(path=str(path), warnings=warnings)
    assert sum('is not referenced' in w.message for w in warnings) == 900


def test_fifo_refused_at_once(tmp_path):
    fifo = tmp_path / 'spec.yaml'
    os.mkfifo(str(fifo))
    with no_hang(30):
        with pytest.raises(SpecError) as err:
            load_spec(path=str(fifo))
    assert 'FIFO' in str(err.value) and 'regular file' in str(err.value)


def test_device_refused():
    with no_hang(30):
        with pytest.raises(SpecError, match='device'):
            load_spec(path='/dev/zero')


def test_oversize_spec_refused(tmp_path):
    path = tmp_path / 'spec.yaml'
    with open(str(path), 'w') as handle:
        handle.write(spec_text())
        handle.write('# ' + 'x' * (loader.MAX_SPEC_BYTES + 10) + '\n')
    with pytest.raises(SpecError, match='larger than 8 MiB'):
        load_spec(path=str(path))
    with pytest.raises(SpecError, match='larger than 8 MiB'):
        load_spec(data=path.read_text())


def test_the_c_loader_is_used_where_libyaml_is_installed():
    if not getattr(yaml, '__with_libyaml__', False):
        pytest.skip('libyaml is not installed here')
    assert issubclass(loader._SpecLoader, yaml.CSafeLoader)  # pylint: disable=protected-access


# --------------------------------------------------------------------------- characters and values

@pytest.mark.parametrize('char', ['\x00', '\x01', '\x1b', '\x7f', '\x9b', '\ufffe'])
def test_control_characters_refused_naming_line_and_column(tmp_path, char):
    text = spec_text()
    index = text.index('name: test')
    line = text.count('\n', 0, index) + 1
    text = text[:index] + 'name: te' + char + 'st' + text[index + len('name: test'):]
    err = refused(text, tmp_path, 'line %d, column' % line, 'U+%04X' % ord(char))
    assert char not in str(err)


def test_dates_and_binary_in_free_form_sections_stay_text(tmp_path):
    text = spec_text().replace('    cni: "cilium"\n', '    cniConfig:\n      cilium:\n        helmValues:\n'
                               '          2024-01-01: created\n          when: 2001-12-14t21:59:43.10-05:00\n'
                               '          blob: !!binary aGVsbG8=\n          tags: !!set {a, b}\n', 1)
    assert 'helmValues' in text
    spec = load_text(text, tmp_path)
    values = spec['cluster']['spec']['clusterNetwork']['cniConfig']['cilium']['helmValues']
    assert values['2024-01-01'] == 'created' and values['when'] == '2001-12-14t21:59:43.10-05:00'
    json.dumps(spec, allow_nan=False)


@pytest.mark.parametrize('value', ['.nan', '.inf', '-.Inf', '"\\ud800"'])
def test_values_json_cannot_carry_refused(tmp_path, value):
    text = spec_text().replace('    cni: "cilium"\n',
                               '    cniConfig:\n      cilium:\n        helmValues: {x: %s}\n' % value, 1)
    refused(text, tmp_path, 'line ')


def test_names_with_a_trailing_newline_never_become_folders(tmp_path):
    text = spec_text().replace('  name: test\n', '  name: "test\\n"\n', 1)
    refused(text, tmp_path, 'metadata.name')


def test_name_checker():
    assert is_dns1123_subdomain('test-md-0') and is_dns1123_subdomain('a.b-c')
    for bad in ('test\n', 'Test', 'a/../b', '-a', 'a-', '', 'a' * 254, u'\u0661', 'a..b'):
        assert not is_dns1123_subdomain(bad), bad
        assert dns1123_subdomain_problem(bad)
    assert is_dns1123_label('eksa-system') and not is_dns1123_label('a.b') and not is_dns1123_label('a' * 64)


# --------------------------------------------------------------------------- secrets

PROXY_PASSWORD = 'Pr0xy-S3cret'


def with_proxy(http, https):
    return spec_text().replace('  kubernetesVersion:', '  proxyConfiguration:\n    httpProxy: "%s"\n    httpsProxy: "%s"\n'
                               '  kubernetesVersion:' % (http, https), 1)


def test_proxy_with_credentials_accepted(tmp_path):
    url = 'http://proxy-user:%s@10.0.0.9:3128' % PROXY_PASSWORD
    spec = load_text(with_proxy(url, url), tmp_path)
    assert spec['cluster']['spec']['proxyConfiguration']['httpProxy'] == url


@pytest.mark.parametrize('url', ['http://u:%s@10.0.0.9:99999', 'http://u:%s@10.0.0.9', 'http://u:%s@bad host:3128',
                                 'https://u:%s@/nohost', 'u:%s@10.0.0.9:3128'])
def test_proxy_credentials_never_in_errors(tmp_path, url):
    url = url % PROXY_PASSWORD
    err = refused(with_proxy(url, '10.0.0.9:3128'), tmp_path, 'spec.proxyConfiguration.httpProxy')
    assert PROXY_PASSWORD not in str(err) and PROXY_PASSWORD not in repr([p.to_dict() for p in err.errors])


def test_proxy_credentials_masked_in_the_manifest_diff(tmp_path):
    url = 'http://proxy-user:%s@10.0.0.9:3128' % PROXY_PASSWORD
    spec = load_text(with_proxy(url, url), tmp_path)
    objects = capi_render.render(spec, BUNDLES, credentials=CREDS)
    from ansible_collections.eksa.anywhere.plugins.module_utils.spec.model import proxy_credentials
    written = capi_render.write_manifests(objects, str(tmp_path / 'out'), 'test', redact=proxy_credentials(spec))
    assert any(PROXY_PASSWORD in open(p).read() for p in written['files'])  # the nodes need it: in the 0600 files
    assert all(os.stat(p).st_mode & 0o777 == 0o600 for p in written['files'])
    assert PROXY_PASSWORD not in json.dumps([written['before'], written['after']])


# --------------------------------------------------------------------------- properties (Hypothesis)

HOSTILE_SCALARS = st.one_of(
    st.integers(min_value=-2 ** 70, max_value=2 ** 70).map(str),
    st.sampled_from(['.nan', '.inf', '2024-02-30', '2001-12-14t21:59:43.10-05:00', '!!binary aGVsbG8=', '"a\\x00b"',
                     '"\\ud800"', '"test\\n"', '"md/../../x"', '"[::1]:abc"', '"vc:99999"', '"http://u:p@h:1"', '~',
                     '*undefined', '&a [*a]', '!!python/object:os.system x', '"\\u0663"', "''", '"\\t"']),
    st.text(alphabet=st.characters(codec='utf-8', exclude_categories=('Cs',)), max_size=12).map(json.dumps),
)


@st.composite
def hostile_specs(draw):
    """A real spec with one field replaced by a hostile scalar, plus optional hostile lines and fragments."""
    lines = spec_text().splitlines()
    candidates = [i for i, line in enumerate(lines) if ': ' in line and not line.rstrip().endswith(':')]
    index = draw(st.sampled_from(candidates))
    key = lines[index].split(': ', 1)[0]
    lines[index] = '%s: %s' % (key, draw(HOSTILE_SCALARS))
    fragment = draw(st.sampled_from(['', billion_laughs(5), billion_laughs(9), '[' * 80 + ']' * 80, 'x: \x00', '---\n' * 3,
                                     '---\n- a\n- b\n', '---\n42\n', 'bad: [unclosed', '? [a, b]\n: c\n', '%TAG ! x\n']))
    return '\n'.join(lines) + '\n' + fragment


def assert_well_formed_error(err, source):
    assert err.errors
    for problem in err.errors:
        assert problem.source == source and problem.message
        if problem.kind:  # an object's problem names the field too, unless it is about the whole object
            assert problem.path or problem.name or 'Cluster' in problem.message or 'datacenter' in problem.message, problem
    assert 'Traceback' not in str(err)


@PROPERTIES
@given(hostile_specs())
def test_property_loader_result_or_named_error(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp('hostile')
    source = str(folder / 'spec.yaml')
    (folder / 'spec.yaml').write_text(text, encoding='utf-8')
    try:
        with no_hang():
            spec = load_spec(path=source)
    except SpecError as err:
        assert_well_formed_error(err, source)
        return
    json.dumps(spec, allow_nan=False).encode('utf-8')  # JSON-safe, encodable


@PROPERTIES
@given(st.sampled_from(['metadata.name', 'workerNodeGroupConfigurations.name', 'server', 'endpoint.host', 'kubernetesVersion',
                        'count', 'numCPUs', 'proxy']),
       st.one_of(HOSTILE_SCALARS.map(lambda s: yaml.safe_load(s) if not s.startswith(('&', '*', '!', '%')) else s),
                 st.text(max_size=40)))
def test_property_renderer_writes_all_or_nothing(tmp_path_factory, field, value):
    docs = reference_docs('cluster_main.yaml')
    cluster = next(d for d in docs if d['kind'] == 'Cluster')
    dc = next(d for d in docs if d['kind'] == 'VSphereDatacenterConfig')
    mc = next(d for d in docs if d['kind'] == 'VSphereMachineConfig')
    target = {'metadata.name': (cluster['metadata'], 'name'),
              'workerNodeGroupConfigurations.name': (cluster['spec']['workerNodeGroupConfigurations'][0], 'name'),
              'server': (dc['spec'], 'server'), 'endpoint.host': (cluster['spec']['controlPlaneConfiguration']['endpoint'], 'host'),
              'kubernetesVersion': (cluster['spec'], 'kubernetesVersion'),
              'count': (cluster['spec']['controlPlaneConfiguration'], 'count'), 'numCPUs': (mc['spec'], 'numCPUs'),
              'proxy': (cluster['spec'].setdefault('proxyConfiguration', {'httpsProxy': '10.0.0.1:3128'}), 'httpProxy')}[field]
    target[0][target[1]] = copy.deepcopy(value)
    out = tmp_path_factory.mktemp('out')
    try:
        with no_hang():
            spec = load_spec(data=docs, source_name='inline.yaml')
            objects = capi_render.render(spec, BUNDLES, credentials=CREDS)
            written = capi_render.write_manifests(objects, str(out), spec['cluster']['metadata']['name'])
    except SpecError as err:
        assert_well_formed_error(err, 'inline.yaml')
        assert os.listdir(str(out)) == []
        return
    except capi_render.RenderError as err:
        assert err.message and err.field and CREDS['password'] not in err.message
        assert os.listdir(str(out)) == []
        return
    assert all(os.path.dirname(p) == os.path.join(str(out), spec['cluster']['metadata']['name'], 'generated')
               for p in written['files'])
    for obj in objects:
        assert is_dns1123_subdomain(obj['metadata']['name']), obj['metadata']['name']
