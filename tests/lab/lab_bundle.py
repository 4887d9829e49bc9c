"""Generate the lab's provider components, clusterctl local repository and Bundles manifest.

Everything is derived from the upstream CRDs in <shared>/crds (pinned releases) plus the provider
namespaces, ServiceAccounts, RBAC and Deployments under their upstream names. Differences from the
upstream release components, on purpose:
  * no admission webhooks (no Validating/MutatingWebhookConfiguration, no webhook Services) and no
    CRD conversion webhooks (`spec.conversion` is removed), because no webhook server runs in the lab;
  * no cert-manager Certificates/Issuers for webhook serving certs, no ${VARIABLES}.
The Deployments never run (the lab has no kubelet); capi-sim marks them available.

Layout (clusterctl local repository: <label>/<version>/<components file> + metadata.yaml):
  <out>/repository/cluster-api/v1.13.5/core-components.yaml
  <out>/repository/bootstrap-kubeadm/v1.13.5/bootstrap-components.yaml
  <out>/repository/control-plane-kubeadm/v1.13.5/control-plane-components.yaml
  <out>/repository/infrastructure-vsphere/v1.16.1/infrastructure-components.yaml
  <out>/repository/bootstrap-etcdadm-bootstrap/v1.0.19/bootstrap-components.yaml
  <out>/repository/bootstrap-etcdadm-controller/v1.0.28/bootstrap-components.yaml
  <out>/repository/cert-manager/v1.21.1/cert-manager.yaml
  <out>/eksa/v0.26.1/eksa-components.yaml, <out>/cilium/.../cilium.yaml
  <out>/clusterctl.yaml   (clusterctl config: providers + cert-manager pointing at the files above)
  <out>/bundles.yaml      (anywhere.eks.amazonaws.com/v1alpha1 Bundles, URIs are absolute paths)
"""
from __future__ import annotations

import copy
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
IMG = "public.ecr.aws/eks-anywhere-lab"  # images are never pulled in the lab

# key: (clusterctl name, type, manifest label, version, components file, namespace, prefix, crd globs,
#       contract, deployment, serviceaccount)
PROVIDERS = [
    dict(key="core", name="cluster-api", type="CoreProvider", label="cluster-api", version="v1.13.5",
         file="core-components.yaml", ns="capi-system", prefix="capi", crd_dir="cluster-api-v1.13.5",
         crds=["cluster.x-k8s.io_*.yaml", "addons.cluster.x-k8s.io_*.yaml", "ipam.cluster.x-k8s.io_*.yaml",
               "runtime.cluster.x-k8s.io_*.yaml"],
         contract="v1beta2", deployment="capi-controller-manager", sa="capi-manager",
         image="kubernetes-sigs/cluster-api/cluster-api-controller"),
    dict(key="bootstrap", name="kubeadm", type="BootstrapProvider", label="bootstrap-kubeadm", version="v1.13.5",
         file="bootstrap-components.yaml", ns="capi-kubeadm-bootstrap-system", prefix="capi-kubeadm-bootstrap",
         crd_dir="cluster-api-v1.13.5", crds=["bootstrap.cluster.x-k8s.io_kubeadm*.yaml"], contract="v1beta2",
         deployment="capi-kubeadm-bootstrap-controller-manager", sa="capi-kubeadm-bootstrap-manager",
         image="kubernetes-sigs/cluster-api/kubeadm-bootstrap-controller"),
    dict(key="controlPlane", name="kubeadm", type="ControlPlaneProvider", label="control-plane-kubeadm",
         version="v1.13.5", file="control-plane-components.yaml", ns="capi-kubeadm-control-plane-system",
         prefix="capi-kubeadm-control-plane", crd_dir="cluster-api-v1.13.5",
         crds=["controlplane.cluster.x-k8s.io_*.yaml"], contract="v1beta2",
         deployment="capi-kubeadm-control-plane-controller-manager", sa="capi-kubeadm-control-plane-manager",
         image="kubernetes-sigs/cluster-api/kubeadm-control-plane-controller"),
    dict(key="vSphere", name="vsphere", type="InfrastructureProvider", label="infrastructure-vsphere",
         version="v1.16.1", file="infrastructure-components.yaml", ns="capv-system", prefix="capv",
         crd_dir="cluster-api-provider-vsphere-v1.16.1", crds=["*.yaml"], contract="v1beta2",
         deployment="capv-controller-manager", sa="capv-manager",
         image="kubernetes-sigs/cluster-api-provider-vsphere/release/manager"),
    dict(key="etcdadmBootstrap", name="etcdadm-bootstrap", type="BootstrapProvider",
         label="bootstrap-etcdadm-bootstrap", version="v1.0.19", file="bootstrap-components.yaml",
         ns="etcdadm-bootstrap-provider-system", prefix="etcdadm-bootstrap-provider",
         crd_dir="etcdadm-bootstrap-provider-v1.0.19", crds=["*.yaml"], contract="v1beta1",
         deployment="etcdadm-bootstrap-provider-controller-manager", sa="etcdadm-bootstrap-provider-manager",
         image="aws/etcdadm-bootstrap-provider"),
    dict(key="etcdadmController", name="etcdadm-controller", type="BootstrapProvider",
         label="bootstrap-etcdadm-controller", version="v1.0.28", file="bootstrap-components.yaml",
         ns="etcdadm-controller-system", prefix="etcdadm-controller", crd_dir="etcdadm-controller-v1.0.28",
         crds=["*.yaml"], contract="v1beta1", deployment="etcdadm-controller-controller-manager",
         sa="etcdadm-controller-manager", image="aws/etcdadm-controller"),
]
CERT_MANAGER_VERSION = "v1.21.1"
EKSA_VERSION = "v0.26.1"
CILIUM_VERSION = "v1.17.8-0"

