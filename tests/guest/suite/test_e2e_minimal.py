"""The minimal setup a migrating admin makes (issue 16): the hub's own unit
gets Delegate=yes and nothing else, no `cgspawn init` anywhere, no
cgroup_root. The first spawn finds D delegated but not laid out, runs
`cgspawn init` once (the hub moves to D/hub), logs that it did, and the
server starts in D/users under its limits. On both releases."""
import os
import subprocess

import pytest

from e2e.hub import HUB_UNIT, alive, cgroup_pids, proc_cgroup, read, unit_props, wait_for
from e2e.one_unit import D, TEST_SERVICE_LINES, OneUnitHub
from test_e2e_hub import check_reachable, hubs  # noqa: F401  (hubs: the fixture)

pytestmark = pytest.mark.timeout(1800)
UNIT = "jupyter-alice-singleuser"


def minimal_unit(hub):
    return (
        "[Unit]\nDescription=JupyterHub (minimal: Delegate=yes added, nothing else)\n\n"
        "[Service]\nDelegate=yes\n" + TEST_SERVICE_LINES
        + f"WorkingDirectory={hub.state}\nExecStart=/usr/bin/jupyterhub -f {hub.config}\n"
    )


def test_e2e_minimal_setup_initialises_once_and_spawns(hubs):
    hub = OneUnitHub(minimal_unit)
    hubs.hubs.append(hub)
    with hubs.diagnose():
        hub.write_config(users=("alice",), extra="""
            c.CgroupSpawner.cgroup_root = None  # found from the hub's own cgroup
        """)
        hub.install_units()
        hub.start()
        assert not os.path.exists(os.path.join(D, "users")), "D was laid out before any spawn"
        _, model = hub.start_server("alice")
        pid = model["servers"][""]["state"]["pid"]
        leaf = os.path.join(D, "users", UNIT)
        assert pid in cgroup_pids(leaf), f"alice's server {pid} is in {proc_cgroup(pid)}"
        assert read(os.path.join(leaf, "memory.max")) == str(512 << 20)
        main = int(unit_props(HUB_UNIT, "MainPID")["MainPID"])
        assert proc_cgroup(main) == "/system.slice/jupyterhub.service/hub", proc_cgroup(main)
        log = subprocess.run(["journalctl", "--no-pager", "-o", "cat", "-u", HUB_UNIT,
                              "--since", f"@{int(hub.since)}"],
                             capture_output=True, text=True, timeout=120).stdout
        assert log.count("ran `cgspawn init` for this hub") == 1, log[-3000:]
        check_reachable(hub, "alice")
        hub.stop_server("alice")
        wait_for(lambda: not alive(pid), 120, "alice's server to exit")
