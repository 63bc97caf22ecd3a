"""start/poll/stop, state, errors and the sudo mode against a fake cgspawn."""

import logging

import pytest
from conftest import status_json

from cgroupspawner import CgroupSpawner, CgroupSpawnerConfigError, LauncherError

UNIT = "jupyter-alice-singleuser"
OWNER = '["alice", ""]'  # ownership.owner_text
CGROUP = f"/sys/fs/cgroup/system.slice/jupyterhub.service/users/{UNIT}"


def argvs(launcher):
    return [c["argv"][1:] for c in launcher.calls()]


# ---- start ----


async def test_start_sequence_and_result(make_spawner, launcher):
    launcher.behave(status=[status_json("absent"), status_json("running")])
    spawner = make_spawner()
    ip, port = await spawner.start()
    assert (ip, port) == ("127.0.0.1", spawner.port)
    assert 0 < port < 65536
    calls = argvs(launcher)
    assert calls[0] == ["status", UNIT, "--json"]
    assert calls[1][0] == "spawn"
    assert calls[2] == ["status", UNIT, "--json"]
    assert len(calls) == 3
    assert spawner.pid == 4242
    assert spawner.cgroup_path == CGROUP


async def test_start_uses_ip_and_fresh_port(make_spawner, launcher):
    spawner = make_spawner(ip="10.0.0.5")
    ip, port1 = await spawner.start()
    assert ip == "10.0.0.5"
    await spawner.stop()
    _, port2 = await spawner.start()
    # a random port is chosen again for each start (it may repeat by chance)
    assert isinstance(port2, int) and port2 > 0


async def test_configured_port_kept(make_spawner, launcher):
    spawner = make_spawner(port=18888)
    assert (await spawner.start())[1] == 18888
    assert launcher.spawn_env()["JUPYTERHUB_SERVICE_URL"].endswith(":18888/")


async def test_start_stops_a_lost_running_unit(make_spawner, launcher, caplog):
    launcher.behave(status=[status_json("running"), status_json("running")])
    spawner = make_spawner(stop_timeout=3)
    with caplog.at_level(logging.WARNING):
        await spawner.start()
    calls = argvs(launcher)
    assert [c[0] for c in calls] == ["status", "stop", "spawn", "status"]
    assert calls[1] == ["stop", UNIT, "--timeout", "3", "--owner", OWNER]
    assert "already running but unknown to JupyterHub" in caplog.text


# ---- errors ----


async def test_spawn_failure_carries_cgspawn_message(make_spawner, launcher):
    message = (
        "cgspawn: error: check user: user 'alice' has uid 0: refusing to run a server as root"
        " (pass --allow-root)"
    )
    launcher.behave(
        spawn={"rc": 2, "stderr": "cgspawn: warning: io controller not enabled\n" + message + "\n"}
    )
    spawner = make_spawner()
    with pytest.raises(LauncherError) as info:
        await spawner.start()
    err = info.value
    assert message in str(err)
    assert "warning" not in str(err)
    assert "exit status 2" in str(err)
    # JupyterHub shows this on the spawn page: "Spawn failed: <jupyterhub_message>"
    assert err.jupyterhub_message == str(err)
    assert err.returncode == 2
    assert "io controller" in err.stderr
    # and the hub does not think it runs
    assert await spawner.poll() == 0


async def test_spawn_failure_without_error_prefix(make_spawner, launcher):
    launcher.behave(spawn={"rc": 1, "stderr": "sudo: a password is required\n"})
    spawner = make_spawner()
    with pytest.raises(LauncherError, match="sudo: a password is required.*exit status 1"):
        await spawner.start()


async def test_exec_failure_statuses(make_spawner, launcher):
    launcher.behave(
        spawn={"rc": 127, "stderr": "cgspawn: error: exec jupyterhub-singleuser: not found in PATH\n"}
    )
    with pytest.raises(LauncherError, match="not found in PATH.*exit status 127"):
        await make_spawner().start()


async def test_missing_launcher(make_spawner, tmp_path):
    spawner = make_spawner(launcher_path=str(tmp_path / "nope" / "cgspawn"))
    # the first call is the preflight's `cgspawn check`
    with pytest.raises(CgroupSpawnerConfigError, match="cannot run .*nope/cgspawn"):
        await spawner.start()


async def test_status_error_raises(make_spawner, launcher):
    spawner = make_spawner()
    await spawner.start()
    launcher.behave(status={"rc": 2, "stderr": "cgspawn: error: resolve cgroup root: refusing\n"})
    with pytest.raises(LauncherError, match="resolve cgroup root"):
        await spawner.poll()


