"""A Hub (e2e/hub.py) whose jupyterhub.service owns the servers too: no
jupyterhub-servers.service, D is the hub unit's own cgroup. unit_text(hub)
gives the unit. Used by the one-unit layout of systemd >= 254
(test_e2e_subgroup.py) and by the minimal setup a migrating admin makes,
Delegate=yes added to the hub's unit and nothing else (test_e2e_minimal.py).
"""
import os

from e2e.hub import HUB_UNIT, SITE, UNIT_DIR, Hub, systemctl, wait_for

D = "/sys/fs/cgroup/system.slice/" + HUB_UNIT
TEST_SERVICE_LINES = f"Environment=PYTHONPATH={SITE}\nTimeoutStartSec=600\nTimeoutStopSec=300\n"


def populated(path):
    with open(os.path.join(path, "cgroup.events")) as f:
        return "populated 1" in f.read()


class OneUnitHub(Hub):
    def __init__(self, unit_text, **kw):
        super().__init__(**kw)
        self.unit_text = unit_text

    def install_units(self):
        systemctl("stop", HUB_UNIT, check=False, timeout=600)
        systemctl("reset-failed", HUB_UNIT, check=False)
        path = os.path.join(UNIT_DIR, HUB_UNIT)
        assert not os.path.exists(path), f"{path} exists already (a previous test's leftover?)"
        with open(path, "w") as f:
            f.write(self.unit_text(self))
        self.installed.append(path)
        systemctl("daemon-reload")

    def close(self):
        # With KillMode=process a server the test left running outlives the
        # unit's stop. Kill what remains (cgroup.kill is recursive) and
        # remove D's subtree, then let the base class remove the unit.
        systemctl("stop", HUB_UNIT, check=False, timeout=600)
        if os.path.exists(os.path.join(D, "cgroup.kill")):
            with open(os.path.join(D, "cgroup.kill"), "w") as f:
                f.write("1")
            wait_for(lambda: not populated(D), 120, f"{D} to empty")
            for top, dirs, _ in os.walk(D, topdown=False):
                for path in [os.path.join(top, n) for n in dirs] + ([D] if top == D else []):
                    try:
                        os.rmdir(path)
                    except FileNotFoundError:  # systemd may prune it meanwhile
                        pass
        super().close()
