"""Shared plumbing for every concern: the one private-file writer, the YAML loader and error report, addresses, and
the glue between AnsibleModule and the clients. Imports nothing from the sibling packages, except that
``module_support`` (the AnsibleModule glue: modules import it, no module_utils module does) may import k8s and tools.
"""
