"""The Kubernetes client facade, server-side apply and the shared Kubernetes argument spec. May import common
only.
"""
