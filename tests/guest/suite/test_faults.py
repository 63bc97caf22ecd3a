"""cgspawn killed at every step of a spawn and of a stop (issue 19).

cgspawn-faults is cgspawn with launcher/trace/fault_inject.cpp: CGSPAWN_FAULT_AT=STEP
makes it SIGKILL itself at that step, as an OOM kill or `kill -9` would. The
product binary has no such switch (test_product_ignores_the_fault_switch).

After each kill:
- no process of the user runs outside the unit's cgroup (no orphan), and no
  mount of the server's namespace shows in the host's;
- `cgspawn stop NAME` (what CgroupSpawner does after a failed start) works
  and leaves no cgroup and no process;
- a kill of the server's child before its exec is a failed spawn (exit 1,
  one line, no pid, its cgroup removed), never a "started" server;
- the next spawn of that name and its stop both work and leave nothing.
"""
import os
import pwd
import secrets
import signal
import subprocess
import tempfile

import pytest

from conftest import (CGROOT, CGSPAWN, SERVER_PATH, mount_points, own_cgroup, read, run, user_pids,
                      wait_for)

FAULTS = "/payload/bin/cgspawn-faults"
USER = "bob"
# Every step a spawn passes, in order: the launcher's (parent) and then the
# child's up to its exec. "forked" is the parent right after fork().
PARENT_STEPS = ["plan", "cgroup", "limits", "forked"]
CHILD_STEPS = ["fork", "cgroup-move", "stdio", "mounts", "identity", "seccomp", "exec"]
STOP_STEPS = ["stop-term", "stop-kill", "stop-removed"]
KILLED = -9

pytestmark = pytest.mark.skipif(os.path.exists("/payload/no-faults"),
                                reason="run.sh was not given --cgspawn-faults")


def spawn_argv(binary, name, cmd=("/usr/bin/sleep", "600")):
    return [binary, "spawn", "--unit", name, "--user", USER, "--env-stdin", "--log-target",
            "journal", "--memory-max", "64M", "--tasks-max", "50", "--private-tmp",
            "--private-devices", "--read-only", "/", "--", *cmd]


def env_records():
    return f"PATH={SERVER_PATH}\0".encode()


def run_spawn(binary, name, fault=None, cmd=("/usr/bin/sleep", "600")):
    env = dict(os.environ)
    env.pop("CGSPAWN_FAULT_AT", None)
    if fault:
        env["CGSPAWN_FAULT_AT"] = fault
    return run(spawn_argv(binary, name, cmd), input=env_records().decode(), env=env)


def bob_uid():
    return pwd.getpwnam(USER).pw_uid


def unit_cgroup(delegated, name):
    """The unit's cgroup as /proc/PID/cgroup names it."""
    return f"{delegated[len(CGROOT):]}/users/{name}"


def assert_no_orphans(cgroup):
    """Every live process of the user is inside the unit's cgroup."""
    def elsewhere(pid):
        try:
            return own_cgroup(pid) != cgroup
        except OSError:  # it exited meanwhile
            return False
    outside = [p for p in user_pids([bob_uid()]) if elsewhere(p)]
    assert not outside, f"processes of {USER} outside {cgroup}: {outside}"


def assert_gone(delegated, name):
    path = os.path.join(delegated, "users", name)
    assert not os.path.exists(path), f"{path} is left"
    wait_for(lambda: not user_pids([bob_uid()]), 15, f"every process of {USER} to exit")


def recover_and_respawn(delegated, name):
    r = run([CGSPAWN, "stop", name, "--timeout", "2"])
    assert r.returncode == 0, f"stop after the kill failed: {r.stderr}"
    assert_gone(delegated, name)
    r = run_spawn(CGSPAWN, name)
    assert r.returncode == 0, f"the next spawn of {name} failed: {r.stderr}"
    r = run([CGSPAWN, "stop", name, "--timeout", "2"])
    assert r.returncode == 0, r.stderr
    assert_gone(delegated, name)


@pytest.fixture
def unit_name(delegated):
    name = f"fault-{secrets.token_hex(3)}"
    yield name
    run([CGSPAWN, "stop", name, "--timeout", "2"])  # whatever the test did


@pytest.mark.parametrize("step", PARENT_STEPS)
def test_spawn_killed_at_a_step_leaves_nothing_that_stop_cannot_clear(delegated, unit_name, step):
    before = mount_points()
    r = run_spawn(FAULTS, unit_name, fault=step)
    assert r.returncode == KILLED, (
        f"cgspawn-faults was not killed at {step!r} (exit {r.returncode}): is it still a step?")
    assert_no_orphans(unit_cgroup(delegated, unit_name))
    assert mount_points() == before, "a mount of the server's namespace reached the host"
    recover_and_respawn(delegated, unit_name)


