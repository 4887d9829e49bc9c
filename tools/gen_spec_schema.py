"""Generate plugins/module_utils/spec/_schema.py from the EKS Anywhere CRDs.

The collection never reads the CRDs at run time: this script compacts the
``openAPIV3Schema`` of the served version of every kind the spec loader accepts
(descriptions dropped, only the keywords the validator uses kept) and writes
the result as a Python literal.  A unit test checks that the committed file is
what this script produces.

Usage: tools/gen_spec_schema.py [--crds DIR] [--output FILE] [--check]
"""

import argparse
import os
import pprint
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_CRDS = os.path.join(os.environ.get('EKSA_SHARED_DIR', os.path.join(ROOT, '..', 'shared')), 'crds', 'eks-anywhere-v0.26.1')
DEFAULT_OUTPUT = os.path.join(ROOT, 'plugins', 'module_utils', 'spec', '_schema.py')

GROUP = 'anywhere.eks.amazonaws.com'
VERSION = 'v1alpha1'
KINDS = {
    'Cluster': 'clusters',
    'VSphereDatacenterConfig': 'vspheredatacenterconfigs',
    'VSphereMachineConfig': 'vspheremachineconfigs',
    'DockerDatacenterConfig': 'dockerdatacenterconfigs',
    'GitOpsConfig': 'gitopsconfigs',
    'FluxConfig': 'fluxconfigs',
    'OIDCConfig': 'oidcconfigs',
    'AWSIamConfig': 'awsiamconfigs',
}
KEEP = ('type', 'required', 'enum', 'format', 'maxItems', 'maxLength', 'minLength', 'default',
        'x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields')

# The CRDs declare metadata as a bare object; the CLI decodes it strictly into
# metav1.ObjectMeta, so the loader uses the ObjectMeta fields instead.
_STR = {'type': 'string'}
_STR_MAP = {'type': 'object', 'additionalProperties': _STR}
OBJECT_META = {
    'type': 'object',
    'properties': {
        'name': _STR, 'namespace': _STR, 'generateName': _STR, 'uid': _STR, 'resourceVersion': _STR,
        'selfLink': _STR, 'generation': {'type': 'integer'}, 'creationTimestamp': _STR, 'deletionTimestamp': _STR,
        'deletionGracePeriodSeconds': {'type': 'integer'}, 'labels': _STR_MAP, 'annotations': _STR_MAP,
        'finalizers': {'type': 'array', 'items': _STR},
        'ownerReferences': {'type': 'array', 'items': {'type': 'object', 'x-kubernetes-preserve-unknown-fields': True}},
        'managedFields': {'type': 'array', 'items': {'type': 'object', 'x-kubernetes-preserve-unknown-fields': True}},
    },
}


def compact(schema):
    """Return the schema without descriptions, keeping what validation needs."""
    out = {k: schema[k] for k in KEEP if k in schema}
    if 'anyOf' in schema and 'type' not in out:
        out['x-kubernetes-int-or-string'] = True
    if 'properties' in schema:
        out['properties'] = {k: compact(v) for k, v in sorted(schema['properties'].items())}
    if isinstance(schema.get('items'), dict):
        out['items'] = compact(schema['items'])
    if isinstance(schema.get('additionalProperties'), dict):
        out['additionalProperties'] = compact(schema['additionalProperties'])
    return out


def build(crd_dir):
    schemas = {}
    for kind, plural in sorted(KINDS.items()):
        path = os.path.join(crd_dir, '%s_%s.yaml' % (GROUP, plural))
        with open(path) as handle:
            crd = yaml.safe_load(handle)
        if crd['spec']['names']['kind'] != kind:
            raise SystemExit('%s does not define kind %s' % (path, kind))
        versions = [v for v in crd['spec']['versions'] if v['name'] == VERSION and v.get('served')]
        if not versions:
            raise SystemExit('%s does not serve %s' % (path, VERSION))
        schema = compact(versions[0]['schema']['openAPIV3Schema'])
        schema['properties']['metadata'] = OBJECT_META
        schemas[kind] = schema
    return schemas