# Namespaces the provider Deployments live in (capi-sim marks Deployments here available).
PROVIDER_NAMESPACES = [p["ns"] for p in PROVIDERS] + ["cert-manager", "eksa-system", "kube-system"]


def _load_all(path: Path) -> list[dict]:
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def _dump_all(path: Path, docs: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)


# EKS Anywhere's bundles ship its Cluster API fork, whose Cluster has spec.managedExternalEtcdRef (external etcd
# managed by etcdadm). The lab's core components add that one field to the upstream CRD, as the fork does.
FORK_CLUSTER_FIELD = {
    "description": "EKS Anywhere's Cluster API fork: reference to the managed external etcd cluster (EtcdadmCluster).",
    "type": "object",
    "x-kubernetes-preserve-unknown-fields": True,
}


def _crd(doc: dict, labels: dict) -> dict:
    doc = copy.deepcopy(doc)
    doc["spec"].pop("conversion", None)  # no conversion webhooks in the lab
    if doc["metadata"]["name"] == "clusters.cluster.x-k8s.io":
        for version in doc["spec"]["versions"]:
            spec_props = version["schema"]["openAPIV3Schema"]["properties"]["spec"].setdefault("properties", {})
            spec_props.setdefault("managedExternalEtcdRef", FORK_CLUSTER_FIELD)
    md = doc.setdefault("metadata", {})
    md.setdefault("labels", {}).update(labels)
    md.get("annotations", {}).pop("cert-manager.io/inject-ca-from", None)
    return doc


def _controller(ns: str, prefix: str, deployment: str, sa: str, image: str, labels: dict,
                extra_rules: list | None = None, namespace_obj: bool = True) -> list[dict]:
    sel = {"cluster.x-k8s.io/provider": labels.get("cluster.x-k8s.io/provider", prefix),
           "control-plane": "controller-manager"} if "cluster.x-k8s.io/provider" in labels \
        else {"app.kubernetes.io/name": deployment}
    docs = []
    if namespace_obj:
        docs.append({"apiVersion": "v1", "kind": "Namespace",
                     "metadata": {"name": ns, "labels": dict(labels, **{"control-plane": "controller-manager"})}})
    docs += [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns, "labels": labels}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": f"{prefix}-leader-election-role", "namespace": ns, "labels": labels},
         "rules": [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                    "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
                   {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": f"{prefix}-leader-election-rolebinding", "namespace": ns, "labels": labels},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"{prefix}-leader-election-role"},
         "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
         "metadata": {"name": f"{prefix}-manager-role", "labels": labels},
         "rules": extra_rules or [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": f"{prefix}-manager-rolebinding", "labels": labels},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f"{prefix}-manager-role"},
         "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": deployment, "namespace": ns, "labels": dict(labels, **sel)},
         "spec": {"replicas": 1, "selector": {"matchLabels": sel},
                  "template": {"metadata": {"labels": dict(labels, **sel)},
                               "spec": {"serviceAccountName": sa, "terminationGracePeriodSeconds": 10,
                                        "containers": [{"name": "manager", "image": image,
                                                        "args": ["--leader-elect"],
                                                        "command": ["/manager"]}]}}}},
    ]
    return docs


