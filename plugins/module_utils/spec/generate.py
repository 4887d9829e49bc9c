# -*- coding: utf-8 -*-
# Copyright: eksa.anywhere contributors
# Apache License 2.0 (see LICENSE)
"""Cluster spec templates, as ``eksctl anywhere generate clusterconfig NAME -p PROVIDER`` writes them.

No dependency on AnsibleModule: the module, tests and other plugins share this code.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

API_VERSION = "anywhere.eks.amazonaws.com/v1alpha1"
PROVIDERS = ("vsphere", "docker")
DEFAULT_KUBERNETES_VERSION = "1.33"
NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9-]+$")
MAX_NAME_LENGTH = 35
SSH_KEY_PLACEHOLDER = "ssh-rsa AAAA..."


class GenerateError(ValueError):
    """Raised for arguments that cannot give a valid template."""


def _object(kind, name, spec):
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": {"name": name}, "spec": spec}


def _cluster(name, kubernetes_version, datacenter_kind, cp_count, etcd_count, worker_count, machine_kind=None):
    network = {
        "cniConfig": {"cilium": {}},
        "pods": {"cidrBlocks": ["192.168.0.0/16"]},
        "services": {"cidrBlocks": ["10.96.0.0/12"]},
    }
    control_plane = {"count": cp_count}
    etcd = {"count": etcd_count}
    worker = {"count": worker_count, "name": "md-0"}
    if machine_kind:
        control_plane["endpoint"] = {"host": ""}
        control_plane["machineGroupRef"] = {"kind": machine_kind, "name": "%s-cp" % name}
        etcd["machineGroupRef"] = {"kind": machine_kind, "name": "%s-etcd" % name}
        worker["machineGroupRef"] = {"kind": machine_kind, "name": name}
    return _object("Cluster", name, {
        "clusterNetwork": network,
        "controlPlaneConfiguration": control_plane,
        "datacenterRef": {"kind": datacenter_kind, "name": name},
        "externalEtcdConfiguration": etcd,
        "kubernetesVersion": kubernetes_version,
        "managementCluster": {"name": name},
        "workerNodeGroupConfigurations": [worker],
    })


def _vsphere_machine(name):
    return _object("VSphereMachineConfig", name, {
        "datastore": "",
        "diskGiB": 25,
        "folder": "",
        "memoryMiB": 8192,
        "numCPUs": 2,
        "osFamily": "bottlerocket",
        "resourcePool": "",
        "users": [{"name": "ec2-user", "sshAuthorizedKeys": [SSH_KEY_PLACEHOLDER]}],
    })


def validate_arguments(name, provider, kubernetes_version):
    """Return a list of problems with the arguments (empty when they are fine)."""
    problems = []
    if not name or not NAME_RE.match(name):
        problems.append("cluster name %r is invalid: it must start with a letter and contain only letters, digits and '-'"
                        " (regex ^[a-zA-Z][a-zA-Z0-9-]+$)" % (name,))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append("cluster name %r is %d characters long: at most %d are allowed" % (name, len(name), MAX_NAME_LENGTH))
    if provider not in PROVIDERS:
        problems.append("provider %r is not supported: use one of %s" % (provider, ", ".join(PROVIDERS)))
    if not re.match(r"^1\.\d+$", str(kubernetes_version or "")):
        problems.append("kubernetes version %r is invalid: give it as MAJOR.MINOR, for example \"1.33\"" % (kubernetes_version,))
    return problems


def cluster_config_objects(name, provider, kubernetes_version=DEFAULT_KUBERNETES_VERSION):
    """The objects of the template, in the order EKS Anywhere writes them."""
    problems = validate_arguments(name, provider, kubernetes_version)
    if problems:
        raise GenerateError("; ".join(problems))
    if provider == "docker":
        return [
            _cluster(name, kubernetes_version, "DockerDatacenterConfig", 1, 1, 1),
            _object("DockerDatacenterConfig", name, {}),
        ]
    return [
        _cluster(name, kubernetes_version, "VSphereDatacenterConfig", 2, 3, 2, machine_kind="VSphereMachineConfig"),
        _object("VSphereDatacenterConfig", name, {
            "datacenter": "", "insecure": False, "network": "", "server": "", "thumbprint": "",
        }),
        _vsphere_machine("%s-cp" % name),
        _vsphere_machine(name),
        _vsphere_machine("%s-etcd" % name),
    ]


def render_yaml(objects):
    """Multi-document YAML in EKS Anywhere's layout (sorted keys, block style, quoted version)."""
    import yaml  # deferred: the caller reports a missing PyYAML

    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper, value):
        style = '"' if value == "" or re.match(r"^\d+(\.\d+)*$", value) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    _Dumper.add_representer(str, _str)
    docs = [yaml.dump(obj, Dumper=_Dumper, default_flow_style=False, sort_keys=True) for obj in objects]
    return "\n---\n".join(docs)


def cluster_config_yaml(name, provider, kubernetes_version=DEFAULT_KUBERNETES_VERSION):
    return render_yaml(cluster_config_objects(name, provider, kubernetes_version))
