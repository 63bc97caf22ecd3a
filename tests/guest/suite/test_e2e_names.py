"""End to end: unit names no two servers share (issue 16).

User `a`'s named server `b-singleuser` and user `a-singleuser-b`'s default
server were both `jupyter-a-singleuser-b-singleuser`, so each spawner took
the other's running server for a lost one and stopped it. Here both run at
once, next to a user whose name needs escaping (`ann+test@example.org`),
and stopping one leaves the others running.

A unit records its (hub user, server) as cgspawn wrote it, so a name an
older CgroupSpawner kept in the hub's state, now another server's, is
neither stopped nor adopted.

And a config left under c.SystemdSpawner.* after the one-line switch still
sets the limits and isolation (traitlets would read only c.CgroupSpawner).
"""
import errno
import json
import os
import re
import sqlite3
import urllib.parse

import pytest

from e2e.hub import D, HUB_UNIT, SLOW, alive, cgroup_pids, read, systemctl, unit_cgroup, wait_for
from test_e2e_dynamic import dyn_state  # noqa: F401 (fixture)
from test_e2e_hub import TIMEOUT, hubs, mount_of  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(TIMEOUT)

# (hub user, server name) -> the unit slugs.py gives it, spelled out here.
SERVERS = {
    ("a", "b-singleuser"): "jupyter-a-singleuser-b_2dsingleuser",
    ("a-singleuser-b", ""): "jupyter-a_2dsingleuser_2db-singleuser",
    ("ann+test@example.org", ""): "jupyter-ann_2btest_40example_2eorg-singleuser",
}


def server_url(user, server):
    path = f"/hub/api/users/{urllib.parse.quote(user, safe='')}/server"
    return path + (f"s/{urllib.parse.quote(server, safe='')}" if server else "")


def server_model(hub, user, server):
    status, model = hub.api("GET", f"/hub/api/users/{urllib.parse.quote(user, safe='')}")
    assert status == 200, f"GET user {user!r} -> {status}: {model}"
    return model.get("servers", {}).get(server)


def wait_ready(hub, user, server):
    def ready():
        s = server_model(hub, user, server)
        return s if s and s.get("ready") and not s.get("pending") else None
    return wait_for(ready, 900, f"{user!r}'s server {server!r} to be ready", interval=3)


def test_e2e_servers_that_shared_a_unit_run_side_by_side(hubs, dyn_state):  # noqa: F811
    hub = hubs.new()
    with hubs.diagnose():
        hub.write_config(users=tuple(sorted({u for u, _ in SERVERS})), extra=f"""
            c.JupyterHub.allow_named_servers = True
            c.CgroupSpawner.dynamic_users = True
            c.CgroupSpawner.dynamic_user_state = "{dyn_state}"
        """)
        hub.install_units()
        hub.start()
        for user, server in SERVERS:
            status, body = hub.api("POST", server_url(user, server), timeout=900)
            assert status in (201, 202), f"POST {server_url(user, server)} -> {status}: {body}"
        pids = {}
        for (user, server), unit in SERVERS.items():
            state = wait_ready(hub, user, server)["state"]
            path = unit_cgroup(unit)
            assert state["unit_name"] == unit and state["cgroup_path"] == path, state
            assert state["pid"] in cgroup_pids(path), f"{state['pid']} not in {path}"
            pids[(user, server)] = state["pid"]
        users = os.path.join(D, "users")
        units = [e for e in os.listdir(users) if os.path.isdir(os.path.join(users, e))]
        assert sorted(units) == sorted(SERVERS.values())

        # Stopping one leaves the others running, each in its own unit.
        first, *others = SERVERS
        status, body = hub.api("DELETE", server_url(*first), timeout=900)
        assert status in (202, 204), f"DELETE {server_url(*first)} -> {status}: {body}"
        wait_for(lambda: server_model(hub, *first) is None, 600, f"{first} to stop")
        wait_for(lambda: not os.path.exists(unit_cgroup(SERVERS[first])), 60, "its unit to go")
        for key in others:
            assert alive(pids[key]) and pids[key] in cgroup_pids(unit_cgroup(SERVERS[key])), (
                f"stopping {first} took {key}'s server (pid {pids[key]}) with it")
            assert server_model(hub, *key)["ready"], f"{key} is no longer ready"


