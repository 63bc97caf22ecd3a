"""The one-unit layout of systemd >= 254 (spawner/examples/jupyterhub-subgroup.service):
Delegate=yes, DelegateSubgroup=hub, KillMode=process, ExecStartPre=cgspawn init.

The shipped example unit, with only the guest's paths put in, owns the hub and
the servers. The hub finds D itself (no cgroup_root in its config). A server
started before `systemctl restart` keeps running in D/users, the restarted hub
is placed in D/hub (systemd 252 could not: 219/CGROUP) and finds the server
again; then the hub stops it.

On systemd < 254 (Debian 12) the test skips: there the two-unit layout is the
one that survives restarts (test_e2e_hub.py::test_e2e_hub_restart).
"""
import os
import re
import subprocess

import pytest

from e2e.hub import EXAMPLES, HUB_UNIT, alive, cgroup_pids, proc_cgroup, unit_props, wait_for
from e2e.one_unit import D, TEST_SERVICE_LINES, OneUnitHub
from test_e2e_hub import check_reachable, hubs  # noqa: F401  (hubs: the fixture)

EXAMPLE = os.path.join(EXAMPLES, "jupyterhub-subgroup.service")
UNIT = "jupyter-alice-singleuser"


def systemd_version():
    out = subprocess.run(["systemctl", "--version"], capture_output=True, text=True,
                         check=True).stdout
    return int(re.match(r"systemd (\d+)", out).group(1))


pytestmark = [
    pytest.mark.timeout(1800),
    pytest.mark.skipif(systemd_version() < 254,
                       reason="DelegateSubgroup= needs systemd >= 254; this guest's systemd "
                              "keeps the two-unit layout (test_e2e_hub_restart)"),
]


def example_unit(hub):
    """The shipped unit with the guest's launcher, config, state and spawner."""
    with open(EXAMPLE) as f:
        text = f.read()
    for line in ("Delegate=yes", "DelegateSubgroup=hub", "KillMode=process",
                 "ExecStartPre=/usr/sbin/cgspawn init\n"):
        assert line in text, f"the example unit lost {line!r}"
    text = (text.replace("/usr/sbin/cgspawn", hub.launcher)
                .replace("/etc/jupyterhub/jupyterhub_config.py", hub.config)
                .replace("WorkingDirectory=/var/lib/jupyterhub", f"WorkingDirectory={hub.state}")
                .replace("StateDirectory=jupyterhub\n", ""))
    return text.replace("[Service]\n", "[Service]\n" + TEST_SERVICE_LINES)


def hub_main_cgroup():
    pid = int(unit_props(HUB_UNIT, "MainPID")["MainPID"])
    return pid, proc_cgroup(pid)


def test_e2e_one_unit_hub_restart_keeps_servers(hubs):
    hub = OneUnitHub(example_unit)
    hubs.hubs.append(hub)
    with hubs.diagnose():
        hub.write_config(users=("alice",), cleanup_servers=False, extra="""
            c.CgroupSpawner.cgroup_root = None  # found from the hub's own cgroup: D/hub
        """)
        hub.install_units()
        hub.start()
        old_hub, where = hub_main_cgroup()
        assert where == "/system.slice/jupyterhub.service/hub", f"the hub runs in {where}"
        _, model = hub.start_server("alice")
        pid = model["servers"][""]["state"]["pid"]
        assert pid in cgroup_pids(os.path.join(D, "users", UNIT)), (
            f"alice's server {pid} is not in {D}/users/{UNIT}: {proc_cgroup(pid)}")
        check_reachable(hub, "alice")

        hub.restart()
        props = unit_props(HUB_UNIT, "ActiveState", "Result", "ExecMainStatus")
        assert props["ActiveState"] == "active", f"the restarted hub is not active: {props}"
        new_hub, where = hub_main_cgroup()
        assert new_hub != old_hub, "the hub was not replaced"
        assert where == "/system.slice/jupyterhub.service/hub", f"the new hub runs in {where}"
        assert alive(pid), f"alice's server (pid {pid}) died with the hub restart"
        model = hub.wait_server("alice", ready=True)
        assert model["servers"][""]["state"]["pid"] == pid, model["servers"][""]
        check_reachable(hub, "alice")

        hub.stop_server("alice")
        wait_for(lambda: not alive(pid), 120, "alice's server to exit")
        assert not os.path.exists(os.path.join(D, "users", UNIT)), "alice's cgroup outlived her stop"
