"""A cancelled start() and a stop() during a start (issue 15).

From JupyterHub 5.1 start() is cancelled when start_timeout expires and when
the pending server is stopped; 3.0 does not cancel, it calls stop() while
start() still runs. Either way nothing of that start may run afterwards and
nothing may race: the launcher is ended, then the unit is stopped.

Against the fake cgspawn (its "hang" holds a call open) and, as root where a
cgroup2 mount exists, against the real cgspawn-faults paused in its spawn
(CGSPAWN_PAUSE_AT) in a cgroup of its own.
"""

import asyncio
import os
import pwd
import time

import pytest

import cgroupspawner.launcher as launcher_module
import cgroupspawner.request as request_module
from real_cgspawn import cgroup2_mount, cgspawn_binary

UNIT = "jupyter-alice-singleuser"
OWNER = '["alice", ""]'  # ownership.owner_text
REAL_GETPWNAM = pwd.getpwnam  # before conftest's fake_passwd replaces it


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


async def wait_until(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def started_and_cancelled(spawner, until, what):
    """start() as a task, cancelled once UNTIL() holds; returns when the
    cancellation has run its course (as asyncio.wait_for does)."""
    task = asyncio.ensure_future(spawner.start())
    await wait_until(lambda: until() or task.done(), what)
    if task.done():
        raise AssertionError(f"start() ended before {what}: {task.result()}")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# ---- the fake cgspawn ----


@pytest.mark.parametrize("sub", ["spawn", "status", "check"])
async def test_cancelled_start_ends_the_launcher_then_stops_the_unit(make_spawner, launcher, sub,
                                                                     caplog):
    launcher.behave(**{sub: {"rc": 0 if sub != "status" else 3, "hang": 30,
                             "stdout": {"spawn": "4242\n", "status": '{"state": "absent"}\n',
                                        "check": "{}\n"}[sub]}})
    spawner = make_spawner()
    await started_and_cancelled(spawner, lambda: launcher.calls_of(sub), f"cgspawn {sub}")
    hung = launcher.calls_of(sub)[0]
    assert not alive(hung["pid"]), f"the cancelled cgspawn {sub} still runs"
    assert launcher.finished() == [], "the cancelled call ran to its end"
    # then the unit was stopped at once, after the launcher had ended
    stops = launcher.calls_of("stop")
    assert [c["argv"][1:] for c in stops] == [["stop", UNIT, "--timeout", "0", "--owner", OWNER]]
    assert "was cancelled: stopping what it started" in caplog.text
    # nothing left for the hub: not running, and the next start works
    launcher.behave()
    assert await spawner.poll() == 0
    assert await spawner.start() == ("127.0.0.1", spawner.port)


async def test_stop_during_a_start_waits_for_it_then_stops(make_spawner, launcher):
    """JupyterHub 3.0 after start_timeout: stop() while start() still runs."""
    launcher.behave(spawn={"rc": 0, "stdout": "4242\n", "hang": 1.5})
    spawner = make_spawner()
    task = asyncio.ensure_future(spawner.start())
    await wait_until(lambda: launcher.calls_of("spawn"), "cgspawn spawn")
    assert await spawner.poll() is None  # still starting
    await spawner.stop()
    assert task.done() and task.result() == ("127.0.0.1", spawner.port)
    [finished] = launcher.finished()
    [stop] = launcher.calls_of("stop")
    assert stop["t"] > finished["t"], "stop ran while the spawn was still running"
    assert await spawner.poll() == 0


async def test_a_second_cancellation_does_not_cut_the_cleanup_short(make_spawner, launcher):
    launcher.behave(spawn={"rc": 0, "stdout": "4242\n", "hang": 30},
                    stop={"rc": 0, "hang": 1})
    spawner = make_spawner()
    task = asyncio.ensure_future(spawner.start())
    await wait_until(lambda: launcher.calls_of("spawn"), "cgspawn spawn")
    task.cancel()
    await wait_until(lambda: launcher.calls_of("stop"), "the cleanup's cgspawn stop")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # the stop still runs to its end, and a stop() of the hub waits for it
    await spawner.stop()
    finished = [f["sub"] for f in launcher.finished()]
    assert finished[:1] == ["stop"], finished


# ---- the real cgspawn, paused mid-spawn ----


@pytest.fixture
def real_root(monkeypatch):
    """A delegated root of our own on the cgroup2 mount (`cgspawn init`
    done), the real passwd, and cgspawn-faults as the launcher."""
    mount = cgroup2_mount()
    if mount is None or os.geteuid() != 0:
        pytest.skip("needs root and a cgroup2 mount (the fake-cgspawn tests above still run)")
    faults = os.path.join(os.path.dirname(cgspawn_binary()), "cgspawn-faults")
    assert os.access(faults, os.X_OK), f"{faults} is missing: build the cgspawn-faults target"
    root = os.path.join(mount, f"cgspawn-test-cancel-{os.getpid()}")
    os.mkdir(root)
    monkeypatch.setattr(request_module.pwd, "getpwnam", REAL_GETPWNAM)
    try:
        rc = os.spawnv(os.P_WAIT, faults, [faults, "init", "--cgroup-root", root])
        assert rc == 0, f"cgspawn init --cgroup-root {root} exited {rc}"
        yield root, faults
    finally:
        remove_lock_files(root)
        remove_tree(root)


def remove_lock_files(root):
    """cgroup/locks.hpp: /run/cgspawn/{users-INO,unit-INO-NAME}.lock, INO of
    D/users; a cgspawn killed while it held one leaves its file."""
    try:
        ino = os.stat(os.path.join(root, "users")).st_ino
        names = os.listdir("/run/cgspawn")
    except OSError:
        return
    for name in names:
        if name == f"users-{ino}.lock" or name.startswith(f"unit-{ino}-"):
            os.unlink(os.path.join("/run/cgspawn", name))


def remove_tree(root):
    """Kill what is left below ROOT and remove it, leaves first."""
    for path, dirs, _ in sorted(os.walk(root), key=lambda e: -e[0].count("/")):
        if os.path.exists(os.path.join(path, "cgroup.kill")):
            with open(os.path.join(path, "cgroup.kill"), "w") as f:
                f.write("1")
        for _ in range(200):
            try:
                os.rmdir(path)
                break
            except OSError:
                time.sleep(0.05)


def procs_below(root):
    found = []
    for path, _, files in os.walk(root):
        if "cgroup.procs" in files:
            with open(os.path.join(path, "cgroup.procs")) as f:
                found += [int(p) for p in f.read().split()]
    return found


def stopped_processes_of(binary):
    """Our cgspawn-faults processes that stopped themselves (CGSPAWN_PAUSE_AT):
    this process's children only, as ctest runs the C++ FaultCli tests, which
    pause cgspawn-faults too, beside this suite."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if not entry.isdigit() or os.readlink(f"/proc/{entry}/exe") != binary:
                continue
            with open(f"/proc/{entry}/stat") as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
            if state == "T" and int(ppid) == os.getpid():
                found.append(int(entry))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("step", ["unit-locked", "cgroup", "limits", "forked"])
async def test_cancelled_real_spawn_leaves_nothing_and_the_next_start_works(
    make_spawner, real_root, monkeypatch, step
):
    root, faults = real_root
    spawner = make_spawner(cgroup_root=root, launcher_path=faults, username_template="nobody",
                           cmd=["/bin/sleep", "600"], log_target="stderr", env_keep=[])
    unit_dir = os.path.join(root, "users", UNIT)
    monkeypatch.setitem(launcher_module.LAUNCHER_ENV, "CGSPAWN_PAUSE_AT", step)
    await started_and_cancelled(spawner, lambda: stopped_processes_of(os.path.realpath(faults)),
                                f"cgspawn-faults to pause at {step}")
    assert stopped_processes_of(os.path.realpath(faults)) == [], "the paused cgspawn still runs"
    assert not os.path.exists(unit_dir), f"{unit_dir} outlived the cancelled start"
    assert procs_below(root) == [], "a process of the cancelled start still runs"
    assert await spawner.poll() == 0
    # and the next start works (no pause), its server runs until stopped
    monkeypatch.delitem(launcher_module.LAUNCHER_ENV, "CGSPAWN_PAUSE_AT")
    await spawner.start()
    assert spawner.pid in procs_below(unit_dir)
    assert await spawner.poll() is None
    await spawner.stop(now=True)
    assert not os.path.exists(unit_dir)
