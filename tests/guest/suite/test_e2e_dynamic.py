"""End to end, the spawner options of issues 5 and 6 in a real JupyterHub:

- dynamic_users: a hub user with no Unix account (and a name that needs
  escaping) gets a server running as a dynamic uid with its own home, and
  slice_limits put the aggregate limits on the slice it runs in;
- the preflight: a hub pointed at a cgroup systemd did not delegate refuses
  the spawn with `cgspawn check`'s verdict, and starts nothing.
"""
import hashlib
import os
import shutil
import subprocess
import tempfile

import pytest

from e2e.hub import D, HUB_UNIT, HubError, alive, cgroup_pids, proc_uid, read, unit_props, wait_for
from test_e2e_hub import TIMEOUT, check_reachable, environ, hubs  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(TIMEOUT)

HUB_USER = "eve@example.org"
DYN_NAME = "eve-40example.org"  # cgroupspawner/dynamic.py's escape of HUB_USER
UNIT = "jupyter-eve_40example_2eorg-singleuser"  # cgroupspawner/slugs.py's unit of HUB_USER
SLICE = "e2e-students"
SLICE_MEM = 300 << 20
UNIT_MEM = 256 << 20


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def hub_journal_since(hub):
    subprocess.run(["journalctl", "--sync"], timeout=60, check=False)
    r = subprocess.run(["journalctl", "--no-pager", "-o", "cat", "-u", HUB_UNIT,
                        "--since", f"@{int(hub.since)}"], capture_output=True, text=True, timeout=120)
    return r.stdout


@pytest.fixture
def dyn_state():
    """A private dynamic-user state directory (mapping and homes), removed after."""
    base = tempfile.mkdtemp(prefix="cgspawn-e2e-dyn-", dir="/var/lib")
    os.chmod(base, 0o755)  # the homes below must be reachable
    yield os.path.join(base, "state")
    shutil.rmtree(base, ignore_errors=True)


def test_e2e_dynamic_user_in_a_limited_slice(hubs, dyn_state, record_property):  # noqa: F811
    etc = {p: digest(p) for p in ("/etc/passwd", "/etc/group", "/etc/shadow")}
    hub = hubs.new()
    with hubs.diagnose():
        hub.write_config(users=(HUB_USER,), mem_limit="256M", cpu_limit=0.5, extra=f"""
            c.CgroupSpawner.dynamic_users = True
            c.CgroupSpawner.dynamic_user_state = "{dyn_state}"
            c.CgroupSpawner.slice = "{SLICE}"
            c.CgroupSpawner.slice_limits = {{"{SLICE}": {{"mem_limit": "300M", "tasks_limit": 300}}}}
        """)
        hub.install_units()
        hub.start()
        # (allowed_users made the hub user at start-up)
        took, model = hub.start_server(HUB_USER)
        record_property("spawn_to_ready_s", round(took, 1))

        # the preflight ran once and passed
        journal = hub_journal_since(hub)
        assert journal.count("cgspawn check: every check passed") == 1, journal[-3000:]

        # the slice carries slice_limits, the unit its own limits, below it
        slice_dir = os.path.join(D, "users", SLICE)
        path = os.path.join(slice_dir, UNIT)
        state = model["servers"][""]["state"]
        assert state["cgroup_path"] == path, state
        assert read(os.path.join(slice_dir, "memory.max")) == str(SLICE_MEM)
        assert read(os.path.join(slice_dir, "pids.max")) == "300"
        assert read(os.path.join(path, "memory.max")) == str(UNIT_MEM)
        pid = state["pid"]
        assert pid in cgroup_pids(path)

        # a dynamic uid from the default range, its home, nothing in /etc
        uid = proc_uid(pid)
        assert 20000 <= uid <= 29999, f"server runs as uid {uid}"
        home = os.path.join(dyn_state, "home", DYN_NAME)
        st = os.stat(home)
        assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (uid, uid, 0o700)
        assert os.readlink(f"/proc/{pid}/cwd") == home, "the home is not the working directory"
        env = environ(pid)
        assert env.get("HOME") == home and env.get("USER") == DYN_NAME, env
        with open(f"/proc/{pid}/root/etc/passwd") as f:
            inside = f.read()
        assert f"{DYN_NAME}:x:{uid}:{uid}:" in inside, "no passwd entry inside the server"
        assert {p: digest(p) for p in etc} == etc, "the guest's /etc changed"
        check_reachable(hub, HUB_USER)

        hub.stop_server(HUB_USER)
        wait_for(lambda: not os.path.exists(path), 60, f"{path} to be removed")
        wait_for(lambda: not alive(pid), 60, "the server to exit")
        # a slice with configured limits outlives its last unit
        assert os.path.isdir(slice_dir)


def test_e2e_preflight_refuses_an_undelegated_root(hubs):  # noqa: F811
    # The hub's own unit (no Delegate=) as the servers' root: cgspawn check
    # finds no delegation and no units directory.
    root = "/sys/fs/cgroup/system.slice/" + HUB_UNIT
    hub = hubs.new()
    with hubs.diagnose():
        hub.write_config(users=("alice",), extra=f"""
            c.CgroupSpawner.cgroup_root = "{root}"
        """)
        hub.install_units()
        hub.start()
        status, body = hub.api("POST", "/hub/api/users/alice/server", timeout=600)
        if status == 202:  # still pending when the API answered: it fails later
            with pytest.raises(HubError, match="stopped while starting"):
                hub.wait_server("alice", ready=True)
        else:
            # JupyterHub answers a bare 500; the reason is in its log (below)
            assert status == 500, (status, body)
        journal = hub_journal_since(hub)
        assert "cannot work on this host: cgspawn check: FAIL" in journal, journal[-3000:]
        assert "add Delegate=yes" in journal, journal[-3000:]
        assert "spawning " not in journal, "a spawn was attempted after the check failed"
        hub_pid = int(unit_props(HUB_UNIT, "MainPID")["MainPID"])
        assert not [p for p in cgroup_pids(root) if p != hub_pid and proc_uid(p) != 0], (
            "a server process runs in the hub's cgroup")
        assert not os.path.exists(os.path.join(root, "users")), "the refused start created cgroups"
