"""Kubernetes client lab tests: `pytest tests/integration/k8s -m lab` (the lab fixture starts the lab if needed)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..', '..'))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration', 'lab'))
sys.path.insert(0, os.path.join(REPO, 'tests', 'unit'))
sys.path.insert(0, os.path.join(REPO, 'tests', 'unit', 'plugins', 'module_utils'))

import importlib.util  # noqa: E402  pylint: disable=wrong-import-position

# the unit tests' conftest makes ansible_collections.eksa.anywhere importable; load it under a name of its own
_SPEC = importlib.util.spec_from_file_location('eksa_unit_conftest', os.path.join(REPO, 'tests', 'unit', 'conftest.py'))
_UNIT = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_UNIT)

from lab_fixture import lab, pytest_configure  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import

run_module = _UNIT.run_module  # the unit tests' module runner (exit_json/fail_json captured; the transport is real)
