"""End to end (issue 19): the hub SIGKILLed while a server runs and while a
start is in progress, then restarted with cleanup_servers = False.

- The running server is found again: the same pid, reachable through the
  proxy.
- The start the hub died in leaves nothing: JupyterHub drops a server record
  whose poll() says "not running" without calling stop(), so CgroupSpawner's
  poll() stops what that start left (its unit, a server nobody could reach).
- That user then starts and stops normally.

A wrapper launcher holds the hub's start() open after `cgspawn spawn` has
done its work (while /run/cgspawn-e2e-linger exists), so the kill lands in
start() every time, not by luck of timing.
"""
import os
import pwd
import time

import pytest

from conftest import user_pids
from e2e.hub import CGSPAWN, HUB_UNIT, alive, cgroup_pids, sh, systemctl, unit_cgroup, wait_for
from test_e2e_hub import hubs  # noqa: F401  (the fixture)
from test_e2e_hub import check_reachable

LINGER = "/run/cgspawn-e2e-linger"
LINGERING = "/run/cgspawn-e2e-lingering"
WRAPPER = "/usr/local/sbin/cgspawn-e2e-lingering"  # /run is noexec

pytestmark = pytest.mark.timeout(1800)


@pytest.fixture
def lingering_launcher():
    with open(WRAPPER, "w") as f:
        f.write(f"""#!/bin/sh
# cgspawn; after a spawn, linger while {LINGER} exists (the hub's start() stays open)
{CGSPAWN} "$@"
rc=$?
if [ "$1" = spawn ] && [ -e {LINGER} ]; then
    touch {LINGERING}
    while [ -e {LINGER} ]; do sleep 0.5; done
fi
exit $rc
""")
    os.chmod(WRAPPER, 0o755)
    try:
        yield WRAPPER
    finally:
        for path in (WRAPPER, LINGER, LINGERING):
            if os.path.exists(path):
                os.unlink(path)


def kill_hub():
    """SIGKILL the hub (its proxy and launcher calls go with its cgroup)."""
    systemctl("kill", "--signal=SIGKILL", HUB_UNIT)
    wait_for(lambda: systemctl("is-active", HUB_UNIT, check=False).stdout.strip() != "active",
             120, "the hub to die")
    systemctl("reset-failed", HUB_UNIT, check=False)


def test_e2e_hub_killed_during_a_start_and_while_a_server_runs(hubs, lingering_launcher):
    hub = hubs.new(launcher=lingering_launcher)
    with hubs.diagnose():
        hub.write_config(users=("alice", "bob"), cleanup_servers=False)
        hub.install_units()
        hub.start()
        _, model = hub.start_server("alice")
        alice_pid = model["servers"][""]["state"]["pid"]
        check_reachable(hub, "alice")

        # bob's start: cgspawn has spawned, start() is still open
        open(LINGER, "w").close()
        hub.post_server("bob")
        wait_for(lambda: os.path.exists(LINGERING), 600, "bob's spawn to reach the linger")
        bob_unit = unit_cgroup("jupyter-bob-singleuser")
        assert os.path.isdir(bob_unit), "bob's unit was not created"
        kill_hub()
        os.unlink(LINGER)
        assert alive(alice_pid), "alice's server died with the hub"

        since = time.time() - 1
        systemctl("start", HUB_UNIT)
        hub.wait_api()

        # alice: found again
        model = hub.wait_server("alice", ready=True)
        assert model["servers"][""]["state"]["pid"] == alice_pid, model["servers"][""]
        assert alice_pid in cgroup_pids(unit_cgroup("jupyter-alice-singleuser"))
        check_reachable(hub, "alice")

        # bob: what the interrupted start left is gone, nothing of bob runs
        wait_for(lambda: not os.path.exists(bob_unit), 300, f"{bob_unit} to be removed")
        wait_for(lambda: not user_pids([pwd.getpwnam("bob").pw_uid]), 60, "bob's processes to exit")
        assert not hub.user_model("bob")["servers"], hub.user_model("bob")
        sh("journalctl", "--sync", check=False)
        log = sh("journalctl", "--no-pager", "-u", HUB_UNIT, "--since", f"@{int(since)}").stdout
        assert "from a start the hub did not finish" in log, "the hub's log does not say why"

        # bob starts and stops normally afterwards
        _, model = hub.start_server("bob")
        bob_pid = model["servers"][""]["state"]["pid"]
        check_reachable(hub, "bob")
        hub.stop_server("bob")
        wait_for(lambda: not alive(bob_pid), 60, "bob's server to exit")
        assert not os.path.exists(bob_unit)
