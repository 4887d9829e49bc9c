"""The vSphere client (pyvmomi, independent of AnsibleModule), the preflight checks and the shared vSphere
argument spec. May import common and spec.
"""
