"""End to end, the JupyterHub 5.x contract (issue 15), on whatever JupyterHub
the guest has (Debian 12: 3.0; Debian 13: 5.2):

- the locale and a VIRTUAL_ENV of the hub's environment reach the server,
  as with LocalProcessSpawner, and the hub's other variables do not;
- a start cancelled mid-spawn (5.1+: the pending server stopped; any
  version: start_timeout expired) leaves no cgroup and no process of the
  user, and the next start works.

A wrapper launcher holds `cgspawn spawn` mid-way while HOLD exists: it runs
cgspawn-faults with CGSPAWN_PAUSE_AT=unit-locked, which stops itself
(SIGSTOP) holding the unit's lock, before it creates the unit's cgroup, so
the cancellation lands mid-spawn every time, not by luck of timing. There a
stop that did not wait for the spawn would find nothing to stop, and the
spawn would then start a server nobody tracks.
"""
import os
import pwd
import secrets
import subprocess
import time

import pytest
from jupyterhub import __version__ as JUPYTERHUB_VERSION

from conftest import user_pids
from e2e.hub import CGSPAWN, HUB_UNIT, alive, unit_cgroup, wait_for
from test_e2e_hub import check_reachable, environ, hubs  # noqa: F401  (hubs: the fixture)

FAULTS = "/payload/bin/cgspawn-faults"
HOLD = "/run/cgspawn-e2e-hold"
WRAPPER = "/usr/local/sbin/cgspawn-e2e-holding"  # /run is noexec
UNIT = "jupyter-alice-singleuser"
VERSION = tuple(int(p) for p in JUPYTERHUB_VERSION.split(".")[:2])

pytestmark = pytest.mark.timeout(1800)


def test_e2e_hub_environment_reaches_the_server(hubs):
    secret = secrets.token_hex(8)
    # unusual spellings of valid locales, so no system default can pass for them
    hub_env = {"LANG": "C.utf8", "LC_ALL": "C.UTF-8", "VIRTUAL_ENV": "/opt/e2e-venv",
               "CONDA_DEFAULT_ENV": "e2e", "E2E_HUB_SECRET": secret}
    hub = hubs.new(environment=hub_env)
    with hubs.diagnose():
        hub.write_config(users=("alice",))
        hub.install_units()
        hub.start()
        _, model = hub.start_server("alice")
        pid = model["servers"][""]["state"]["pid"]
        check_reachable(hub, "alice")
        env = environ(pid)
        for key in ("LANG", "LC_ALL", "VIRTUAL_ENV", "CONDA_DEFAULT_ENV"):
            assert env.get(key) == hub_env[key], (
                f"{key} of the hub's environment did not reach the server (JupyterHub "
                f"{JUPYTERHUB_VERSION}): {env.get(key)!r}")
        assert "E2E_HUB_SECRET" not in env and secret not in repr(env), (
            "a hub variable outside env_keep reached the server")
        hub.stop_server("alice")
        wait_for(lambda: not alive(pid), 60, "alice's server to exit")


@pytest.fixture
def holding_launcher():
    if os.path.exists("/payload/no-faults"):
        pytest.skip("run.sh was not given --cgspawn-faults")
    with open(WRAPPER, "w") as f:
        f.write(f"""#!/bin/sh
# cgspawn; a spawn while {HOLD} exists stops itself once it holds the unit's lock
if [ "$1" = spawn ] && [ -e {HOLD} ]; then
    CGSPAWN_PAUSE_AT=unit-locked exec {FAULTS} "$@"
fi
exec {CGSPAWN} "$@"
""")
    os.chmod(WRAPPER, 0o755)
    open(HOLD, "w").close()
    try:
        yield WRAPPER
    finally:
        for pid in paused_spawns():
            os.kill(pid, 9)
        for path in (WRAPPER, HOLD):
            if os.path.exists(path):
                os.unlink(path)


def paused_spawns():
    """cgspawn-faults processes stopped at their pause point."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.readlink(f"/proc/{entry}/exe") == FAULTS:
                with open(f"/proc/{entry}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "T":
                        found.append(int(entry))
        except OSError:
            continue
    return found


def hub_log(since, text):
    """The hub's journal lines since SINCE that contain TEXT."""
    subprocess.run(["journalctl", "--sync"], timeout=60, check=False)
    r = subprocess.run(["journalctl", "--no-pager", "-u", HUB_UNIT, "--since", f"@{int(since)}"],
                       capture_output=True, text=True, timeout=120, check=False)
    return "\n".join(line for line in r.stdout.splitlines() if text in line)


def assert_nothing_of_alice_left():
    wait_for(lambda: not os.path.exists(unit_cgroup(UNIT)), 300, f"{unit_cgroup(UNIT)} to go")
    uid = pwd.getpwnam("alice").pw_uid
    wait_for(lambda: not user_pids([uid]), 60, "alice's processes to exit")
    assert not paused_spawns(), "the held cgspawn spawn still exists"


def then_alice_starts_and_stops(hub):
    os.unlink(HOLD)
    _, model = hub.start_server("alice")
    pid = model["servers"][""]["state"]["pid"]
    check_reachable(hub, "alice")
    hub.stop_server("alice")
    wait_for(lambda: not alive(pid), 60, "alice's server to exit")
    assert not os.path.exists(unit_cgroup(UNIT))


@pytest.mark.skipif(VERSION < (5, 1), reason=f"JupyterHub {JUPYTERHUB_VERSION} refuses to stop a "
                    "pending server (400 'is pending spawn'); 5.1 cancels its start()")
def test_e2e_stopping_a_pending_server_cancels_its_start_and_leaves_nothing(
        hubs, holding_launcher):
    hub = hubs.new(launcher=holding_launcher)
    with hubs.diagnose():
        hub.write_config(users=("alice",))
        hub.install_units()
        hub.start()
        since = time.time() - 1
        hub.post_server("alice")
        wait_for(paused_spawns, 600, "alice's spawn to pause mid-way")
        hub.stop_server("alice")  # DELETE while pending: 5.1+ cancels start()
        assert_nothing_of_alice_left()
        assert "was cancelled: stopping what it started" in hub_log(since, "was cancelled")
        then_alice_starts_and_stops(hub)


def test_e2e_start_timeout_mid_spawn_leaves_nothing(hubs, holding_launcher):
    """5.1+ cancels start() when start_timeout expires; 3.0 does not, it
    calls stop() while start() still runs. Either way nothing may be left:
    on 3.0 the held spawn is let go once the hub gave up, and stop() must
    wait for it and stop what it started."""
    hub = hubs.new(launcher=holding_launcher)
    with hubs.diagnose():
        hub.write_config(users=("alice",), extra="c.Spawner.start_timeout = 90\n")
        hub.install_units()
        hub.start()
        since = time.time() - 1
        hub.post_server("alice")
        wait_for(paused_spawns, 600, "alice's spawn to pause mid-way")
        wait_for(lambda: hub_log(since, "failed to start in"), 600, "the hub to give up")
        if VERSION < (5, 1):
            for pid in paused_spawns():
                os.kill(pid, 18)  # SIGCONT: the spawn finishes, then stop() stops it
        hub.wait_server("alice", ready=False)
        assert_nothing_of_alice_left()
        if VERSION >= (5, 1):
            assert "was cancelled: stopping what it started" in hub_log(since, "was cancelled")
        then_alice_starts_and_stops(hub)
