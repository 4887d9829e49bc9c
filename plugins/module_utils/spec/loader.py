# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Reading multi-document EKS Anywhere spec files (private to the spec model).

Scalars keep the text they were written with, so that a field the API types as
a string (``kubernetesVersion: 1.30``) reads as ``"1.30"`` rather than the float
``1.3``; duplicate mapping keys are refused as the CLI's strict decoder does.

Hostile input is bounded before it is built into Python objects (docs/security.md): the
text's size, the number of documents, the nesting depth and the expansion of aliases
(refused as go-yaml refuses "excessive aliasing"); control characters are refused with
their line and column; timestamps stay the text they were written as, and NaN/Inf,
lone surrogates and other values JSON cannot carry are refused, so that every value
read is JSON-safe.  libyaml's C parser is used where it is installed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import re

from ansible_collections.eksa.anywhere.plugins.module_utils.common.files import FileError, read_file

# the one YAML loader and error report of the collection (common/yaml_support.py), re-exported for the spec model
from ansible_collections.eksa.anywhere.plugins.module_utils.common.yaml_support import (  # noqa: F401  pylint: disable=unused-import
    HAS_YAML, SAFE_LOADER, YAML_IMPORT_ERROR, yaml_error_message,
)

try:
    import yaml
except ImportError:  # pragma: no cover - HAS_YAML says so
    yaml = None

MAX_SPEC_BYTES = 8 * 1024 * 1024
MAX_DOCUMENTS = 1000
MAX_DEPTH = 64
# go-yaml (decode.go): past 1000 decoded nodes and 100 through aliases, the share of nodes decoded through aliases
# may not exceed 99% up to 400,000 nodes, falling linearly to 10% at 4,000,000.
ALIAS_MIN_DECODES, ALIAS_MIN_ALIASED = 1000, 100
ALIAS_RATIO_LOW, ALIAS_RATIO_HIGH = 400000, 4000000

# What YAML (and go-yaml) accept in a stream: tab, LF, CR and the printable characters.
_NON_PRINTABLE = re.compile(u'[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]')
_SURROGATE = re.compile(u'[\uD800-\uDFFF]')


def allowed_alias_ratio(decodes):
    """go-yaml's allowedAliasRatio."""
    if decodes <= ALIAS_RATIO_LOW:
        return 0.99
    if decodes >= ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (float(decodes - ALIAS_RATIO_LOW) / (ALIAS_RATIO_HIGH - ALIAS_RATIO_LOW))


class YamlInt(int):
    """An int read from YAML, with the text it was written as."""

    def __new__(cls, value, text):
        obj = int.__new__(cls, value)
        obj.source_text = text
        return obj

    def __deepcopy__(self, memo):
        return self


class YamlFloat(float):
    """A float read from YAML, with the text it was written as (``1.30``)."""

    def __new__(cls, value, text):
        obj = float.__new__(cls, value)
        obj.source_text = text
        return obj

    def __deepcopy__(self, memo):
        return self


class DocumentProblem(Exception):
    """A problem found while reading the documents (not bound to an object)."""

    def __init__(self, message, line=None, document=None):
        super(DocumentProblem, self).__init__(message)
        self.message = message
        self.line = line
        self.document = document


def _mark_error(node, problem):
    return yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


if HAS_YAML:
    _BASE = yaml.constructor.SafeConstructor

    class _SpecLoader(SAFE_LOADER):  # pylint: disable=too-many-ancestors
        """Safe loader keeping scalar text, refusing duplicate keys and values JSON cannot carry."""

        def construct_yaml_int(self, node):
            return YamlInt(_BASE.construct_yaml_int(self, node), node.value)

        def construct_yaml_float(self, node):
            value = _BASE.construct_yaml_float(self, node)
            if math.isnan(value) or math.isinf(value):
                raise _mark_error(node, 'found %s: not-a-number and infinite values are not allowed' % node.value)
            return YamlFloat(value, node.value)

        def construct_yaml_str(self, node):
            value = _BASE.construct_yaml_str(self, node)
            if _SURROGATE.search(value):
                raise _mark_error(node, 'found an escaped surrogate code point (\\uD800-\\uDFFF): not valid Unicode text')
            return value

        def construct_text(self, node):
            """Timestamps and binary stay the text they were written as (as the API, which types them as strings)."""
            return self.construct_yaml_str(node)

        def construct_mapping(self, node, deep=False):
            seen = {}
            for key_node, dummy in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    continue  # the base class reports unhashable keys
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        'while constructing a mapping', node.start_mark,
                        'found duplicate key %r (first at line %d); a key may appear only once in a mapping'
                        % (key, seen[key] + 1), key_node.start_mark)
                seen[key] = key_node.start_mark.line
            return _BASE.construct_mapping(self, node, deep=deep)

    _SpecLoader.add_constructor('tag:yaml.org,2002:int', _SpecLoader.construct_yaml_int)
    _SpecLoader.add_constructor('tag:yaml.org,2002:float', _SpecLoader.construct_yaml_float)
    _SpecLoader.add_constructor('tag:yaml.org,2002:str', _SpecLoader.construct_yaml_str)
    _SpecLoader.add_constructor('tag:yaml.org,2002:timestamp', _SpecLoader.construct_text)
    _SpecLoader.add_constructor('tag:yaml.org,2002:binary', _SpecLoader.construct_text)
    _SpecLoader.add_constructor('tag:yaml.org,2002:map', _SpecLoader.construct_yaml_map)
    _SpecLoader.add_constructor('tag:yaml.org,2002:set', _SpecLoader.construct_yaml_map)
    _SpecLoader.add_constructor('tag:yaml.org,2002:omap', _SpecLoader.construct_yaml_seq)
    _SpecLoader.add_constructor('tag:yaml.org,2002:pairs', _SpecLoader.construct_yaml_seq)
