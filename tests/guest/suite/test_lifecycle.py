"""Logging, stopping and the secret-handling of a unit's life."""
import os
import re
import secrets
import subprocess
import time

import pytest

from conftest import HELPERS, pid_alive, read, wait_for


def journal(*args):
    subprocess.run(["journalctl", "--sync"], timeout=30, check=False)
    r = subprocess.run(["journalctl", "--no-pager", "-b", *args],
                       capture_output=True, text=True, timeout=60)
    return r.stdout


@pytest.mark.parametrize("target", ["journal", "auto"])
def test_journald(cg, target):
    # cgspawn speaks journald's stream protocol (the server's output) and
    # native protocol (its own records) itself: the real journald must read
    # both, a line's <N> level prefix included.
    marker = secrets.token_hex(6)
    cmd = f"echo out-{marker}; echo err-{marker} >&2; echo '<3>lvl-{marker}'; exec sleep 3600"
    unit = cg.spawn("log", ["/bin/sh", "-c", cmd], log_target=target)

    def server_lines():
        text = journal("-t", unit.name, "-o", "cat")
        return all(f"{w}-{marker}" in text for w in ("out", "err", "lvl"))

    wait_for(server_lines, 30, f"the server's stdout and stderr lines in journalctl -t {unit.name}")
    assert marker not in unit.output(), f"--log-target {target} also wrote to the inherited stdout"
    errors = journal("-t", unit.name, "-p", "err", "-o", "cat")
    assert f"lvl-{marker}" in errors and f"out-{marker}" not in errors, (
        f"the <3> prefix did not set the record's priority (journalctl -p err): {errors!r}")
    own = wait_for(lambda: journal(f"CGSPAWN_UNIT={unit.name}", "-o", "verbose"), 30,
                   f"cgspawn's own records with CGSPAWN_UNIT={unit.name}")
    for field in (f"CGSPAWN_UNIT={unit.name}", "SYSLOG_IDENTIFIER=cgspawn", "PRIORITY=6",
                  "CGSPAWN_USER=alice", "MESSAGE="):
        assert field in own, f"{field} missing from cgspawn's own record: {own}"


def test_log_target_stderr(cg):
    # The server's output stays on the inherited fds; cgspawn's own records
    # still reach the journal with the unit's field.
    marker = secrets.token_hex(6)
    unit = cg.spawn("logerr", ["/bin/sh", "-c", f"echo out-{marker}; exec sleep 3600"],
                    log_target="stderr")
    wait_for(lambda: f"out-{marker}" in unit.output(), 30, "the server's line on inherited stdout")
    own = wait_for(lambda: journal(f"CGSPAWN_UNIT={unit.name}", "-o", "verbose"), 30,
                   f"cgspawn's own records with CGSPAWN_UNIT={unit.name}")
    assert f"CGSPAWN_UNIT={unit.name}" in own, own
    assert f"out-{marker}" not in journal("-t", unit.name, "-o", "cat"), (
        "--log-target stderr also sent the server's output to the journal")


def test_stop_kills_everything(cg, record_property):
    unit = cg.spawn("stop", ["/usr/bin/python3", f"{HELPERS}/stubborn.py"])
    unit.wait_output(r"^main=\d+", timeout=60)
    unit.wait_output(r"^daemon=\d+", timeout=30)
    out = unit.output()
    pids = {k: int(v) for k, v in re.findall(r"^(main|stubborn|daemon)=(\d+)$", out, re.M)}
    assert set(pids) == {"main", "stubborn", "daemon"}, out
    in_cgroup = set(unit.pids())
    assert set(pids.values()) <= in_cgroup, f"{pids} not all in {unit.path}: {in_cgroup}"
    assert os.getsid(pids["daemon"]) != os.getsid(pids["main"]), "the daemon did not setsid"

    t = time.monotonic()
    r = unit.stop(timeout=2)
    elapsed = time.monotonic() - t
    record_property("stop_s", round(elapsed, 2))
    assert r.returncode == 0, f"stop exited {r.returncode}: {r.stderr}"
    assert not os.path.exists(unit.path), f"{unit.path} still exists after stop"
    assert elapsed >= 1.5, f"stop took {elapsed:.2f} s: no grace period for a SIGTERM-ignoring process"
    wait_for(lambda: "main: got SIGTERM" in unit.output(), 10, "the server to see SIGTERM first")
    wait_for(lambda: not [p for p in in_cgroup if pid_alive(p)], 10,
             f"every process of the unit ({sorted(in_cgroup)}) to be gone")
    r = unit.stop(timeout=2)
    assert r.returncode == 0, f"a second stop is not idempotent: {r.stderr}"
    r = unit.status()
    assert r["state"] == "absent", r


def test_secret_not_in_cmdline(cg):
    token = secrets.token_hex(16)
    leak = f"cgspawn-own-env-{secrets.token_hex(4)}"
    unit = cg.spawn("secret", ["/bin/sleep", "3600"], env={"JUPYTERHUB_API_TOKEN": token},
                    own_env={**os.environ, "CGSPAWN_TEST_OWN_ENV": leak})
    (server,) = wait_for(unit.pids, 30, "the server process")
    environ = read(f"/proc/{server}/environ").split("\0")
    assert f"JUPYTERHUB_API_TOKEN={token}" in environ, environ
    assert not any(leak in e for e in environ), f"cgspawn's own environment reached the server: {environ}"

    exposed = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if token.encode() in f.read():
                    exposed.append(entry)
        except (OSError, NotADirectoryError):
            continue
    assert not exposed, f"the token is in the command line of pids {exposed}"
    assert token not in journal("--since", "-5min"), "the token was logged to the journal"
