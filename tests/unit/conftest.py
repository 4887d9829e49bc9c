"""Make the collection importable as ansible_collections.eksa.anywhere when it is not already."""

import json
import os
import sys
import tempfile

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED_DIR = os.environ.get("EKSA_SHARED_DIR") or os.path.abspath(os.path.join(REPO_ROOT, "..", "shared"))


def _ensure_importable():
    try:
        import ansible_collections.eksa.anywhere  # noqa: F401  pylint: disable=unused-import
        return
    except ImportError:
        pass
    top = tempfile.mkdtemp(prefix="eksa-anywhere-unit-")
    ns = os.path.join(top, "ansible_collections", "eksa")
    os.makedirs(ns)
    os.symlink(REPO_ROOT, os.path.join(ns, "anywhere"))
    sys.path.insert(0, top)
    for mod in [m for m in sys.modules if m == "ansible_collections" or m.startswith("ansible_collections.")]:
        del sys.modules[mod]


_ensure_importable()


@pytest.fixture
def shared_dir():
    if not os.path.isdir(SHARED_DIR):
        pytest.fail("shared reference data not found at %s (set EKSA_SHARED_DIR)" % SHARED_DIR)
    return SHARED_DIR


class AnsibleExitJson(Exception):
    """Raised by the patched exit_json."""


class AnsibleFailJson(Exception):
    """Raised by the patched fail_json."""


@pytest.fixture
def run_module(monkeypatch):
    """Run a module's main() with the given arguments; returns (result, failed)."""
    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    def _exit_json(self, **kwargs):
        kwargs.setdefault("changed", False)
        raise AnsibleExitJson(kwargs)

    def _fail_json(self, **kwargs):
        kwargs["failed"] = True
        raise AnsibleFailJson(kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)

    def _run(module, args, check_mode=False, diff=False):
        args = dict(args)
        args["_ansible_check_mode"] = check_mode
        args["_ansible_diff"] = diff
        args.setdefault("_ansible_remote_tmp", tempfile.gettempdir())
        args.setdefault("_ansible_keep_remote_files", False)
        monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args})))
        monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
        try:
            module.main()
        except AnsibleExitJson as exc:
            return exc.args[0], False
        except AnsibleFailJson as exc:
            return exc.args[0], True
        raise AssertionError("module returned without exit_json/fail_json")

    return _run
