#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to the eksa.anywhere collection
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: capi_rollout
short_description: Apply one stage of a cluster upgrade and wait until Cluster API has rolled it out
version_added: 0.2.0
author: eksa.anywhere maintainers (@eksa-anywhere)
description:
  - Applies the objects of one stage of the new Cluster API manifests (M(eksa.anywhere.capi_manifests)) to the
    management cluster and waits until Cluster API has rolled them out, in the order EKS Anywhere upgrades a cluster.
  - "C(infrastructure): the new templates (renamed when changed), Secrets, the Cluster and the other cluster-level
    objects - nothing rolls. C(control_plane): the KubeadmControlPlane; done when every control-plane machine is up to
    date and ready and no outdated one is left. C(etcd): the EtcdadmCluster; done when every member was made from its
    machine template and the cluster is ready. C(workers): the MachineDeployments and their health checks; done when each
    group's machines are all up to date and ready. C(cleanup): the MachineDeployments of removed worker groups deleted;
    done when their machines are gone."
  - Re-runnable - an applied stage that has rolled out reports C(changed=false).
  - Runs on the controller (action plugin) so the progress lines show while it waits.
options:
  name:
    description: The cluster's name.
    type: str
    required: true
  namespace:
    description: The namespace of the Cluster API objects.
    type: str
    default: eksa-system
  src:
    description: The manifest files of the new render (RV(eksa.anywhere.capi_manifests#module:files)).
    type: list
    elements: path
    required: true
  stage:
    description: The stage to apply and wait for.
    type: str
    required: true
    choices: [infrastructure, control_plane, etcd, workers, cleanup]
  wait:
    description: Wait until the stage has rolled out.
    type: bool
    default: true
  timeout:
    description: Seconds to wait.
    type: int
    default: 3600
  wait_sleep:
    description: Seconds between two looks.
    type: int
    default: 2
extends_documentation_fragment:
  - eksa.anywhere.k8s_auth
attributes:
  check_mode:
    description: Each object is applied as a server-side dry run; nothing is deleted; no wait.
    support: full
  diff_mode:
    description: Not supported.
    support: none
  action:
    support: full
    description: Runs on the controller.
"""

EXAMPLES = r"""
- name: Roll the control plane to the new render
  eksa.anywhere.capi_rollout:
    kubeconfig: mgmt/mgmt-eks-a-cluster.kubeconfig
    name: mgmt
    src: "{{ manifests.files }}"
    stage: control_plane
"""

RETURN = r"""
applied:
  description: C(<created|configured|unchanged> <Kind> <namespace>/<name>) of each object applied.
  returned: always
  type: list
  elements: str
removed:
  description: The MachineDeployments of removed worker groups (stage C(cleanup)).
  returned: always
  type: list
  elements: str
waited:
  description: Seconds spent waiting for the rollout.
  returned: when it waited
  type: float
state:
  description: The stage's state - C(done), C(line), C(groups).
  returned: always
  type: dict
"""
