"""poll() from the cgroup's own files (cgroup_files.py, issue 17): no launcher
call while the pinned cgroup runs; `cgspawn status` for everything else (no
pin yet, a cgroup made again, unreadable files, an exit, a new OOM kill).
First against a fake cgspawn and a fake cgroup directory, then with the
real cgspawn on the host's cgroup2 mount (as root)."""

import asyncio
import json
import logging
import os
import stat
import textwrap

import pytest
from conftest import check_json, status_json
from test_cancel import procs_below, real_root  # noqa: F401 (a fixture)

import cgroupspawner.cgroup_files as cgroup_files

UNIT = "jupyter-alice-singleuser"
OWNER = '["alice", ""]'  # ownership.owner_text


def fake_cgroup(path, populated=1, oom_kill=None):
    path.mkdir(exist_ok=True)
    (path / "cgroup.events").write_text(f"populated {populated}\nfrozen 0\n")
    if oom_kill is not None:
        (path / "memory.events").write_text(f"low 0\nhigh 0\nmax 0\noom 0\noom_kill {oom_kill}\n")
    return path


def statuses(launcher):
    return [c["argv"][1:] for c in launcher.calls() if c["argv"][1] == "status"]


async def started(make_spawner, launcher, cgroup):
    """A started spawner whose unit's cgroup is CGROUP, pinned by its first poll."""
    launcher.behave(status=[status_json("absent"), status_json("running", path=str(cgroup))])
    spawner = make_spawner()
    await spawner.start()
    assert spawner.cgroup_path == str(cgroup)
    launcher.behave(status=status_json("running", path=str(cgroup)))
    assert await spawner.poll() is None  # asks once, and pins
    return spawner


async def test_running_unit_is_polled_from_its_files(make_spawner, launcher, tmp_path):
    cgroup = fake_cgroup(tmp_path / UNIT, oom_kill=0)
    spawner = await started(make_spawner, launcher, cgroup)
    n = len(launcher.calls())
    for _ in range(3):
        assert await spawner.poll() is None
    assert len(launcher.calls()) == n, "a poll of a running, pinned unit started cgspawn"
    # the server exits: the files say so, and cgspawn status confirms and cleans up
    fake_cgroup(cgroup, populated=0)
    launcher.behave(status=status_json("exited", path=str(cgroup)))
    assert await spawner.poll() == 0
    assert [c["argv"][1:] for c in launcher.calls()[n:]] == [["status", UNIT, "--json"],
                                                               ["cleanup", UNIT]]


async def test_a_cgroup_made_again_is_asked_about_and_another_owners_is_not_adopted(
        make_spawner, launcher, tmp_path, caplog):
    cgroup = fake_cgroup(tmp_path / UNIT)
    spawner = await started(make_spawner, launcher, cgroup)
    # ours exited and another server's unit of the same name took the path
    for f in cgroup.iterdir():
        f.unlink()
    cgroup.rmdir()
    (tmp_path / "keep-the-inode-busy").mkdir()  # a new directory gets a new inode
    fake_cgroup(cgroup)
    launcher.behave(status=status_json("running", path=str(cgroup), owner='["bob", ""]'))
    n = len(statuses(launcher))
    with caplog.at_level(logging.ERROR):
        assert await spawner.poll() == 0
    assert len(statuses(launcher)) == n + 1
    assert "belongs to user 'bob'" in caplog.text
    assert await spawner.poll() == 0  # and it is forgotten, not polled again
    assert len(statuses(launcher)) == n + 1


async def test_unreadable_files_fall_back_to_cgspawn_status(make_spawner, launcher, tmp_path):
    cgroup = fake_cgroup(tmp_path / UNIT)
    spawner = await started(make_spawner, launcher, cgroup)
    (cgroup / "cgroup.events").unlink()
    n = len(statuses(launcher))
    assert await spawner.poll() is None
    assert len(statuses(launcher)) == n + 1