def flatten(schema, path, out):
    """Store every schema node under its path: ``spec.a.b``, ``[]`` for items, ``{}`` for map values."""
    node = {k: v for k, v in schema.items() if k not in ('properties', 'items', 'additionalProperties')}
    if 'properties' in schema:
        node['properties'] = tuple(sorted(schema['properties']))
        for name, sub in schema['properties'].items():
            flatten(sub, '%s.%s' % (path, name) if path else name, out)
    if 'items' in schema:
        node['items'] = True
        flatten(schema['items'], path + '[]', out)
    if 'additionalProperties' in schema:
        node['additionalProperties'] = True
        flatten(schema['additionalProperties'], path + '{}', out)
    out[path] = node
    return out


def _wrap(items, indent, width=150):
    lines, current = [], indent
    for item in items:
        text = '%r, ' % (item,)
        if len(current) + len(text) > width and current.strip():
            lines.append(current.rstrip())
            current = indent
        current += text
    if current.strip():
        lines.append(current.rstrip())
    return lines


def format_node(path, node):
    """Format one schema node as source lines of at most 160 characters."""
    line = '        %r: %s,' % (path, pprint.pformat(node, width=100000, sort_dicts=True))
    if len(line) <= 150:
        return [line]
    lines = ['        %r: {' % path]
    for key in sorted(node):
        value = node[key]
        if isinstance(value, (tuple, list)):
            opening, closing = ('(', ')') if isinstance(value, tuple) else ('[', ']')
            lines.append('            %r: %s' % (key, opening))
            lines.extend(_wrap(value, ' ' * 16))
            lines.append('            %s,' % closing)
        else:
            lines.append('            %r: %r,' % (key, value))
    lines.append('        },')
    return lines


def render(schemas, crd_dir):
    lines = [
        '# Every schema node of a kind, keyed by its field path ("" is the object itself).',
        '# "properties" lists the field names; items are at "<path>[]", map values at "<path>{}".',
        'SCHEMAS = {',
    ]
    for kind in sorted(schemas):
        lines.append('    %r: {' % kind)
        flat = flatten(schemas[kind], '', {})
        for path in sorted(flat):
            lines.extend(format_node(path, flat[path]))
        lines.append('    },')
    lines.append('}')
    body = '\n'.join(lines)
    return (
        '# -*- coding: utf-8 -*-\n'
        '# GENERATED by tools/gen_spec_schema.py from the EKS Anywhere CRDs in %s. DO NOT EDIT.\n'
        '# Kinds: %s.\n'
        '# Regenerate with: python tools/gen_spec_schema.py\n'
        '# Copyright: contributors to the eksa.anywhere collection\n'
        '# Apache License 2.0 (see LICENSE); schema data derived from aws/eks-anywhere (Apache-2.0)\n'
        '"""Compact openAPIV3 schemas of the EKS Anywhere kinds the spec loader accepts."""\n\n'
        'from __future__ import absolute_import, division, print_function\n'
        '__metaclass__ = type\n\n'
        'API_GROUP = %r\n'
        'API_VERSION = %r\n'
        'CRD_RELEASE = %r\n\n'
        '%s\n'
    ) % (os.path.basename(crd_dir.rstrip('/')), ', '.join(sorted(KINDS)), GROUP, '%s/%s' % (GROUP, VERSION),
         os.path.basename(crd_dir.rstrip('/')), body)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--crds', default=DEFAULT_CRDS)
    parser.add_argument('--output', default=DEFAULT_OUTPUT)
    parser.add_argument('--check', action='store_true', help='fail if the output file is not up to date')
    args = parser.parse_args(argv)
    text = render(build(args.crds), args.crds)
    if args.check:
        with open(args.output) as handle:
            if handle.read() != text:
                sys.stderr.write('%s is out of date; run tools/gen_spec_schema.py\n' % args.output)
                return 1
        return 0
    with open(args.output, 'w') as handle:
        handle.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
