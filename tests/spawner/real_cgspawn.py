"""The real cgspawn for the contract tests: CGSPAWN_BINARY (ctest passes
$<TARGET_FILE:cgspawn>; run.sh the build tree's). Missing is a failure, not
a skip: these tests are what holds the spawner to the binary."""

import json
import os
import subprocess

import pytest

# The refusals a dry run may list for the spawner's requests on a test host:
# its state, not the request (no delegated root here, no such account, a
# controller not enabled). Anything else is a break of the contract.
HOST_STATE_STEPS = {"resolve --cgroup-root", "resolve cgroup root", "open users cgroup",
                    "user lookup", "check controllers"}


def cgspawn_binary():
    path = os.environ.get("CGSPAWN_BINARY")
    if not path or not os.access(path, os.X_OK):
        pytest.fail(
            f"CGSPAWN_BINARY={path!r} is not an executable cgspawn: build it and run through"
            " ctest, or set CGSPAWN_BINARY=build/launcher/cgspawn"
        )
    return path


def run(*args, stdin=b""):
    proc = subprocess.run([cgspawn_binary(), *args], input=stdin, capture_output=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")


def cgroup2_mount():
    """Where the cgroup2 hierarchy's root is mounted, or None."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            head, _, tail = line.partition(" - ")
            if tail.split(" ")[0] == "cgroup2" and head.split(" ")[3] == "/":
                return head.split(" ")[4]
    return None


@pytest.fixture
def cgroup2_child():
    """A fresh empty cgroup below the cgroup2 mount (as root; on this
    project's CI host that is /sys/fs/cgroup/unified), removed afterwards.
    Named cgspawn-test-*, so the ctest sweep removes it if this test dies."""
    mount = cgroup2_mount()
    if mount is None or os.geteuid() != 0:
        pytest.skip("needs root and a cgroup2 mount: the flags are checked by test_every_flag_parses")
    path = os.path.join(mount, f"cgspawn-test-contract-{os.getpid()}")
    os.mkdir(path)
    try:
        yield path
    finally:
        os.rmdir(path)


async def planned(spawner, launcher):
    """Start SPAWNER through the fake launcher, then replay the spawn call it
    recorded (argv and stdin, exactly as sent) into the real `cgspawn spawn
    --dry-run`: the plan cgspawn would carry out, as a dict. Fails when
    cgspawn refuses the request for anything but this host's state."""
    await spawner.start()
    await spawner.stop()
    [call] = launcher.calls_of("spawn")
    sub, *rest = call["argv"][1:]
    assert sub == "spawn", call["argv"]
    rc, out, err = run(sub, "--dry-run", *rest, stdin=call["stdin"])
    assert out, f"cgspawn refused the spawner's request (exit {rc}): {err}"
    plan = json.loads(out)
    steps = [r["step"] for r in plan["refusals"]]
    assert set(steps) <= HOST_STATE_STEPS, (steps, err)
    assert rc == (plan["refusals"][0]["exit"] if steps else 0), (rc, err)
    return plan


def mounts(plan):
    """The plan's mount steps as (kind, path) pairs, in order."""
    return [(m["kind"], m["path"]) for m in plan["mounts"]]
