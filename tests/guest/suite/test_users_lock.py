"""Issue 13, finding 3: no ordinary user can stop spawns, stops and slice
changes by locking what cgspawn locks.

The lock that serialises changes to D/users used to be a flock() on the
D/users directory, which anyone can open: `flock -x D/users sleep 1000` as any
user hung every cgspawn. It is now /run/cgspawn/users-INODE.lock (root's,
0600, in a 0700 directory, removed after use), and a real holder makes a
waiter give up after 15 s with one line naming the lock and the holder.
"""
import fcntl
import os
import signal
import subprocess
import time

import pytest

from conftest import cgspawn, run, wait_for

LOCK_DIR = "/run/cgspawn"
WAIT = 15  # cgroup/locks.hpp, kUsersLockWait


@pytest.fixture
def alice_holds_users(delegated):
    """alice runs `flock -x D/users sleep 1000` (in its own session, killed
    with its sleep afterwards)."""
    users = os.path.join(delegated, "users")
    p = subprocess.Popen(["runuser", "-u", "alice", "--", "flock", "-x", users, "sleep", "1000"],
                         start_new_session=True)
    try:
        wait_for(lambda: subprocess.run(["flock", "-n", users, "true"]).returncode != 0, 30,
                 "alice's flock on D/users")
        yield users
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def test_a_users_flock_blocks_nothing(cg, alice_holds_users):
    t0 = time.monotonic()
    unit = cg.spawn("lock-u", ["/bin/sleep", "600"], "--slice", "lock-s", timeout=90)
    unit.path = os.path.join(alice_holds_users, "lock-s", unit.name)
    r = cgspawn("slice", "set", "lock-s", "--memory-max", "1G", timeout=90)
    assert r.returncode == 0, r.stderr
    assert unit.stop().returncode == 0
    r = cgspawn("slice", "remove", "lock-s", timeout=90)
    assert r.returncode == 0, r.stderr
    took = time.monotonic() - t0
    print(f"spawn, slice set, stop and slice remove under alice's flock: {took:.1f} s")
    assert not os.path.exists(os.path.join(alice_holds_users, "lock-s"))
    # What it locks now is out of alice's reach, and nothing of it is left.
    st = os.stat(LOCK_DIR)
    assert (st.st_uid, st.st_mode & 0o7777) == (0, 0o700), st
    assert os.listdir(LOCK_DIR) == [], f"lock files left: {os.listdir(LOCK_DIR)}"
    r = run(["runuser", "-u", "alice", "--", "ls", LOCK_DIR])
    assert r.returncode != 0, "alice can list the lock directory"


def test_a_held_lock_is_a_bounded_wait(cg, delegated):
    users = os.path.join(delegated, "users")
    os.makedirs(LOCK_DIR, mode=0o700, exist_ok=True)
    path = f"{LOCK_DIR}/users-{os.stat(users).st_ino}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, f"{os.getpid()}\n".encode())
        t0 = time.monotonic()
        unit = cg.spawn("lock-held", ["/bin/sleep", "600"], check=False, timeout=120)
        took = time.monotonic() - t0
        err = open(unit.err).read().strip()
        print(f"spawn against a held lock: exit {unit.spawn_rc} after {took:.1f} s: {err}")
        assert unit.spawn_rc == 1, f"exit {unit.spawn_rc}: {err}"
        assert took >= WAIT - 1, f"gave up after {took:.1f} s, before the {WAIT} s wait"
        assert path in err and f"cgspawn pid {os.getpid()}" in err, err
        assert "\n" not in err, err
        assert not os.path.exists(unit.path), "the refused spawn created its cgroup"
    finally:
        os.unlink(path)
        os.close(fd)
    unit = cg.spawn("lock-free", ["/bin/sleep", "600"], timeout=90)
    assert unit.stop().returncode == 0