def _metadata(p: dict) -> dict:
    major, minor = (int(x) for x in p["version"].lstrip("v").split(".")[:2])
    series = [{"major": major, "minor": minor, "contract": p["contract"]}]
    if minor > 0:
        series.append({"major": major, "minor": minor - 1, "contract": p["contract"]})
    return {"apiVersion": "clusterctl.cluster.x-k8s.io/v1alpha3", "kind": "Metadata", "releaseSeries": series}


def _webhook_service(p: dict, labels: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": f"{p['prefix']}-webhook-service", "namespace": p["ns"], "labels": labels},
            "spec": {"ports": [{"port": 443, "targetPort": 9443}],
                     "selector": {"cluster.x-k8s.io/provider": p["label"], "control-plane": "controller-manager"}}}


def _webhooks(p: dict, source: Path, labels: dict) -> list[dict]:
    """The provider's admission webhook configurations as its release renders them (kustomize: name prefix, the
    webhook Service in the provider's namespace, cert-manager's CA injection annotation)."""
    docs = []
    for d in _load_all(source):
        if d.get("kind") not in ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"):
            continue
        d = copy.deepcopy(d)
        d["metadata"]["name"] = f"{p['prefix']}-{d['metadata']['name']}"
        d["metadata"].setdefault("labels", {}).update(labels)
        d["metadata"].setdefault("annotations", {})["cert-manager.io/inject-ca-from"] = \
            f"{p['ns']}/{p['prefix']}-serving-cert"
        for w in d.get("webhooks") or []:
            svc = w["clientConfig"]["service"]
            svc["name"], svc["namespace"] = f"{p['prefix']}-webhook-service", p["ns"]
        docs.append(d)
    return docs


def _conversion(crd: dict, p: dict) -> dict:
    """A multi-version CRD converted by its provider's webhook (as released; no-op for single-version CRDs)."""
    if len([v for v in crd["spec"]["versions"] if v.get("served")]) > 1:
        crd["spec"]["conversion"] = {"strategy": "Webhook", "webhook": {
            "conversionReviewVersions": ["v1", "v1beta1"],
            "clientConfig": {"service": {"name": f"{p['prefix']}-webhook-service", "namespace": p["ns"],
                                         "path": "/convert"}}}}
        crd["metadata"].setdefault("annotations", {})["cert-manager.io/inject-ca-from"] = \
            f"{p['ns']}/{p['prefix']}-serving-cert"
    return crd


