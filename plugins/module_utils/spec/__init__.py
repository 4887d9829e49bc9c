"""The EKS Anywhere spec model: bounded YAML loading, schema, defaults, validation, templates, and the release
(Bundles) it resolves to. May import common only.
"""
