#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: capi_wait
short_description: Wait for a Cluster API cluster's etcd, control plane and workers, with progress lines
version_added: 0.1.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Waits as C(eksctl anywhere create cluster) does after applying the cluster manifests - external etcd ready, then the
    control plane, then the workers - and prints what is ready out of what is expected whenever it changes.
  - Watches the cluster's Machines between checks, so a change is seen at once rather than at the next poll.
  - Fails at once when the Cluster reports a failure, and at a timeout naming the phase and the Machines that are not ready
    (their phase and Ready condition message).
  - With C(-v) or more, each time the counts change it also prints the Machines not yet ready and why.
  - Runs on the controller (an action plugin), so the progress lines appear while it waits.
options:
  name:
    description: The cluster's name (the Cluster API Cluster object).
    type: str
    required: true
  namespace:
    description: The namespace of the Cluster API objects.
    type: str
    default: eksa-system
  external_etcd:
    description: Wait for the EtcdadmCluster C(<name>-etcd) first.
    type: bool
    default: true
  etcd_timeout:
    description: Seconds to wait for external etcd (EKS Anywhere's default, 60 minutes).
    type: int
    default: 3600
  control_plane_timeout:
    description: Seconds to wait for the control plane (EKS Anywhere's default, 60 minutes).
    type: int
    default: 3600
  per_machine_timeout:
    description: Seconds to wait per worker machine (EKS Anywhere's default, 10 minutes).
    type: int
    default: 600
  wait_sleep:
    description: The longest pause between two checks, in seconds.
    type: int
    default: 10
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
attributes:
  check_mode:
    description: Reports the current state without waiting.
    support: full
  diff_mode:
    description: Not supported.
    support: none
  action:
    description: Runs on the controller.
    support: full
"""

EXAMPLES = r"""
- name: Wait for the workload cluster
  eksa.anywhere.capi_wait:
    kubeconfig: mgmt/generated/mgmt.kind.kubeconfig
    name: mgmt
    control_plane_timeout: 1800
"""

RETURN = r"""
state:
  description: Per phase, how many machines are ready out of how many.
  returned: always
  type: dict
  sample: {"etcd": {"ready": 3, "total": 3, "done": true}, "control-plane": {"ready": 3, "total": 3, "done": true}}
progress:
  description: The progress lines printed while waiting.
  returned: always
  type: list
  elements: str
"""
