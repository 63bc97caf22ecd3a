"""Smoke test: `cgspawn init` built the delegated layout D/hub + D/users."""
import os

from conftest import CGSPAWN, cgspawn, own_cgroup, read

CONTROLLERS = {"cpu", "memory", "pids"}


def test_init_layout(delegated):
    hub = os.path.join(delegated, "hub")
    users = os.path.join(delegated, "users")
    assert os.path.isdir(hub), f"{hub} missing after cgspawn init"
    assert os.path.isdir(users), f"{users} missing after cgspawn init"
    assert own_cgroup().endswith("/cgspawn-hub.service/hub"), (
        f"the hub's own process was not moved into D/hub: {own_cgroup()}")
    assert str(os.getpid()) in read(os.path.join(hub, "cgroup.procs")).split()
    assert read(os.path.join(delegated, "cgroup.procs")).strip() == "", (
        "D must hold no process itself once controllers are enabled")
    for d in (delegated, users):
        enabled = set(read(os.path.join(d, "cgroup.subtree_control")).split())
        assert CONTROLLERS <= enabled, f"{d}/cgroup.subtree_control = {enabled}"


def test_init_is_idempotent(delegated):
    before = {d: read(os.path.join(delegated, d, "cgroup.subtree_control"))
              for d in ("", "users")}
    r = cgspawn("init")
    assert r.returncode == 0, f"second `{CGSPAWN} init` failed: {r.stderr}"
    after = {d: read(os.path.join(delegated, d, "cgroup.subtree_control"))
             for d in ("", "users")}
    assert after == before
    assert own_cgroup().endswith("/hub")


def test_check_passes(delegated):
    r = cgspawn("check", timeout=300)
    assert r.returncode == 0, f"`cgspawn check` in the guest exited {r.returncode}: {r.stdout} {r.stderr}"