async def test_a_new_oom_kill_is_logged_through_cgspawn_status(make_spawner, launcher, tmp_path,
                                                               caplog):
    cgroup = fake_cgroup(tmp_path / UNIT, oom_kill=0)
    spawner = await started(make_spawner, launcher, cgroup)
    fake_cgroup(cgroup, oom_kill=1)
    launcher.behave(status=status_json("running", path=str(cgroup), oom_kill=1, memory_max=512))
    n = len(statuses(launcher))
    with caplog.at_level(logging.WARNING):
        assert await spawner.poll() is None
        assert await spawner.poll() is None
    assert len(statuses(launcher)) == n + 1  # once for the kill, then from the files again
    assert caplog.text.count("the OOM killer killed a process") == 1


async def test_no_pin_when_the_cgroup_changed_during_the_status(make_spawner, launcher, tmp_path,
                                                                 monkeypatch):
    cgroup = fake_cgroup(tmp_path / UNIT)
    real = os.stat(cgroup).st_ino
    inodes = iter([real, real + 1] * 10)  # before and after each status: never the same
    monkeypatch.setattr(cgroup_files, "inode", lambda path: next(inodes))
    launcher.behave(status=[status_json("absent"), status_json("running", path=str(cgroup))])
    spawner = make_spawner()
    await spawner.start()
    launcher.behave(status=status_json("running", path=str(cgroup)))
    for _ in range(3):
        assert await spawner.poll() is None
    assert len(statuses(launcher)) == 2 + 3


async def test_no_pin_when_status_reports_another_path(make_spawner, launcher, tmp_path):
    cgroup = fake_cgroup(tmp_path / UNIT)
    other = fake_cgroup(tmp_path / "elsewhere")
    launcher.behave(status=[status_json("absent"), status_json("running", path=str(cgroup))])
    spawner = make_spawner()
    await spawner.start()
    launcher.behave(status=status_json("running", path=str(other)))
    assert await spawner.poll() is None
    assert await spawner.poll() is None
    assert len(statuses(launcher)) == 2 + 2


# ---- one launcher call per start: `spawn --json` ----


async def test_spawn_json_names_the_cgroup_so_no_status_follows_and_polls_are_free(
        make_spawner, launcher, tmp_path):
    cgroup = fake_cgroup(tmp_path / UNIT, oom_kill=0)
    line = json.dumps({"pid": 4242, "path": str(cgroup), "cgroup_inode": os.stat(cgroup).st_ino})
    launcher.behave(spawn={"rc": 0, "stdout": line + "\n"})
    spawner = make_spawner()
    await spawner.start()
    assert "--json" in launcher.spawn_call()["argv"]
    assert [c["argv"][1] for c in launcher.calls()] == ["status", "spawn"]  # the lost-unit check
    assert (spawner.pid, spawner.cgroup_path) == (4242, str(cgroup))
    assert spawner.get_state()["cgroup_path"] == str(cgroup)
    for _ in range(3):
        assert await spawner.poll() is None
    assert len(launcher.calls()) == 2, "a poll after a --json start ran cgspawn"
    fake_cgroup(cgroup, populated=0)
    launcher.behave(status=status_json("exited", path=str(cgroup)))
    assert await spawner.poll() == 0
    assert [c["argv"][1] for c in launcher.calls()[2:]] == ["status", "cleanup"]


# ---- no `status` before the spawn when no cgroup has the unit's name ----


def delegated_root(tmp_path, *units):
    """A delegated root D with D/users, a slice holding another unit, and
    UNITS (relative paths below D/users)."""
    root = tmp_path / "D"
    (root / "users" / "group-a" / "jupyter-bob-singleuser").mkdir(parents=True)
    (root / "users" / "cgroup.procs").write_text("")
    for unit in units:
        (root / "users" / unit).mkdir(parents=True)
    return root


async def test_a_start_with_no_cgroup_of_its_name_runs_only_the_spawn(make_spawner, launcher,
                                                                     tmp_path):
    root = delegated_root(tmp_path)
    launcher.behave(check=[check_json(cgroup=str(root))])
    await make_spawner().start()
    calls = [c["argv"][1] for c in launcher.calls()]
    assert calls[:calls.index("spawn") + 1] == ["spawn"]


@pytest.mark.parametrize("where", [UNIT, f"group-b/{UNIT}"])
async def test_a_cgroup_of_its_name_anywhere_is_judged_by_status_first(make_spawner, launcher,
                                                                      tmp_path, where):
    root = delegated_root(tmp_path, where)
    launcher.behave(check=[check_json(cgroup=str(root))])
    await make_spawner().start()
    calls = [c["argv"][1] for c in launcher.calls()]
    assert calls[:calls.index("spawn") + 1] == ["status", "spawn"]


