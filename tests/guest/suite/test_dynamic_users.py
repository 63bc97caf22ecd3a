"""Dynamic users (`spawn --dynamic-user`) and slices (`--slice`, `slice set`).

Dynamic users: distinct uids when spawned concurrently, the same uid and files
on a respawn, correct identity answers inside, nothing added to the guest's
/etc, a clear error when the uid range is exhausted. Each test keeps its
state (mapping and homes) in its own directory under /var/lib, removed after.

Slices: two units in one slice share its memory.max (together they cannot
exceed it, one is OOM-killed, while one alone fits); an idle slice without
configured limits goes with its last unit, a configured one stays.
"""
import concurrent.futures
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile

import pytest

from conftest import cgspawn, read, read_kv, user_pids, wait_for

IDENTITY = r"""
echo "whoami=$(whoami)"
echo "idun=$(id -un)"
echo "tilde=$(echo ~)"
echo "getent=$(getent passwd "$(id -u)")"
python3 -c 'import os, pwd; p = pwd.getpwuid(os.getuid()); print("python=%s %s %s" % (p.pw_name, p.pw_dir, p.pw_shell))'
echo "pwd=$(pwd)"
echo "uid=$(id -u)"
echo "groups=$(id -G)"
echo "marker=$(cat ~/marker 2>/dev/null || echo none)"
echo kept >~/marker
echo "done=1"
exec sleep 3600
"""

# Holds MB megabytes (argv[1]) touched, then sleeps; run beside a `sleep` server.
HOLD = ("import sys, time\n"
        "n = int(sys.argv[1]) * 1024 * 1024\n"
        "b = bytearray(n)\n"
        "for i in range(0, n, 4096): b[i] = 1\n"
        "print('held', flush=True)\n"
        "time.sleep(3600)\n")
MB = 1024 * 1024


def etc_digest():
    """sha256 of every regular file under /etc, by path."""
    digests = {}
    for root, dirs, files in os.walk("/etc"):
        for f in files:
            path = os.path.join(root, f)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                with open(path, "rb") as fh:
                    digests[path] = hashlib.sha256(fh.read()).hexdigest()
            except OSError:
                pass
    return digests


def dyn_name():
    return f"dyn{secrets.token_hex(3)}"


def answers(unit):
    unit.wait_output(r"^done=1$", timeout=120)
    return dict(line.split("=", 1) for line in unit.output().splitlines() if "=" in line)


class DynState:
    """A private --dynamic-user-state directory for one test."""

    def __init__(self, cg):
        self.cg = cg
        self.base = tempfile.mkdtemp(prefix="cgspawn-dyn-", dir="/var/lib")
        os.chmod(self.base, 0o755)  # the homes below must be reachable
        self.path = os.path.join(self.base, "state")

    def spawn(self, name, user, cmd, *opts, **kw):
        return self.cg.spawn(name, cmd, "--dynamic-user", "--dynamic-user-state", self.path,
                             *opts, user=user, **kw)

    def home(self, user):
        return os.path.join(self.path, "home", user)

    def uids(self):
        d = os.path.join(self.path, "dynamic-users", "uid")
        return [int(u) for u in os.listdir(d)] if os.path.isdir(d) else []

    def cleanup(self):
        for unit in self.cg.units.values():
            unit.stop(timeout=2)
        uids = self.uids()
        try:
            if uids:
                wait_for(lambda: not user_pids(uids), 15, "the dynamic users' processes to end")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def dyn(cg):
    state = DynState(cg)
    yield state
    state.cleanup()


def test_dynamic_users_concurrent_distinct_and_identity(dyn):
    before = etc_digest()
    names = [dyn_name(), dyn_name()]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        units = list(pool.map(lambda n: dyn.spawn(f"dyn-{n}", n, ["/bin/bash", "-c", IDENTITY]),
                              names))
    got = {}
    for name, unit in zip(names, units):
        a = answers(unit)
        uid = int(a["uid"])
        home = dyn.home(name)
        got[name] = uid
        assert 20000 <= uid <= 29999, f"uid {uid} outside the default range"
        assert a["whoami"] == name and a["idun"] == name, a
        assert a["tilde"] == home, f"echo ~ gave {a['tilde']!r}, not {home!r}"
        assert a["getent"] == f"{name}:x:{uid}:{uid}:cgspawn dynamic user:{home}:/bin/bash", a
        assert a["python"] == f"{name} {home} /bin/bash", a
        assert a["pwd"] == home, "the home is the working directory"
        assert a["groups"] == str(uid), f"groups {a['groups']}: the primary group only"
        assert a["marker"] == "none"
        st = os.stat(home)
        assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (uid, uid, 0o700), st
        assert subprocess.run(["getent", "passwd", name], capture_output=True).returncode != 0, (
            f"the guest itself knows {name}")
    assert len(set(got.values())) == 2, f"two dynamic users share a uid: {got}"
    for unit in units:
        assert unit.stop().returncode == 0
    after = etc_digest()
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    assert not changed, f"files under /etc changed: {changed}"