async def test_status_garbage_raises(make_spawner, launcher):
    spawner = make_spawner()
    await spawner.start()
    launcher.behave(status={"rc": 0, "stdout": "running\n"})
    with pytest.raises(LauncherError, match="not JSON"):
        await spawner.poll()


async def test_stop_failure_raises(make_spawner, launcher):
    spawner = make_spawner()
    await spawner.start()
    launcher.behave(stop={"rc": 1, "stderr": "cgspawn: error: kill unit: Permission denied\n"})
    with pytest.raises(LauncherError, match="Permission denied"):
        await spawner.stop()


# ---- poll ----


async def test_poll_before_anything_is_zero_without_asking(make_spawner, launcher):
    assert await make_spawner().poll() == 0
    assert launcher.calls() == []


def with_server_record(spawner):
    """As JupyterHub makes it in User.spawn, before start() (or after a
    restart, for a record whose state was never saved)."""
    from jupyterhub import orm
    from jupyterhub.objects import Server

    record = orm.Server(
        proto="http", ip="", port=0, base_url="/user/alice/", cookie_name="jupyterhub-user-alice"
    )
    spawner.server = Server(orm_server=record)
    return spawner


@pytest.mark.parametrize("saved", [{}, {"unit_name": UNIT}], ids=["first-start", "after-a-stop"])
@pytest.mark.parametrize("state", ["running", "exited"])
async def test_poll_after_a_start_the_hub_never_finished_stops_its_unit(
    make_spawner, launcher, caplog, state, saved
):
    """The hub was killed during start(): its restart polls a server record
    whose saved state is older than that start (none, or the name a stop
    left). The unit that start left must not outlive it."""
    spawner = with_server_record(make_spawner())
    spawner.load_state(saved)
    launcher.behave(status=status_json(state))
    assert await spawner.poll() == 0
    assert argvs(launcher)[-2:] == [["status", UNIT, "--json"], ["stop", UNIT, "--timeout", "1", "--owner", OWNER]]
    assert f"unit {UNIT} is {state} from a start the hub did not finish" in caplog.text


async def test_poll_after_a_start_the_hub_never_finished_with_nothing_left(make_spawner, launcher):
    spawner = with_server_record(make_spawner())
    launcher.behave(status=status_json("absent"))
    assert await spawner.poll() == 0
    assert argvs(launcher) == [["status", UNIT, "--json"]]


async def test_poll_after_a_lost_start_under_the_templates_name_stops_that_unit(make_spawner, launcher):
    """The state kept an older name (a stop before the upgrade); the start
    the hub died in ran under the template's (_take_template_name)."""
    spawner = with_server_record(make_spawner())
    spawner.load_state({"unit_name": "jupyter-alice-old"})
    launcher.behave(status=[status_json("absent"), status_json("running")])
    assert await spawner.poll() == 0
    assert argvs(launcher) == [["status", "jupyter-alice-old", "--json"], ["status", UNIT, "--json"],
                               ["stop", UNIT, "--timeout", "1", "--owner", OWNER]]


async def test_poll_running(make_spawner, launcher):
    spawner = make_spawner()
    await spawner.start()
    launcher.behave(status=status_json("running"))
    assert await spawner.poll() is None
    assert argvs(launcher)[-1] == ["status", UNIT, "--json"]
    assert launcher.calls_of("cleanup") == []


async def test_poll_exited_cleans_up(make_spawner, launcher):
    spawner = make_spawner()
    await spawner.start()
    launcher.behave(status=status_json("exited"))
    assert await spawner.poll() == 0
    assert argvs(launcher)[-2:] == [["status", UNIT, "--json"], ["cleanup", UNIT]]
    # noticed once: the next poll does not ask again
    n = len(launcher.calls())
    assert await spawner.poll() == 0
    assert len(launcher.calls()) == n


async def test_poll_absent(make_spawner, launcher):
    spawner = make_spawner()
    await spawner.start()
    launcher.behave(status=status_json("absent"))
    assert await spawner.poll() == 0
    assert launcher.calls_of("cleanup") == []