def test_e2e_a_systemdspawner_config_keeps_its_limits(hubs):  # noqa: F811
    """SystemdSpawner's README settings, left under c.SystemdSpawner after
    the one-line switch, still limit and isolate the server."""
    hub = hubs.new()
    with hubs.diagnose():
        hub.write_config(mem_limit=None, cpu_limit=None, extra="""
            c.SystemdSpawner.mem_limit = "300M"
            c.SystemdSpawner.cpu_limit = 0.5
            c.SystemdSpawner.isolate_tmp = True
            c.SystemdSpawner.readonly_paths = ["/"]
            c.SystemdSpawner.readwrite_paths = ["/home/{USERNAME}"]
            c.SystemdSpawner.unit_extra_properties = {"TasksMax": "200", "LimitNOFILE": "16384"}
        """)
        hub.install_units()
        hub.start()
        _, model = hub.start_server("alice")
        state = model["servers"][""]["state"]
        path = unit_cgroup("jupyter-alice-singleuser")
        assert state["cgroup_path"] == path, state
        assert read(os.path.join(path, "memory.max")) == str(300 << 20)
        assert read(os.path.join(path, "cpu.max")) == "50000 100000"
        assert read(os.path.join(path, "pids.max")) == "200"
        # ... and the server reads its own limit at /sys/fs/cgroup (its cgroup view)
        own = read(f"/proc/{state['pid']}/root/sys/fs/cgroup/memory.max")
        assert own == str(300 << 20), own
        # `ulimit -n` inside is 16384: the server's own limits, as its shell inherits them
        limits = read(f"/proc/{state['pid']}/limits")
        assert re.search(r"^Max open files +16384 +16384 +files", limits, re.M), limits
        assert mount_of(state["pid"], "/tmp")[0] == "tmpfs"
        with pytest.raises(OSError) as e:
            open(f"/proc/{state['pid']}/root/etc/e2e-should-not-exist", "w").close()
        assert e.value.errno == errno.EROFS, e.value
        hub.stop_server("alice")


def test_e2e_a_unit_that_records_another_server_is_left_alone(hubs, dyn_state):  # noqa: F811
    """ann.lee's server runs as jupyter-ann_2elee-singleuser (escaped). User
    ann_2elee's state, as a CgroupSpawner from before escaping kept it, names
    that same unit: ann_2elee's start must fail naming both and leave
    ann.lee's server running, where it used to stop it as a lost unit."""
    unit = "jupyter-ann_2elee-singleuser"
    hub = hubs.new()
    with hubs.diagnose():
        hub.write_config(users=("ann.lee", "ann_2elee"), cleanup_servers=False, extra=f"""
            c.CgroupSpawner.dynamic_users = True
            c.CgroupSpawner.dynamic_user_state = "{dyn_state}"
        """)
        hub.install_units()
        hub.start()
        # ann_2elee's server once, so the hub has its spawner's state row
        hub.start_server("ann_2elee")
        hub.stop_server("ann_2elee")
        _, model = hub.start_server("ann.lee")
        pid = model["servers"][""]["state"]["pid"]
        assert model["servers"][""]["state"]["unit_name"] == unit
        systemctl("stop", HUB_UNIT, timeout=SLOW)  # the servers' unit keeps ann.lee's
        with sqlite3.connect(os.path.join(hub.state, "jupyterhub.sqlite")) as db:
            (row_id, state), = db.execute(
                "SELECT spawners.id, spawners.state FROM spawners JOIN users"
                " ON spawners.user_id = users.id WHERE users.name = ? AND spawners.name = ''",
                ("ann_2elee",)).fetchall()
            state = dict(json.loads(state or "{}"), unit_name=unit)
            db.execute("UPDATE spawners SET state = ? WHERE id = ?", (json.dumps(state), row_id))
        hub.start()
        status, body = hub.api("POST", "/hub/api/users/ann_2elee/server", timeout=SLOW)
        assert status in (202, 500), f"POST ann_2elee's server -> {status}: {body}"

        def settled():
            server = hub.user_model("ann_2elee")["servers"].get("")
            if server is None:
                return "failed"
            return "started" if server.get("ready") and not server.get("pending") else None

        outcome = wait_for(settled, SLOW, "ann_2elee's start to end", interval=2)
        assert alive(pid) and pid in cgroup_pids(unit_cgroup(unit)), "ann.lee's server was stopped"
        assert outcome == "failed", "ann_2elee's server started (in ann.lee's unit's place?)"
        assert hub.user_model("ann.lee")["servers"][""]["ready"]
        why = (f"unit {unit} belongs to user 'ann.lee', default server, not to user 'ann_2elee',"
               " default server")
        wait_for(lambda: why in hub.journal(), 60, f"the hub's log to say {why!r}", interval=5)
