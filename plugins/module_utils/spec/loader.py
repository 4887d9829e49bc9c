# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)
"""Reading multi-document EKS Anywhere spec files (private to the spec model).

Scalars keep the text they were written with, so that a field the API types as
a string (``kubernetesVersion: 1.30``) reads as ``"1.30"`` rather than the float
``1.3``; duplicate mapping keys are refused as the CLI's strict decoder does.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

try:
    import yaml
    HAS_YAML = True
    YAML_IMPORT_ERROR = None
    # the C loader when libyaml is there: every YAML read of the collection goes through it
    SAFE_LOADER = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
except ImportError as exc:  # pragma: no cover - exercised by import sanity only
    HAS_YAML = False
    YAML_IMPORT_ERROR = exc
    yaml = None
    SAFE_LOADER = object


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


if HAS_YAML:
    class _SpecLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        """Safe loader keeping scalar text and refusing duplicate keys."""

        def construct_yaml_int(self, node):
            return YamlInt(yaml.SafeLoader.construct_yaml_int(self, node), node.value)

        def construct_yaml_float(self, node):
            return YamlFloat(yaml.SafeLoader.construct_yaml_float(self, node), node.value)

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
            return yaml.SafeLoader.construct_mapping(self, node, deep=deep)

    _SpecLoader.add_constructor('tag:yaml.org,2002:int', _SpecLoader.construct_yaml_int)
    _SpecLoader.add_constructor('tag:yaml.org,2002:float', _SpecLoader.construct_yaml_float)
    _SpecLoader.add_constructor('tag:yaml.org,2002:map', _SpecLoader.construct_yaml_map)
else:  # pragma: no cover
    _SpecLoader = None


def yaml_error_message(exc):
    """(message, line) of a YAML error: where and what, never the offending text (it may be a secret)."""
    mark = getattr(exc, 'problem_mark', None) or getattr(exc, 'context_mark', None)
    parts = [p for p in (getattr(exc, 'context', None), getattr(exc, 'problem', None)) if p]
    text = '; '.join(parts) if parts else str(exc).splitlines()[0]
    line = mark.line + 1 if mark is not None else None
    if line is not None:
        text = 'malformed YAML at line %d, column %d: %s' % (line, mark.column + 1, text)
    else:
        text = 'malformed YAML: %s' % text
    return text, line


def read_source(path):
    """Return the text of a spec file, raising DocumentProblem when it cannot be read."""
    if not os.path.exists(path):
        raise DocumentProblem('file does not exist; give the path of an EKS Anywhere cluster spec')
    if os.path.isdir(path):
        raise DocumentProblem('is a directory, not a cluster spec file')
    try:
        with open(path, 'rb') as handle:
            raw = handle.read()
    except (IOError, OSError) as exc:
        raise DocumentProblem('unable to read file due to: %s' % exc)
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError as exc:
        raise DocumentProblem('file is not UTF-8 text: %s' % exc)


def load_documents(source):
    """Parse every YAML document of ``source`` (text) into a list of (index, line, value).

    Empty documents are skipped; ``line`` is the 1-based line where the document starts.
    Raises DocumentProblem for malformed YAML, naming the line.
    """
    if not HAS_YAML:  # pragma: no cover
        raise DocumentProblem('the PyYAML Python library is required to read cluster specs')
    if not isinstance(source, str):
        raise DocumentProblem('spec text must be a string, got %s' % type(source).__name__)
    documents = []
    loader = _SpecLoader(source)
    try:
        index = 0
        while loader.check_node():
            node = loader.get_node()
            line = node.start_mark.line + 1 if node is not None else None
            value = loader.construct_document(node) if node is not None else None
            if value is not None:
                documents.append((index, line, value))
            index += 1
    except yaml.YAMLError as exc:
        message, line = yaml_error_message(exc)
        raise DocumentProblem(message, line=line)
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
