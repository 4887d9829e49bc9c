//go:build tools

// Package tools pins the main packages the lab builds from this module: the Cluster API core manager, the
// kubeadm bootstrap and kubeadm control-plane managers (sigs.k8s.io/cluster-api) and CAPV
// (sigs.k8s.io/cluster-api-provider-vsphere). One module, so one `go build` compiles their shared packages once.
package tools

import (
	_ "sigs.k8s.io/cluster-api"
	_ "sigs.k8s.io/cluster-api-provider-vsphere"
	_ "sigs.k8s.io/cluster-api/bootstrap/kubeadm"
	_ "sigs.k8s.io/cluster-api/controlplane/kubeadm"
)
