"""Cluster API: rendering the spec into manifests, naming, status/readiness and diagnostics. May import common,
spec, k8s and tools (diagnostics reads clusterctl's provider inventory); nothing imports capi but modules and
action plugins.
"""
