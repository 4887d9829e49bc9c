"""The command-line tools the workflow drives (clusterctl, kind) and the runner they share. May import common,
spec and k8s (never capi, which imports tools).
"""
