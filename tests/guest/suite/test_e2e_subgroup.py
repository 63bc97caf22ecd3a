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

from e2e.hub import (EXAMPLES, HUB_UNIT, SITE, UNIT_DIR, Hub, alive, cgroup_pids,
                     proc_cgroup, systemctl, unit_props, wait_for)
from test_e2e_hub import check_reachable, hubs  # noqa: F401  (hubs: the fixture)

EXAMPLE = os.path.join(EXAMPLES, "jupyterhub-subgroup.service")
D = "/sys/fs/cgroup/system.slice/" + HUB_UNIT
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
    env = f"Environment=PYTHONPATH={SITE}\nTimeoutStartSec=600\nTimeoutStopSec=300\n"
    return text.replace("[Service]\n", "[Service]\n" + env)


class OneUnitHub(Hub):
    """The Hub of e2e/hub.py in the one-unit layout: only jupyterhub.service."""

    def install_units(self):
        systemctl("stop", HUB_UNIT, check=False, timeout=600)
        systemctl("reset-failed", HUB_UNIT, check=False)
        path = os.path.join(UNIT_DIR, HUB_UNIT)
        assert not os.path.exists(path), f"{path} exists already (a previous test's leftover?)"
        with open(path, "w") as f:
            f.write(example_unit(self))
        self.installed.append(path)
        systemctl("daemon-reload")

    def close(self):
        # KillMode=process: a server the test left running outlives the
        # unit's stop. Kill what remains (cgroup.kill is recursive), then let
        # the base class stop and remove the unit; systemd removes D once it
        # is empty and the unit is gone.
        systemctl("stop", HUB_UNIT, check=False, timeout=600)
        if os.path.exists(os.path.join(D, "cgroup.kill")):
            with open(os.path.join(D, "cgroup.kill"), "w") as f:
                f.write("1")
            wait_for(lambda: not populated(D), 120, f"{D} to empty")
            # (systemd may prune it meanwhile)
            for top, dirs, _ in os.walk(D, topdown=False):
                for path in [os.path.join(top, n) for n in dirs] + ([D] if top == D else []):
                    try:
                        os.rmdir(path)
                    except FileNotFoundError:
                        pass
        super().close()


def populated(path):
    with open(os.path.join(path, "cgroup.events")) as f:
        return "populated 1" in f.read()


def hub_main_cgroup():
    pid = int(unit_props(HUB_UNIT, "MainPID")["MainPID"])
    return pid, proc_cgroup(pid)


def test_e2e_one_unit_hub_restart_keeps_servers(hubs):
    hub = OneUnitHub()
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