def test_dynamic_user_respawn_keeps_uid_and_files(dyn):
    name = dyn_name()
    first = dyn.spawn(f"dyn-{name}", name, ["/bin/bash", "-c", IDENTITY])
    a = answers(first)
    assert a["marker"] == "none"
    assert first.stop().returncode == 0
    assert not user_pids([int(a["uid"])]), "the first server's processes survived stop"
    # The same name again, now under a read-only system: its home stays writable.
    again = dyn.spawn(f"dyn-{name}", name, ["/bin/bash", "-c", IDENTITY],
                      "--read-only", "/", "--private-tmp")
    b = answers(again)
    assert b["uid"] == a["uid"], f"respawn got uid {b['uid']}, first spawn {a['uid']}"
    assert b["marker"] == "kept", "the respawned server does not find its files"
    assert b["tilde"] == a["tilde"] == dyn.home(name)


def test_dynamic_user_range_exhausted_is_a_clear_error(dyn):
    tiny = ("--dynamic-user-range", "29990-29990")
    first = dyn.spawn("dyn-full", dyn_name(), ["/bin/sleep", "3600"], *tiny)
    assert first.spawn_rc == 0
    second = dyn.spawn("dyn-over", dyn_name(), ["/bin/sleep", "3600"], *tiny, check=False)
    err = read(second.err).strip()
    assert second.spawn_rc == 1, f"exit {second.spawn_rc}: {err}"
    assert "no free uid left in the dynamic user range 29990-29990" in err, err
    assert "--dynamic-user-range" in err and "\n" not in err, err
    assert not os.path.exists(second.path), "the refused spawn left a cgroup"
    assert dyn.uids() == [29990]


def slice_unit(cg, delegated, slice_name, name, cmd, *opts):
    unit = cg.spawn(name, cmd, "--slice", slice_name, *opts)
    unit.path = os.path.join(delegated, "users", slice_name, unit.name)
    return unit


def test_slice_memory_max_is_shared_by_its_units(cg, delegated, record_property):
    s = "s"
    path = os.path.join(delegated, "users", s)
    hold_py = os.path.join(cg.tmpdir, "hold.py")
    with open(hold_py, "w") as f:
        f.write(HOLD)
    os.chmod(hold_py, 0o644)
    hog = f"(/usr/bin/python3 {hold_py} 100; echo \"hog: exit $?\") & exec sleep 3600"
    r = cgspawn("slice", "set", s, "--memory-max", "150M", "--memory-swap-max", "0")
    assert r.returncode == 0, r.stderr
    try:
        assert read(os.path.join(path, "memory.max")).strip() == str(150 * MB)
        a = slice_unit(cg, delegated, s, "slice-a", ["/bin/sh", "-c", hog])
        a.wait_output(r"^held$", timeout=120)  # one unit alone fits under the slice's limit
        assert read_kv(os.path.join(path, "memory.events"))["oom_kill"] == 0
        b = slice_unit(cg, delegated, s, "slice-b", ["/bin/sh", "-c", hog])
        wait_for(lambda: any(re.search(r"^hog: exit 137$", u.output(), re.M) for u in (a, b)),
                 180, "one of the two hogs to be OOM-killed")
        killed = [u.name for u in (a, b) if "hog: exit 137" in u.output()]
        events = read_kv(os.path.join(path, "memory.events"))
        peak = int(read(os.path.join(path, "memory.peak")))
        record_property("slice_oom_kill", events["oom_kill"])
        record_property("slice_memory_peak_mb", round(peak / MB, 1))
        assert events["oom_kill"] >= 1, events
        # Usually one hog; both when the kernel's OOM killer runs again for
        # the second one's next page before the first victim's memory is
        # freed (seen under emulation: a second kill at usage 139752kB of
        # 153600kB, 17 ms after the first). Either way the limit was theirs
        # together: one alone fitted (above), and no unit has one of its own.
        assert killed, f"no hog killed: {events}"
        assert peak <= 150 * MB, f"the slice peaked at {peak / MB:.1f} MiB over its 150M"
        for u in (a, b):
            assert u.cg("memory.max") == "max", "the units have no limit of their own"
        st = json.loads(cgspawn("slice", "show", s, "--json").stdout)
        assert st["configured"] == {"memory.max": str(150 * MB), "memory.swap.max": "0"}, st
        assert sorted(st["units"]) == sorted([a.name, b.name]), st
        assert st["oom_kill"] >= 1, st
        listing = cgspawn("list").stdout
        assert re.search(rf"^slice {s}: memory.max={150 * MB}", listing, re.M), listing
        for u in (a, b):
            assert u.stop().returncode == 0
        assert os.path.isdir(path), "a slice with configured limits went with its last unit"
    finally:
        for unit in cg.units.values():
            unit.stop()
        r = cgspawn("slice", "remove", s)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(path)


def test_slice_without_limits_goes_with_its_last_unit(cg, delegated):
    s = f"t-{secrets.token_hex(2)}"
    path = os.path.join(delegated, "users", s)
    units = [slice_unit(cg, delegated, s, n, ["/bin/sleep", "3600"]) for n in ("idle-a", "idle-b")]
    assert all(os.path.isdir(u.path) for u in units)
    listing = cgspawn("list").stdout
    header = re.search(rf"^slice {s}: no configured limits", listing, re.M)
    assert header, listing
    for u in units:
        assert re.search(rf"^  {u.name} ", listing[header.end():], re.M), listing
    assert units[0].stop().returncode == 0
    assert os.path.isdir(path), "removed a slice that still holds a unit"
    assert units[1].stop().returncode == 0
    assert not os.path.exists(path), "the idle slice outlived its last unit"
