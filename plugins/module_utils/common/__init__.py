"""Shared plumbing for every concern: the one private-file writer and the glue between AnsibleModule and the
clients. Imports nothing from the sibling packages.
"""
