"""capi_manifests lab tests: `pytest tests/integration/manifests -m lab` (the lab fixture starts the lab if needed)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration', 'lab'))
sys.path.insert(0, os.path.join(REPO, 'tests', 'unit'))
sys.path.insert(0, os.path.join(REPO, 'tests', 'unit', 'plugins', 'module_utils'))

import conftest as _unit_conftest  # noqa: E402,F401  makes ansible_collections.eksa.anywhere importable

pytest_plugins = ['lab_fixture']
