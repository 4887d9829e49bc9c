//go:build tools

// Package tools pins the etcdadm bootstrap provider's manager (EKS Anywhere's external-etcd machines' bootstrap
// data), which the lab builds from this module.
package tools

import _ "github.com/aws/etcdadm-bootstrap-provider"