@pytest.mark.parametrize("step", CHILD_STEPS)
def test_child_killed_before_exec_is_a_failed_spawn_that_leaves_nothing(delegated, unit_name,
                                                                        step):
    """The launcher must not take the closed report pipe for an exec."""
    before = mount_points()
    r = run_spawn(FAULTS, unit_name, fault=step)
    assert r.returncode == 1, f"exit {r.returncode} for a server that never ran: {r.stderr}"
    assert "was killed by signal 9 (Killed) before it could exec" in r.stderr, r.stderr
    assert r.stdout == "", "a pid was printed for a server that never ran"
    assert not os.path.exists(os.path.join(delegated, "users", unit_name)), "cgroup left"
    assert_no_orphans(unit_cgroup(delegated, unit_name))
    assert mount_points() == before
    recover_and_respawn(delegated, unit_name)


@pytest.mark.parametrize("step", STOP_STEPS)
def test_stop_killed_at_a_step_can_be_run_again(delegated, unit_name, step):
    # A server that ignores SIGTERM, so the stop reaches its kill step too.
    cmd = ("/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done")
    r = run_spawn(CGSPAWN, unit_name, cmd=cmd)
    assert r.returncode == 0, r.stderr
    env = {**os.environ, "CGSPAWN_FAULT_AT": step}
    r = run([FAULTS, "stop", unit_name, "--timeout", "1"], env=env)
    assert r.returncode == KILLED, f"cgspawn-faults stop was not killed at {step!r}: {r.returncode}"
    assert_no_orphans(unit_cgroup(delegated, unit_name))
    r = run([CGSPAWN, "stop", unit_name, "--timeout", "1"])
    assert r.returncode == 0, f"the second stop failed: {r.stderr}"
    assert_gone(delegated, unit_name)


def test_product_ignores_the_fault_switch(delegated, unit_name):
    r = run_spawn(CGSPAWN, unit_name, fault="plan")
    assert r.returncode == 0, f"the product binary obeyed CGSPAWN_FAULT_AT: {r.returncode}"
    with open(CGSPAWN, "rb") as f:
        assert b"CGSPAWN_FAULT_AT" not in f.read(), "the product binary contains the fault switch"



def in_slice(argv, slice_):
    """ARGV (a spawn_argv) with --slice SLICE before its --."""
    cut = argv.index("--")
    return [*argv[:cut], "--slice", slice_, *argv[cut:]]


def stopped(pid):
    return read(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[0] == "T"


def test_controller_removed_between_the_units_creation_and_its_limits(delegated, unit_name):
    """/sys/fs/cgroup refuses the limit write (the controller was removed from
    the slice's subtree_control mid-spawn): one clear line, exit 1, and the
    unit's cgroup is removed. Before a spawn, the plan refuses it outright."""
    slice_ = f"fault-sl-{secrets.token_hex(2)}"
    control = os.path.join(delegated, "users", slice_, "cgroup.subtree_control")
    unit = os.path.join(delegated, "users", slice_, unit_name)
    assert run([CGSPAWN, "slice", "set", slice_, "--tasks-max", "100"]).returncode == 0
    try:
        assert "memory" in read(control).split(), read(control)
        env = {**os.environ, "CGSPAWN_PAUSE_AT": "cgroup"}
        with tempfile.TemporaryFile() as records:
            records.write(env_records())
            records.seek(0)
            p = subprocess.Popen(in_slice(spawn_argv(FAULTS, unit_name), slice_),
                                 stdin=records, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=env)
        wait_for(lambda: stopped(p.pid), 120, "cgspawn-faults to pause after creating the unit")
        assert os.path.isdir(unit), "paused before the unit existed"
        with open(control, "w") as f:
            f.write("-memory")
        os.kill(p.pid, signal.SIGCONT)
        out, err = p.communicate(timeout=120)
        err = err.decode()
        print(f"exit {p.returncode}: {err}")
        assert p.returncode == 1, f"exit {p.returncode}: {err}"
        last = err.strip().splitlines()[-1]
        assert last.startswith("cgspawn: error: ") and "memory.max" in last, err
        assert out == b"", "a pid was printed"
        assert not os.path.exists(unit), "the failed spawn left its cgroup"

        r = run(in_slice(spawn_argv(CGSPAWN, unit_name), slice_), input=env_records().decode())
        assert r.returncode == 1 and "memory controller is not enabled" in r.stderr, r.stderr
        assert not os.path.exists(unit)
    finally:
        if os.path.exists(control):
            with open(control, "w") as f:
                f.write("+memory")
        run([CGSPAWN, "slice", "remove", slice_])