async def test_poll_exited_after_oom(make_spawner, launcher, caplog):
    spawner = make_spawner()
    await spawner.start()
    launcher.behave(
        status=status_json("exited", oom_kill=3, memory_max=1073741824, memory_peak=1073741824)
    )
    with caplog.at_level(logging.WARNING):
        assert await spawner.poll() == 1
    assert "exited after OOM kills" in caplog.text
    assert "oom_kill=3" in caplog.text
    assert "memory_max=1073741824" in caplog.text
    assert "memory_peak=1073741824" in caplog.text
    assert argvs(launcher)[-1] == ["cleanup", UNIT]


async def test_poll_running_oom_logged_once(make_spawner, launcher, caplog):
    spawner = make_spawner()
    await spawner.start()
    launcher.behave(
        status=[
            status_json("running", oom_kill=1, memory_max=512, memory_peak=512),
            status_json("running", oom_kill=1, memory_max=512, memory_peak=512),
            status_json("running", oom_kill=2, memory_max=512, memory_peak=512),
        ]
    )
    with caplog.at_level(logging.WARNING):
        assert await spawner.poll() is None
        assert caplog.text.count("the OOM killer killed a process") == 1
        assert await spawner.poll() is None
        assert caplog.text.count("the OOM killer killed a process") == 1
        assert await spawner.poll() is None
        assert caplog.text.count("the OOM killer killed a process") == 2
    assert "oom_kill=2 memory_max=512 memory_peak=512" in caplog.text


# ---- stop ----


@pytest.mark.parametrize(
    "traits, now, timeout",
    [({}, False, "10"), ({}, True, "0"), ({"stop_timeout": 2.5}, False, "2.5"), ({"stop_timeout": 30}, True, "0")],
)
async def test_stop(make_spawner, launcher, traits, now, timeout):
    spawner = make_spawner(**traits)
    await spawner.start()
    await spawner.stop(now=now)
    assert argvs(launcher)[-1] == ["stop", UNIT, "--timeout", timeout, "--owner", OWNER]
    # stopped: poll does not report it running
    assert await spawner.poll() == 0


# ---- state ----


async def test_state_round_trip(make_spawner, launcher):
    launcher.behave(status=[status_json("absent"), status_json("running")])
    spawner = make_spawner(server_name="gpu")
    await spawner.start()
    state = spawner.get_state()
    assert state == {
        "unit_name": f"{UNIT}-gpu",
        "cgroup_path": f"/sys/fs/cgroup/system.slice/jupyterhub.service/users/{UNIT}",
        "pid": 4242,
    }

    # a hub restart (cleanup_servers = False), with the template changed meanwhile
    restarted = make_spawner(server_name="gpu", unit_name_template="new-{USERNAME}")
    assert restarted.unit_name == "new-alice-gpu"
    restarted.load_state(state)
    assert restarted.unit_name == f"{UNIT}-gpu"
    assert restarted.cgroup_path == state["cgroup_path"]
    assert restarted.pid == 4242
    launcher.behave(status=status_json("running", unit=f"{UNIT}-gpu"))
    assert await restarted.poll() is None
    assert argvs(launcher)[-1] == ["status", f"{UNIT}-gpu", "--json"]
    assert restarted.get_state() == state

    await restarted.stop()
    assert argvs(launcher)[-1][:2] == ["stop", f"{UNIT}-gpu"]
    restarted.clear_state()
    # the unit name is kept, the server's figures are not
    assert restarted.get_state() == {"unit_name": f"{UNIT}-gpu"}
    assert await restarted.poll() == 0


def test_load_empty_state(make_spawner):
    spawner = make_spawner()
    spawner.load_state({})
    assert spawner.unit_name == UNIT
    assert spawner.get_state() == {"unit_name": UNIT}


async def test_poll_during_start_is_running(make_spawner, launcher):
    import asyncio

    spawner = make_spawner()
    launcher.behave(spawn={"rc": 0, "stdout": "1\n"})
    task = asyncio.ensure_future(spawner.start())
    await asyncio.sleep(0)
    assert await spawner.poll() is None
    await task


# ---- sudo ----


async def test_sudo_prefixes_every_call(make_spawner, launcher, fake_sudo):
    spawner = make_spawner(sudo=True)
    await spawner.start()
    await spawner.poll()
    await spawner.stop()
    sudo_calls = fake_sudo()
    launcher_calls = launcher.calls(include_check=True)
    assert len(sudo_calls) == len(launcher_calls) >= 5
    assert launcher_calls[0]["argv"][1] == "check"
    for sudo_argv, call in zip(sudo_calls, launcher_calls):
        assert sudo_argv == ["-n", *call["argv"]]
        assert call["argv"][0] == str(launcher.path)
    # the environment still arrives on the launcher's stdin through sudo
    assert spawner.api_token.encode() in launcher.spawn_call()["stdin"]
    spawn_sudo = [a for a in sudo_calls if a[2] == "spawn"][0]
    assert spawner.api_token not in " ".join(spawn_sudo)


