"""Cluster API: rendering the spec into manifests, naming, status/readiness and diagnostics. May import common,
spec and k8s.
"""
