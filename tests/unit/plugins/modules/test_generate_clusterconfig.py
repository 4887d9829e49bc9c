import os
import stat

from ansible_collections.eksa.anywhere.plugins.modules import generate_clusterconfig


def test_writes_then_is_idempotent(run_module, tmp_path):
    dest = str(tmp_path / "mgmt.yaml")
    result, failed = run_module(generate_clusterconfig, {"name": "mgmt", "dest": dest, "mode": "0600"})
    assert not failed and result["changed"]
    assert os.path.exists(dest)
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    result, failed = run_module(generate_clusterconfig, {"name": "mgmt", "dest": dest, "mode": "0600"})
    assert not failed and not result["changed"]


def test_check_mode_writes_nothing_and_diff(run_module, tmp_path):
    dest = str(tmp_path / "mgmt.yaml")
    result, failed = run_module(generate_clusterconfig, {"name": "mgmt", "dest": dest}, check_mode=True, diff=True)
    assert not failed and result["changed"]
    assert result["diff"]["after"].startswith("apiVersion")
    assert not os.path.exists(dest)


def test_existing_filled_spec_left_alone_unless_force(run_module, tmp_path):
    dest = tmp_path / "mgmt.yaml"
    dest.write_text("filled in\n")
    result, failed = run_module(generate_clusterconfig, {"name": "mgmt", "dest": str(dest)})
    assert not failed and not result["changed"] and result["skipped_existing"]
    assert dest.read_text() == "filled in\n"
    result, failed = run_module(generate_clusterconfig, {"name": "mgmt", "dest": str(dest), "force": True})
    assert not failed and result["changed"]
    assert dest.read_text().startswith("apiVersion")


def test_bad_name_fails_cleanly(run_module, tmp_path):
    result, failed = run_module(generate_clusterconfig, {"name": "9-bad", "dest": str(tmp_path / "x.yaml")})
    assert failed
    assert "must start with a letter" in result["msg"]
    assert not (tmp_path / "x.yaml").exists()


def test_missing_directory_fails_cleanly(run_module, tmp_path):
    result, failed = run_module(generate_clusterconfig, {"name": "mgmt", "dest": str(tmp_path / "nope" / "x.yaml")})
    assert failed
    assert "does not exist" in result["msg"]


def test_without_dest_returns_content(run_module):
    result, failed = run_module(generate_clusterconfig, {"name": "dev", "provider": "docker"})
    assert not failed and not result["changed"]
    assert "DockerDatacenterConfig" in result["content"]


def test_a_trailing_newline_in_the_name_is_refused(run_module, tmp_path):
    result, failed = run_module(generate_clusterconfig, {"name": "test\n", "dest": str(tmp_path / "x.yaml")})
    assert failed and not (tmp_path / "x.yaml").exists()
    result, failed = run_module(generate_clusterconfig, {"name": "t", "kubernetes_version": "1.33\n"})
    assert failed


def test_a_link_at_dest_is_refused_and_its_target_untouched(run_module, tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("keep")
    os.symlink(str(target), str(tmp_path / "mgmt.yaml"))
    result, failed = run_module(generate_clusterconfig, {"name": "mgmt", "dest": str(tmp_path / "mgmt.yaml"), "force": True})
    assert failed and "symbolic link" in result["msg"] and str(tmp_path / "mgmt.yaml") in result["msg"]
    assert target.read_text() == "keep"


def test_no_predictable_temporary_name_and_0644_whatever_the_umask(run_module, tmp_path):
    dest = tmp_path / "mgmt.yaml"
    planted = tmp_path / ("mgmt.yaml.tmp-%d" % os.getpid())  # the old predictable name: a link planted there
    victim = tmp_path / "victim"
    victim.write_text("keep")
    os.symlink(str(victim), str(planted))
    old = os.umask(0)
    try:
        result, failed = run_module(generate_clusterconfig, {"name": "mgmt", "dest": str(dest)})
    finally:
        os.umask(old)
    assert not failed and result["changed"]
    assert victim.read_text() == "keep"
    assert stat.S_IMODE(os.stat(str(dest)).st_mode) == 0o644
    assert sorted(os.listdir(str(tmp_path))) == ["mgmt.yaml", planted.name, "victim"]