else:  # pragma: no cover
    _SpecLoader = None


def read_source(path, limit=MAX_SPEC_BYTES):
    """Return the text of a spec file, raising DocumentProblem when it cannot be read.

    Only a regular file is read (a FIFO or device is refused, never waited on), and at most ``limit`` bytes.
    """
    try:
        raw = read_file(path, limit=limit)
    except FileError as exc:
        message = exc.message
        if 'larger than the limit' in message:
            message = 'the file is larger than %d MiB; a cluster spec is a few kilobytes' % (limit // (1024 * 1024))
        elif 'does not exist' in message:
            message = 'file does not exist; give the path of an EKS Anywhere cluster spec'
        raise DocumentProblem(message)
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError as exc:
        raise DocumentProblem('file is not UTF-8 text: invalid byte at offset %d' % exc.start)


def check_text(source, limit=MAX_SPEC_BYTES):
    """Refuse text too large or with characters YAML does not allow (naming line and column)."""
    if len(source) > limit:
        raise DocumentProblem('the spec is larger than %d MiB; a cluster spec is a few kilobytes' % (limit // (1024 * 1024)))
    bad = _NON_PRINTABLE.search(source)
    if bad:
        line = source.count('\n', 0, bad.start()) + 1
        column = bad.start() - (source.rfind('\n', 0, bad.start()) + 1) + 1
        raise DocumentProblem('line %d, column %d: control character U+%04X is not allowed in YAML (only tab, line feed and '
                              'carriage return are); remove it' % (line, column, ord(bad.group())), line=line)


def check_node(root, max_depth=MAX_DEPTH):
    """Refuse a composed document nested deeper than ``max_depth`` or expanding too many aliases (go-yaml's rule).

    Walks the node graph once (iteratively): a node met again is an alias, counted with its expanded size.
    """
    sizes, heights, walking = {}, {}, set()
    counts = [0, 0]  # decoded nodes, nodes decoded through aliases
    path = []  # the open containers: [entry count, height]
    stack = [(root, 1, False)]
    while stack:
        node, depth, leaving = stack.pop()
        key = id(node)
        line = node.start_mark.line + 1
        if leaving:
            entry, height = path.pop()
            walking.discard(key)
            sizes[key], heights[key] = counts[0] - entry, height
            if path:
                path[-1][1] = max(path[-1][1], height + 1)
            continue
        if key in walking:
            raise DocumentProblem('line %d: an alias refers to a node that contains it; recursive aliases are not allowed'
                                  % line, line=line)
        if key in sizes:  # an alias: decoded again, with everything below it
            counts[0] += sizes[key]
            counts[1] += sizes[key]
            if depth - 1 + heights[key] > max_depth:
                raise DocumentProblem('line %d: the document is nested deeper than %d levels' % (line, max_depth), line=line)
            if counts[1] > ALIAS_MIN_ALIASED and counts[0] > ALIAS_MIN_DECODES and \
                    float(counts[1]) / counts[0] > allowed_alias_ratio(counts[0]):
                raise DocumentProblem('line %d: document contains excessive aliasing; write the values out instead of '
                                      'repeating aliases' % line, line=line)
            if path:
                path[-1][1] = max(path[-1][1], heights[key] + 1)
            continue
        if depth > max_depth:
            raise DocumentProblem('line %d: the document is nested deeper than %d levels' % (line, max_depth), line=line)
        counts[0] += 1
        if isinstance(node, yaml.ScalarNode):
            sizes[key], heights[key] = 1, 1
            if path:
                path[-1][1] = max(path[-1][1], 2)
            continue
        walking.add(key)
        path.append([counts[0] - 1, 1])
        stack.append((node, depth, True))
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = list(node.value)
        stack.extend((child, depth + 1, False) for child in reversed(children))
    return counts[0]


def load_documents(source, max_documents=MAX_DOCUMENTS):
    """Parse every YAML document of ``source`` (text) into a list of (index, line, value).

    Empty documents are skipped; ``line`` is the 1-based line where the document starts.
    Raises DocumentProblem for malformed or unbounded YAML, naming the line.
    """
    if not HAS_YAML:  # pragma: no cover
        raise DocumentProblem('the PyYAML Python library is required to read cluster specs')
    if not isinstance(source, str):
        raise DocumentProblem('spec text must be a string, got %s' % type(source).__name__)
    # libyaml's parser takes only an exact str: ansible-core hands module and action arguments over as str subclasses
    source = str(source)
    check_text(source)
    documents = []
    loader = _SpecLoader(source)
    try:
        index = 0
        while loader.check_node():
            if index >= max_documents:
                raise DocumentProblem('the spec has more than %d YAML documents; a cluster spec has a few' % max_documents)
            node = loader.get_node()
            line = node.start_mark.line + 1 if node is not None else None
            if node is not None:
                check_node(node)
            value = loader.construct_document(node) if node is not None else None
            if value is not None:
                documents.append((index, line, value))
            index += 1
    except yaml.YAMLError as exc:
        message, line = yaml_error_message(exc)
        raise DocumentProblem(message, line=line)
    except RecursionError:  # the pure-Python parser (no libyaml) on deep nesting
        raise DocumentProblem('the document is nested deeper than %d levels' % MAX_DEPTH)
    finally:
        loader.dispose()
    return documents


def plain(value):
    """Return ``value`` with YAML-aware scalars turned back into plain Python types."""
    if isinstance(value, dict):
        return dict((k, plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, YamlInt):
        return int(value)
    if isinstance(value, YamlFloat):
        return float(value)
    return value


def scalar_text(value):
    """The text a scalar was written as, for a field the API types as a string."""
    text = getattr(value, 'source_text', None)
    if text is not None:
        return text
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)