def test_sudo_argv(make_spawner, launcher):
    spawner = make_spawner(sudo=True)
    import pwd as _pwd

    pw = _pwd.struct_passwd(("alice", "x", 1001, 1001, "", "/home/alice", "/bin/sh"))
    argv = spawner.build_spawn_argv(pw)
    assert argv[:4] == ["sudo", "-n", str(launcher.path), "spawn"]
    assert make_spawner().build_spawn_argv(pw)[:2] == [str(launcher.path), "spawn"]


# ---- launcher_path default ----


def test_launcher_path_default(db, monkeypatch, tmp_path):
    import cgroupspawner.options as mod

    from conftest import orm, User, Hub

    orm_user = orm.User.find(db, "alice") or orm.User(name="alice")
    db.add(orm_user)
    db.commit()
    user = User(orm_user, {})

    def fresh():
        return user._new_spawner("", spawner_class=CgroupSpawner, hub=Hub())

    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "cgspawn").write_text("#!/bin/sh\n")
    (bindir / "cgspawn").chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))
    real_exists = mod.os.path.exists

    monkeypatch.setattr(mod.os.path, "exists", lambda p: False if p == "/usr/sbin/cgspawn" else real_exists(p))
    assert fresh().launcher_path == str(bindir / "cgspawn")
    monkeypatch.setattr(mod.os.path, "exists", lambda p: True if p == "/usr/sbin/cgspawn" else real_exists(p))
    assert fresh().launcher_path == "/usr/sbin/cgspawn"
    monkeypatch.setattr(mod.os.path, "exists", lambda p: False)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert fresh().launcher_path == "/usr/sbin/cgspawn"


# ---- the server's output when it inherits cgspawn's stdout/stderr ----


async def test_start_does_not_wait_for_inherited_pipes(make_spawner, launcher, caplog, tmp_path):
    import asyncio

    launcher.behave(
        spawn={
            "rc": 0,
            "stdout": "4242\n",
            "stderr": "cgspawn: info: started unit\ncgspawn: warning: no journald\n",
            "server": "echo out-line; echo err-line >&2; sleep 1; echo late-line; sleep 4;"
            f" touch {tmp_path}/server-ended",
        }
    )
    spawner = make_spawner(log_target="stderr")
    with caplog.at_level(logging.INFO):
        await spawner.start()
        # a marker, not a stopwatch: the host may be slow, the order is what counts
        assert not (tmp_path / "server-ended").exists(), "start() waited for the server's end"
        assert spawner.pid == 4242
        assert spawner._output is not None
        for _ in range(600):
            if not spawner._output.open:
                break
            await asyncio.sleep(0.05)
        assert not spawner._output.open
    argv = launcher.spawn_call()["argv"]
    assert argv[argv.index("--") - 2 : argv.index("--")] == ["--log-target", "stderr"]
    text = caplog.text
    for line in ("out-line", "err-line", "late-line"):
        assert f"[{UNIT}] {line}" in text
    assert "cgspawn: warning: no journald" in text
    assert f"[{UNIT}] cgspawn" not in text


async def test_stop_closes_forwarded_pipes(make_spawner, launcher):
    launcher.behave(spawn={"rc": 0, "stdout": "4242\n", "server": "sleep 3"})
    spawner = make_spawner()
    await spawner.start()
    output = spawner._output
    assert output is not None and output.open
    await spawner.stop()
    assert not output.open and spawner._output is None


async def test_restored_unit_name_gives_way_to_the_template_at_the_next_start(make_spawner, launcher):
    """A name kept in the state (from before escaping, or an old template)
    is checked for a lost server, then the template's name is used: old
    names could collide with another user's (issue 16)."""
    spawner = make_spawner(unit_name_template="new-{USERNAME}")
    spawner.load_state({"unit_name": UNIT})
    await spawner.start()
    argv = launcher.spawn_call()["argv"]
    assert argv[argv.index("--unit") + 1] == "new-alice"
    assert argvs(launcher)[:2] == [["status", UNIT, "--json"], ["status", "new-alice", "--json"]]
    assert spawner.get_state()["unit_name"] == "new-alice"