def generate(out: Path, shared: Path, webhooks_dirs: list[Path] | None = None) -> dict:
    """webhooks_dirs: with real controllers (LAB_CONTROLLERS=real), where the built providers' webhook manifests are
    (lab.webhooks_dirs()): their components then carry their admission webhooks and CRD conversion webhooks, as
    released; without, none (capi-sim serves no webhook)."""
    out = Path(out)
    sources = {}
    for wd in webhooks_dirs or []:
        sources.update({f.stem: f for f in Path(wd).glob("*.yaml")})
    crds_root = shared / "crds"
    if not crds_root.is_dir():
        raise FileNotFoundError(f"{crds_root} not found (set EKSA_SHARED_DIR)")
    repo = out / "repository"
    files: dict[str, dict] = {}
    for p in PROVIDERS:
        labels = {"cluster.x-k8s.io/provider": p["label"], "clusterctl.cluster.x-k8s.io": ""}
        crd_labels = dict(labels)
        crd_labels["cluster.x-k8s.io/v1beta1"] = "v1beta1"
        if p["contract"] == "v1beta2":
            crd_labels["cluster.x-k8s.io/v1beta2"] = "v1beta2"
        docs = _controller(p["ns"], p["prefix"], p["deployment"], p["sa"], f"{IMG}/{p['image']}:{p['version']}",
                           labels)
        seen = set()
        for g in p["crds"]:
            for f in sorted((crds_root / p["crd_dir"]).glob(g)):
                if f in seen:
                    continue
                seen.add(f)
                docs += [_crd(d, crd_labels) for d in _load_all(f) if d.get("kind") == "CustomResourceDefinition"]
        if p["key"] in sources:
            docs = [_conversion(d, p) if d["kind"] == "CustomResourceDefinition" else d for d in docs]
            docs += [_webhook_service(p, labels)] + _webhooks(p, sources[p["key"]], labels)
        d = repo / p["label"] / p["version"]
        _dump_all(d / p["file"], docs)
        _dump_all(d / "metadata.yaml", [_metadata(p)])
        files[p["key"]] = {"components": d / p["file"], "metadata": d / "metadata.yaml", "version": p["version"],
                           "provider": p}
    # cert-manager (clusterctl installs it from the `cert-manager:` url of its config)
    cm_labels = {"app.kubernetes.io/instance": "cert-manager", "app.kubernetes.io/part-of": "cert-manager"}
    cm_docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "cert-manager"}}]
    for f in sorted((crds_root / f"cert-manager-{CERT_MANAGER_VERSION}").glob("*.yaml")):
        cm_docs += [_crd(d, cm_labels) for d in _load_all(f) if d.get("kind") == "CustomResourceDefinition"]
    for name in ("cert-manager", "cert-manager-cainjector", "cert-manager-webhook"):
        cm_docs += _controller("cert-manager", name, name, name, f"{IMG}/cert-manager/{name}:{CERT_MANAGER_VERSION}",
                               dict(cm_labels, **{"app.kubernetes.io/name": name.replace("cert-manager-", "")
                                                  if name != "cert-manager" else "cert-manager"}),
                               namespace_obj=False)
    cm_file = repo / "cert-manager" / CERT_MANAGER_VERSION / "cert-manager.yaml"
    _dump_all(cm_file, cm_docs)
    # EKS Anywhere controller components
    eksa_docs = _controller("eksa-system", "eksa", "eksa-controller-manager", "eksa-controller-manager",
                            f"{IMG}/eks-anywhere-cluster-controller:{EKSA_VERSION}",
                            {"app.kubernetes.io/name": "eks-anywhere", "app.kubernetes.io/part-of": "eks-anywhere"})
    for f in sorted((crds_root / f"eks-anywhere-{EKSA_VERSION}").glob("*.yaml")):
        eksa_docs += [_crd(d, {"app.kubernetes.io/part-of": "eks-anywhere"}) for d in _load_all(f)
                      if d.get("kind") == "CustomResourceDefinition"]
    eksa_file = out / "eksa" / EKSA_VERSION / "eksa-components.yaml"
    _dump_all(eksa_file, eksa_docs)
    # Cilium (CNI manifest: only its service account, RBAC, operator Deployment and agent DaemonSet)
    cil_labels = {"app.kubernetes.io/part-of": "cilium"}
    cil = _controller("kube-system", "cilium-operator", "cilium-operator", "cilium-operator",
                      f"{IMG}/cilium/operator-generic:{CILIUM_VERSION}", cil_labels, namespace_obj=False)
    cil.append({"apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": "cilium", "namespace": "kube-system", "labels": dict(cil_labels, **{"k8s-app": "cilium"})},
                "spec": {"selector": {"matchLabels": {"k8s-app": "cilium"}},
                         "template": {"metadata": {"labels": {"k8s-app": "cilium"}},
                                      "spec": {"serviceAccountName": "cilium-operator",
                                               "containers": [{"name": "cilium-agent",
                                                               "image": f"{IMG}/cilium/cilium:{CILIUM_VERSION}"}]}}}})
    cil_file = out / "cilium" / CILIUM_VERSION / "cilium.yaml"
    _dump_all(cil_file, cil)
    # clusterctl configuration (offline: every provider from the local repository)
    cc = {
        "providers": [{"name": p["name"], "type": p["type"], "url": str(files[p["key"]]["components"])}
                      for p in PROVIDERS],
        "cert-manager": {"url": str(cm_file), "version": CERT_MANAGER_VERSION},
        "images": {},
    }
    cc_file = out / "clusterctl.yaml"
    _dump_all(cc_file, [cc])
    bundle = make_bundle(files, cm_file, eksa_file, cil_file, shared, out)
    b_file = out / "bundles.yaml"
    _dump_all(b_file, [bundle])
    return {"bundle": b_file, "clusterctl_config": cc_file, "repository": repo, "cert_manager": cm_file,
            "eksa": eksa_file, "cilium": cil_file}


