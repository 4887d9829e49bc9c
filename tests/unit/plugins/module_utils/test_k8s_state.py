# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""k8s.state: the Secret that keeps a cluster's kubeconfig and spec as created."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.eksa.anywhere.plugins.module_utils.k8s import state


def test_round_trip():
    obj = state.secret('w01', 'eksa-anywhere', {'kubeconfig': b'apiVersion: v1\n', 'spec': b'kind: Cluster\n'})
    assert obj['metadata'] == {'name': 'w01-eksa-anywhere-state', 'namespace': 'eksa-anywhere',
                               'labels': {state.LABEL: 'w01'}}
    assert obj['type'] == 'Opaque'
    assert state.decode(obj) == {'kubeconfig': b'apiVersion: v1\n', 'spec': b'kind: Cluster\n'}


def test_decode_missing_and_foreign_keys():
    assert state.decode(None) == {}
    assert state.decode({'data': {'other': 'eA=='}}) == {}
