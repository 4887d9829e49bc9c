#!/usr/bin/env bash
# The create as a user would script it by hand, for bench/create.py's baseline_cli: the same API work as
# eksa.anywhere.create_cluster with an existing bootstrap cluster, with the lab's binaries (kubectl, clusterctl) and the
# same offline clusterctl repository, the same manifests and the same waits. No Ansible, no Python.
#
#   bench/create_cli.sh NAME GENERATED_DIR SPEC_FILE WORKDIR     (with the lab's LAB_* environment)
#
# GENERATED_DIR holds the Cluster API manifests eksa.anywhere rendered for cluster NAME (<NAME>-capi-*.yaml), SPEC_FILE
# the cluster spec; both from the collection's own run, so both runs apply the same objects.
set -euo pipefail
name=$1 generated=$2 spec=$3 work=$4
kubectl="$LAB_BIN/kubectl" clusterctl="$LAB_BIN/clusterctl"
bootstrap=$LAB_BOOTSTRAP_KUBECONFIG workload="$work/$name-eks-a-cluster.kubeconfig"
bundle_dir=$(dirname "$LAB_BUNDLE")
export CLUSTERCTL_DISABLE_VERSIONCHECK=true EXP_CLUSTER_RESOURCE_SET=true
export VSPHERE_USERNAME=$LAB_VSPHERE_USERNAME VSPHERE_PASSWORD=$LAB_VSPHERE_PASSWORD

# <type>:<name>:<version> of the offline repository (its folders are <label>/<version>/)
version() { sed -n "s#.*/repository/$1/\(v[^/]*\)/.*#\1#p" "$LAB_CLUSTERCTL_CONFIG" | head -1; }
capi=$(version cluster-api) etcdadm_bootstrap=$(version bootstrap-etcdadm-bootstrap)
etcdadm_controller=$(version bootstrap-etcdadm-controller) capv=$(version infrastructure-vsphere)

providers() {  # namespace, credentials Secret, clusterctl init, wait for the provider Deployments
  local kc=$1
  "$kubectl" --kubeconfig "$kc" create namespace eksa-system --dry-run=client -o yaml | "$kubectl" --kubeconfig "$kc" apply -f -
  "$kubectl" --kubeconfig "$kc" -n eksa-system create secret generic vsphere-credentials \
    --from-literal=username="$VSPHERE_USERNAME" --from-literal=password="$VSPHERE_PASSWORD" --dry-run=client -o yaml \
    | "$kubectl" --kubeconfig "$kc" label --local -f - clusterctl.cluster.x-k8s.io/move=true -o yaml \
    | "$kubectl" --kubeconfig "$kc" apply -f - >/dev/null
  "$clusterctl" init --config "$LAB_CLUSTERCTL_CONFIG" --kubeconfig "$kc" --core "cluster-api:$capi" \
    --bootstrap "kubeadm:$capi,etcdadm-bootstrap:$etcdadm_bootstrap,etcdadm-controller:$etcdadm_controller" \
    --control-plane "kubeadm:$capi" --infrastructure "vsphere:$capv"
  for ns in capi-system capi-kubeadm-bootstrap-system capi-kubeadm-control-plane-system capv-system \
            etcdadm-bootstrap-provider-system etcdadm-controller-system cert-manager; do
    "$kubectl" --kubeconfig "$kc" -n "$ns" wait --for=condition=Available deployment --all --timeout=600s >/dev/null
  done
}

start=$SECONDS
step() { echo "[$((SECONDS - start))s] $*"; }
step "bootstrap: eksa-system, providers"
providers "$bootstrap"

step "workload: apply, wait, kubeconfig"
"$kubectl" --kubeconfig "$bootstrap" apply --server-side --force-conflicts \
  -f "$generated/$name-capi-cluster.yaml" -f "$generated/$name-capi-workers.yaml" -f "$generated/$name-capi-secrets.yaml" >/dev/null
"$kubectl" --kubeconfig "$bootstrap" -n eksa-system wait --for=jsonpath='{.status.ready}'=true \
  "etcdadmclusters.etcdcluster.cluster.x-k8s.io/$name-etcd" --timeout=3600s
"$kubectl" --kubeconfig "$bootstrap" -n eksa-system wait --for=condition=Available \
  "kubeadmcontrolplanes.controlplane.cluster.x-k8s.io/$name" --timeout=3600s
"$kubectl" --kubeconfig "$bootstrap" -n eksa-system wait --for=condition=Available \
  machinedeployments.cluster.x-k8s.io -l "cluster.x-k8s.io/cluster-name=$name" --timeout=3600s
"$kubectl" --kubeconfig "$bootstrap" -n eksa-system get secret "$name-kubeconfig" -o jsonpath='{.data.value}' \
  | base64 -d >"$workload"
chmod 0600 "$workload"

step "networking: Cilium, StorageClass"
"$kubectl" --kubeconfig "$workload" apply --server-side --force-conflicts -f "$(ls "$bundle_dir"/cilium/*/cilium.yaml)" >/dev/null
"$kubectl" --kubeconfig "$workload" -n kube-system create configmap cilium-config --from-literal=enable-policy=default \
  --dry-run=client -o yaml | "$kubectl" --kubeconfig "$workload" apply --server-side --force-conflicts -f - >/dev/null
"$kubectl" --kubeconfig "$workload" apply -f - <<'EOF'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: csi.vsphere.vmware.com
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
EOF

step "move: providers on the workload cluster, clusterctl move"
providers "$workload"
"$kubectl" --kubeconfig "$bootstrap" -n eksa-system wait --for=condition=Available "clusters.cluster.x-k8s.io/$name" --timeout=600s
"$clusterctl" move --kubeconfig "$bootstrap" --to-kubeconfig "$workload" --namespace eksa-system

step "eksa-components: components, the spec's objects"
"$kubectl" --kubeconfig "$workload" apply --server-side --force-conflicts -f "$(ls "$bundle_dir"/eksa/*/eksa-components.yaml)" >/dev/null
"$kubectl" --kubeconfig "$workload" apply --server-side --force-conflicts -f "$spec"
"$kubectl" --kubeconfig "$workload" annotate --overwrite -f "$spec" anywhere.eks.amazonaws.com/managed-by-cli=true \
  anywhere.eks.amazonaws.com/paused=true

step "finalize: spec file, nodes"
cp "$spec" "$work/$name-eks-a-cluster.yaml"
"$kubectl" --kubeconfig "$workload" get nodes
step "done"