def _img(name: str, tag: str) -> dict:
    return {"name": name.rsplit("/", 1)[-1], "os": "linux", "arch": ["amd64"], "uri": f"{IMG}/{name}:{tag}"}


def _file(p: Path) -> dict:
    return {"uri": str(p)}


LAB_K8S = [
    # kubeVersion, eksD name, eksD kubeVersion, channel, template base from fixture
    ("1.19", "kubernetes-1-19-eks-4", "v1.19.8", "1-19", "kubernetes-1-19-eks-4.yaml"),
    ("1.21", "kubernetes-1-21-eks-4", "v1.21.2", "1-21", "kubernetes-1-21-eks-4.yaml"),
    ("1.33", "kubernetes-1-33-eks-1", "v1.33.0", "1-33", None),  # lab-made EKS-D entry
    ("1.34", "kubernetes-1-34-eks-1", "v1.34.0", "1-34", None),  # the next minor version: day-2 upgrades 1.33 -> 1.34
]


def make_bundle(files, cm_file, eksa_file, cil_file, shared: Path, out: Path) -> dict:
    fx = shared / "eksa-reference" / "fixtures"
    vbs = []
    for kube, eksd_name, eksd_kube, channel, manifest in LAB_K8S:
        tag = f"{eksd_kube}-eks-a-lab"
        if manifest:
            manifest_uri = str(fx / manifest)
        else:
            m = out / "eksd" / f"{eksd_name}.yaml"
            _dump_all(m, [{"apiVersion": "distro.eks.amazonaws.com/v1alpha1", "kind": "Release",
                           "metadata": {"name": eksd_name},
                           "spec": {"channel": channel, "number": 1},
                           "status": {"components": [], "date": "1970-01-01T00:00:00Z"}}])
            manifest_uri = str(m)

        def prov(key, controller_img, extra=None):
            f = files[key]
            d = {"components": _file(f["components"]), "metadata": _file(f["metadata"]), "version": f["version"],
                 "kubeProxy": _img("brancz/kube-rbac-proxy", "v0.19.1")}
            if key != "vSphere":  # CAPV's controller image is vSphere.clusterAPIController
                d["controller"] = _img(controller_img, f["version"])
            d.update(extra or {})
            return d

        vb = {
            "kubeVersion": kube,
            "endOfStandardSupport": "",
            "eksD": {
                "name": eksd_name, "channel": channel, "kubeVersion": eksd_kube, "gitCommit": "0" * 40,
                "manifestUrl": manifest_uri,
                "kindNode": _img("kubernetes-sigs/kind/node", tag),
                "ova": {  # EKS Anywhere v0.26 only lists Bottlerocket OVAs (Ubuntu templates are built by users)
                    "bottlerocket": {"name": f"bottlerocket-{tag}-amd64.ova", "osName": "bottlerocket", "os": "linux",
                                     "arch": ["amd64"], "uri": f"file:///lab/ova/bottlerocket-{tag}-amd64.ova"},
                },
                "raw": {}, "ami": {}, "containerd": {}, "crictl": {}, "etcdadm": {}, "imagebuilder": {},
            },
            "clusterAPI": prov("core", "kubernetes-sigs/cluster-api/cluster-api-controller"),
            "bootstrap": prov("bootstrap", "kubernetes-sigs/cluster-api/kubeadm-bootstrap-controller"),
            "controlPlane": prov("controlPlane", "kubernetes-sigs/cluster-api/kubeadm-control-plane-controller"),
            "vSphere": prov("vSphere", "kubernetes-sigs/cluster-api-provider-vsphere/release/manager", {
                "clusterAPIController": _img("kubernetes-sigs/cluster-api-provider-vsphere/release/manager",
                                             files["vSphere"]["version"]),
                "clusterTemplate": _file(files["vSphere"]["components"]),
                "kubeVip": _img("kube-vip/kube-vip", "v0.8.10"),
                "manager": _img("kubernetes/cloud-provider-vsphere/cpi/manager", f"v{kube}.0"),
            }),
            "etcdadmBootstrap": prov("etcdadmBootstrap", "aws/etcdadm-bootstrap-provider"),
            "etcdadmController": prov("etcdadmController", "aws/etcdadm-controller"),
            "certManager": {
                "version": CERT_MANAGER_VERSION, "manifest": _file(cm_file),
                **{k: _img(f"cert-manager/cert-manager-{k}", CERT_MANAGER_VERSION)
                   for k in ("acmesolver", "cainjector", "controller", "startupapicheck", "webhook")},
            },
            "cilium": {"version": CILIUM_VERSION, "manifest": _file(cil_file),
                       "cilium": _img("cilium/cilium", CILIUM_VERSION),
                       "operator": _img("cilium/operator-generic", CILIUM_VERSION),
                       "helmChart": {"name": "cilium-chart", "uri": f"{IMG}/cilium-chart:{CILIUM_VERSION}"}},
            "eksa": {"version": EKSA_VERSION, "components": _file(eksa_file),
                     "cliTools": _img("eks-anywhere-cli-tools", EKSA_VERSION),
                     "clusterController": _img("eks-anywhere-cluster-controller", EKSA_VERSION),
                     "diagnosticCollector": _img("eks-anywhere-diagnostic-collector", EKSA_VERSION)},
            "bottlerocketHostContainers": {"admin": _img("bottlerocket-admin", "v0.11.0"),
                                           "control": _img("bottlerocket-control", "v0.7.0"),
                                           "kubeadmBootstrap": _img("bottlerocket-bootstrap", tag)},
            "flux": {"version": "v2.4.0", "helmController": _img("fluxcd/helm-controller", "v1.1.0"),
                     "kustomizeController": _img("fluxcd/kustomize-controller", "v1.4.0"),
                     "notificationController": _img("fluxcd/notification-controller", "v1.4.0"),
                     "sourceController": _img("fluxcd/source-controller", "v1.4.1")},
            "kindnetd": {"version": "v0.11.1", "manifest": _file(cil_file)},
            "packageController": {"version": "v0.4.0", "packageController": _img("eks-anywhere-packages", "v0.4.0"),
                                  "tokenRefresher": _img("ecr-token-refresher", "v0.4.0"),
                                  "helmChart": {"name": "eks-anywhere-packages",
                                                "uri": f"{IMG}/eks-anywhere-packages:0.4.0"}},
            "docker": {"version": "v1.13.5", "components": _file(files["core"]["components"]),
                       "metadata": _file(files["core"]["metadata"]),
                       "clusterTemplate": _file(files["core"]["components"]),
                       "manager": _img("kubernetes-sigs/cluster-api/capd-manager", "v1.13.5"),
                       "kubeProxy": _img("brancz/kube-rbac-proxy", "v0.19.1")},
        }
        vbs.append(vb)
    return {"apiVersion": "anywhere.eks.amazonaws.com/v1alpha1", "kind": "Bundles",
            "metadata": {"name": "bundles-lab", "namespace": "eksa-system",
                         "annotations": {"anywhere.eks.amazonaws.com/lab": "generated by tests/lab/lab_bundle.py"}},
            "spec": {"number": 1, "cliMinVersion": "v0.26.1", "cliMaxVersion": "v0.26.1", "versionsBundles": vbs}}


if __name__ == "__main__":
    import os
    o = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/lab-bundle")
    sh = Path(os.environ.get("EKSA_SHARED_DIR") or HERE.parent.parent.parent / "shared")
    print(generate(o, sh))