def test_unit_absent_says_so_only_when_it_could_look(tmp_path):
    root = delegated_root(tmp_path)
    assert cgroup_files.unit_absent(str(root), UNIT)
    assert not cgroup_files.unit_absent(str(root), "jupyter-bob-singleuser")  # in a slice
    assert not cgroup_files.unit_absent(str(root), "group-a")  # a slice: status judges
    assert not cgroup_files.unit_absent(str(tmp_path / "nowhere"), UNIT)
    assert not cgroup_files.unit_absent(str(root), "../users")
    os.chmod(root / "users", 0)
    try:
        if os.geteuid() != 0:
            assert not cgroup_files.unit_absent(str(root), UNIT)
    finally:
        os.chmod(root / "users", 0o755)


async def test_a_pid_alone_from_spawn_still_asks_status_for_the_cgroup(make_spawner, launcher,
                                                                       tmp_path):
    cgroup = fake_cgroup(tmp_path / UNIT)
    launcher.behave(status=[status_json("absent"), status_json("running", path=str(cgroup))])
    spawner = make_spawner()
    await spawner.start()
    assert [c["argv"][1] for c in launcher.calls()] == ["status", "spawn", "status"]
    assert (spawner.pid, spawner.cgroup_path) == (4242, str(cgroup))


def test_read_unit_reads_both_files_and_checks_the_inode(tmp_path):
    cgroup = fake_cgroup(tmp_path / UNIT, populated=1, oom_kill=2)
    ino = os.stat(cgroup).st_ino
    assert cgroup_files.read_unit(str(cgroup), ino) == (True, 2)
    assert cgroup_files.read_unit(str(cgroup), ino + 1) is None
    (cgroup / "memory.events").unlink()
    fake_cgroup(cgroup, populated=0)
    assert cgroup_files.read_unit(str(cgroup), ino) == (False, None)
    (cgroup / "cgroup.events").write_text("frozen 0\n")
    assert cgroup_files.read_unit(str(cgroup), ino) is None
    assert cgroup_files.read_unit(str(tmp_path / "absent"), ino) is None


# ---- the real cgspawn on the host's cgroup2 mount ----


def counting_wrapper(directory, binary):
    """A launcher that logs each call's subcommand, then execs BINARY."""
    log = directory / "launcher-calls.log"
    wrapper = directory / "cgspawn-counting"
    wrapper.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        echo "$1" >> {log}
        exec {binary} "$@"
        """))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return str(wrapper), lambda: log.read_text().split() if log.exists() else []


async def test_real_start_is_one_spawn_its_polls_run_no_cgspawn_and_its_exit_is_seen(
        make_spawner, real_root, tmp_path):  # noqa: F811 (the imported fixture)
    root, faults = real_root
    wrapper, calls = counting_wrapper(tmp_path, faults)
    spawner = make_spawner(cgroup_root=root, launcher_path=wrapper, username_template="nobody",
                           cmd=["/bin/sleep", "600"], log_target="stderr", env_keep=[])
    unit_dir = os.path.join(root, "users", UNIT)
    try:
        await spawner.start()
        assert spawner.cgroup_path == unit_dir and spawner.pid in procs_below(unit_dir)
        # the real check's "cgroup" is where the spawner saw no unit of its name
        assert calls() == ["check", "spawn"], f"not one launcher call per start: {calls()}"
        n = len(calls())
        for _ in range(5):
            assert await spawner.poll() is None
        assert calls()[n:] == [], f"polls of a running server started cgspawn: {calls()[n:]}"
        with open(os.path.join(unit_dir, "cgroup.kill"), "w") as f:
            f.write("1")
        # the files say "populated 1" until the kernel has reaped the server
        for _ in range(100):
            if (result := await spawner.poll()) is not None:
                break
            await asyncio.sleep(0.05)
        assert result == 0
        assert calls()[n:] == ["status", "cleanup"]
        assert not os.path.exists(unit_dir), "the exited unit's cgroup was not cleaned up"
    finally:
        await spawner.stop(now=True)
