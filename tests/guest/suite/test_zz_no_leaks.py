"""Runs last: nothing of the suite's units remains in the guest."""
import os
import pwd
import time

from conftest import TEST_USERS, mount_points, read, user_pids


def test_zz_no_leaks(delegated, mounts_at_start):
    users = os.path.join(delegated, "users")
    children = [e for e in os.listdir(users) if os.path.isdir(os.path.join(users, e))]
    assert not children, f"unit cgroups left in {users}: {children}"
    uids = [pwd.getpwnam(u).pw_uid for u in TEST_USERS]
    # A process killed by the last test's stop may still be exiting: give it a moment.
    deadline = time.monotonic() + 15
    while (left := user_pids(uids)) and time.monotonic() < deadline:
        time.sleep(0.5)
    if left:
        details = {}
        for p in left:
            try:
                details[p] = read(f"/proc/{p}/cmdline").replace("\0", " ")
            except OSError:
                details[p] = "(gone)"
        raise AssertionError(f"processes of {TEST_USERS} remain: {details}")
    assert mount_points() == mounts_at_start, "the guest's mount table changed during the suite"
    temps = [e for e in os.listdir("/tmp") + os.listdir("/srv") if e.startswith("cgspawn-")]
    assert not temps, f"temporary files left: {temps}"
