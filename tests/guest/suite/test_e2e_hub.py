"""End to end: Debian's JupyterHub 3.0 with CgroupSpawner and cgspawn under
systemd, in the layout of spawner/examples (the servers' cgroups belong to
jupyterhub-servers.service, the hub is a plain jupyterhub.service).

Everything goes through the hub's REST API and configurable-http-proxy with a
service token; the checks from the guest read /proc and the cgroup files.
Units, config, database, policy are removed after each test (e2e/hub.py).
"""
import contextlib
import os
import pwd
import secrets
import subprocess
import time

import pytest

from conftest import HELPERS
from e2e.hub import (
    CGSPAWN, D, EXAMPLES, HUB_UNIT, SERVERS_UNIT, Hub, alive, cgroup_pids, proc_cgroup, proc_uid,
    read, sh, unit_cgroup, unit_props, wait_for, systemctl,
)

MEM_LIMIT = "512M"
MEM_BYTES = "536870912"
CPU_MAX = "100000 100000"  # cpu_limit = 1
EXAMPLE_MEM = str(2 << 30)  # examples/jupyterhub_config.py: mem_limit = "2G"
# One test starts a hub, spawns, restarts, ... on an emulated CPU.
TIMEOUT = 1800

pytestmark = pytest.mark.timeout(TIMEOUT)


class Hubs:
    def __init__(self):
        self.hubs = []

    def new(self, **kw):
        hub = Hub(**kw)
        self.hubs.append(hub)
        return hub

    @contextlib.contextmanager
    def diagnose(self):
        """On failure, print the hub's, the servers' and sudo's journal
        (pytest shows it with the failure)."""
        try:
            yield
        except BaseException:
            for hub in self.hubs:
                print(hub.journal())
            raise

    def close(self):
        errors = []
        for hub in self.hubs:
            try:
                hub.close()
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, "; ".join(errors)


@pytest.fixture
def hubs():
    h = Hubs()
    yield h
    h.close()


def environ(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        return dict(r.decode(errors="replace").split("=", 1)
                    for r in f.read().split(b"\0") if b"=" in r)


def mount_of(pid, target):
    """(fstype, source) of the topmost mount at TARGET in PID's mount namespace."""
    found = None
    with open(f"/proc/{pid}/mountinfo") as f:
        for line in f:
            left, right = line.split(" - ", 1)
            if left.split()[4] == target:
                found = tuple(right.split()[:2])
    return found


def check_server(hub, name, model, *, mem=MEM_BYTES, cpu=CPU_MAX):
    """The running server of NAME, as seen from the guest; returns its pid."""
    unit = f"jupyter-{name}-singleuser"
    path = unit_cgroup(unit)
    server = model["servers"][""]
    state = server.get("state") or {}
    assert state.get("unit_name") == unit, f"spawner state: {state}"
    assert state.get("cgroup_path") == path, f"spawner state: {state}"
    pids = cgroup_pids(path)
    assert pids, f"no process in {path}"
    pid = state.get("pid")
    assert pid in pids, f"the spawner's pid {pid} is not in {path}: {pids}"

    # identity, cgroup, command
    assert proc_cgroup(pid) == path[len("/sys/fs/cgroup"):], proc_cgroup(pid)
    assert proc_uid(pid) == pwd.getpwnam(name).pw_uid, f"server {pid} runs as uid {proc_uid(pid)}"
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        cmdline = f.read().replace(b"\0", b" ").decode()
    assert "jupyterhub-singleuser" in cmdline, cmdline
    env = environ(pid)
    assert hub.token not in cmdline and env.get("JUPYTERHUB_API_TOKEN") not in cmdline

    # limits, as configured and as JupyterHub exports them
    assert read(os.path.join(path, "memory.max")) == mem, "memory.max"
    assert read(os.path.join(path, "cpu.max")) == cpu, "cpu.max"
    assert env.get("MEM_LIMIT") == mem, f"MEM_LIMIT = {env.get('MEM_LIMIT')}"
    assert env.get("JUPYTERHUB_USER") == name

    # a private /tmp: another mount namespace whose /tmp is a fresh tmpfs,
    # and files do not cross between it and the guest's /tmp
    hub_pid = int(unit_props(HUB_UNIT, "MainPID")["MainPID"])
    assert hub_pid > 0
    assert os.stat(f"/proc/{pid}/ns/mnt").st_ino != os.stat(f"/proc/{hub_pid}/ns/mnt").st_ino, (
        "the server shares the hub's mount namespace")
    assert mount_of(pid, "/tmp") is not None and mount_of(pid, "/tmp")[0] == "tmpfs", (
        f"/tmp of the server: {mount_of(pid, '/tmp')}")
    outside = f"/tmp/e2e-outside-{secrets.token_hex(4)}"
    inside = f"e2e-inside-{secrets.token_hex(4)}"
    with open(outside, "w"):
        pass
    try:
        with open(f"/proc/{pid}/root/tmp/{inside}", "w"):
            pass
        assert not os.path.exists(f"/proc/{pid}/root{outside}"), "the guest's /tmp file is visible to the server"
        assert not os.path.exists(f"/tmp/{inside}"), "the server's /tmp file is visible in the guest"
        os.unlink(f"/proc/{pid}/root/tmp/{inside}")
    finally:
        os.unlink(outside)
    return pid


def check_reachable(hub, name):
    status, body = hub.server_status(name)
    assert status == 200, f"GET /user/{name}/api/status through the proxy -> {status}: {body[:500]}"
    assert '"started"' in body, body[:500]


def check_gone(name, pid):
    path = unit_cgroup(f"jupyter-{name}-singleuser")
    wait_for(lambda: not os.path.exists(path), 60, f"{path} to be removed")
    wait_for(lambda: not alive(pid), 60, f"{name}'s server (pid {pid}) to exit")


@contextlib.contextmanager
def child_of_hub_unit():
    """A process in the hub unit's cgroup, as a `cgspawn status` the hub runs
    would be; yields the file in which it notes a SIGTERM (and exits)."""
    noted = f"/run/e2e-termprobe-{secrets.token_hex(4)}"
    probe = subprocess.Popen(["/usr/bin/python3", os.path.join(HELPERS, "termprobe.py"), noted],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert probe.stdout.readline().strip() == "ready", "termprobe.py did not start"
        with open(f"/sys/fs/cgroup/system.slice/{HUB_UNIT}/cgroup.procs", "w") as f:
            f.write(str(probe.pid))
        yield noted
    finally:
        probe.kill()
        probe.wait()
        if os.path.exists(noted):
            os.unlink(noted)


def test_e2e_root_hub(hubs, record_property):
    hub = hubs.new()
    with hubs.diagnose():
        hub.write_config(mem_limit=MEM_LIMIT, cpu_limit=1.0)
        hub.install_units()
        record_property("hub_start_s", round(hub.start(), 1))
        assert unit_props(SERVERS_UNIT, "ActiveState")["ActiveState"] == "active"
        assert os.path.isdir(os.path.join(D, "users")), f"{D}/users: cgspawn init did not run"
        for name in ("alice", "bob"):
            model = hub.user_model(name)
            assert model["servers"] == {} and model["pending"] is None, model

        # both spawns at once, as two users would
        names = ("alice", "bob")
        asked = {name: hub.post_server(name) for name in names}
        for name in names:
            hub.wait_server(name, ready=True)
            record_property(f"spawn_to_ready_{name}_s", round(time.monotonic() - asked[name], 1))
        pids = {}
        for name in names:
            pids[name] = check_server(hub, name, hub.user_model(name))
            check_reachable(hub, name)
        assert pids["alice"] != pids["bob"]

        for name in names:
            hub.stop_server(name)
            check_gone(name, pids[name])
        users = os.path.join(D, "users")
        left = [e for e in os.listdir(users) if os.path.isdir(os.path.join(users, e))]
        assert not left, f"unit cgroups left in {users}: {left}"


def test_e2e_hub_restart(hubs, record_property):
    hub = hubs.new()
    with hubs.diagnose():
        hub.write_config(users=("alice",), cleanup_servers=False)
        hub.install_units()
        record_property("hub_start_s", round(hub.start(), 1))
        took, model = hub.start_server("alice")
        record_property("spawn_to_ready_s", round(took, 1))
        pid = check_server(hub, "alice", model)
        check_reachable(hub, "alice")

        # cleanup_servers = False: restarting the hub neither fails nor kills the server
        for round_ in (1, 2):
            old_hub = int(unit_props(HUB_UNIT, "MainPID")["MainPID"])
            if round_ == 2:
                # the hub that starts now will stop its servers when it stops
                hub.write_config(users=("alice",), cleanup_servers=True)
            record_property(f"hub_restart_{round_}_s", round(hub.restart(), 1))
            props = unit_props(HUB_UNIT, "ActiveState", "Result", "MainPID", "ExecMainStatus")
            assert props["ActiveState"] == "active" and props["Result"] == "success", props
            assert int(props["MainPID"]) not in (0, old_hub), f"the hub was not replaced: {props}"
            assert alive(pid), f"alice's server (pid {pid}) died with the hub restart"
            assert pid in cgroup_pids(unit_cgroup("jupyter-alice-singleuser"))
            model = hub.wait_server("alice", ready=True)
            assert model["servers"][""]["state"]["pid"] == pid, model["servers"][""]
            check_reachable(hub, "alice")

        # cleanup_servers = True: stopping the hub stops its servers (the hub
        # does it: the servers' unit stays up). systemd's SIGTERM reaches the
        # hub only (KillMode=mixed), not the launcher commands that its
        # shutdown runs as its children: one hit by it failed "stop alice".
        with child_of_hub_unit() as probe:
            systemctl("stop", HUB_UNIT, timeout=600)
            assert not os.path.exists(probe), (
                f"stopping {HUB_UNIT} sent SIGTERM to a child of the hub, not only to the hub")
        assert unit_props(SERVERS_UNIT, "ActiveState")["ActiveState"] == "active"
        check_gone("alice", pid)


def test_e2e_sudo_hub(hubs, record_property):
    """The hub runs as the unprivileged jhub; cgspawn through `sudo -n`,
    bounded by /etc/cgspawn/policy.json. The hub's config is the shipped
    examples/jupyterhub_config.py with sudo mode switched on."""
    hub = hubs.new(user="jhub")
    with hubs.diagnose():
        # The example policy as shipped: its root is D, its command
        # /usr/bin/jupyterhub-singleuser, its users group jupyterhub-users
        # (alice, bob), its read-write prefix /home, its properties
        # memory.high and io.weight, its ceilings (4G, 2 CPUs, 4096 tasks)
        # above the example config's limits.
        with open(os.path.join(EXAMPLES, "policy.json")) as f:
            policy = f.read()
        assert f'"cgroup_root": "{D}"' in policy, "the example policy's cgroup_root is not D"
        hub.write_policy(policy)
        # The example sudoers rule parses (the image's rule for jhub, which
        # allows all of cgspawn, is what applies: the policy is the bound).
        sh("visudo", "-c", "-f", os.path.join(EXAMPLES, "sudoers"))
        hub.write_config(
            users=("alice",), sudo=True, cleanup_servers=False, mem_limit=None, cpu_limit=None,
            base=os.path.join(EXAMPLES, "jupyterhub_config.py"), extra="""
            # as the example's comments say for sudo mode: the policy allows
            # exactly this command (no PATH search)
            c.Spawner.cmd = ["/usr/bin/jupyterhub-singleuser"]
        """)
        hub.install_units()
        record_property("hub_start_s", round(hub.start(), 1))
        hub_pid = int(unit_props(HUB_UNIT, "MainPID")["MainPID"])
        assert proc_uid(hub_pid) == pwd.getpwnam("jhub").pw_uid, "the hub does not run as jhub"

        took, model = hub.start_server("alice")
        record_property("spawn_to_ready_s", round(took, 1))
        # examples/jupyterhub_config.py: mem_limit 2G, cpu_limit 1,
        # mem_guarantee 512M, tasks_limit 512, MemoryHigh 1800M, io.weight 50
        pid = check_server(hub, "alice", model, mem=EXAMPLE_MEM)
        check_reachable(hub, "alice")
        path = unit_cgroup("jupyter-alice-singleuser")
        for cgroup_file, value in (("memory.low", str(512 << 20)), ("pids.max", "512"),
                                   ("memory.high", str(1800 << 20)), ("io.weight", "default 50")):
            assert read(os.path.join(path, cgroup_file)) == value, cgroup_file
        assert "PYTHONPATH" not in environ(pid), "the policy did not drop PYTHONPATH"
        # / is read-only for the server, its home is not; /dev is private
        with open(f"/proc/{pid}/mountinfo") as f:
            opts = {line.split()[4]: line.split()[5] for line in f}
        assert opts["/"].split(",")[0] == "ro", f"/ of the server: {opts['/']}"
        assert opts.get("/home/alice", "").split(",")[0] == "rw", opts.get("/home/alice")
        assert mount_of(pid, "/dev")[0] == "tmpfs", f"/dev of the server: {mount_of(pid, '/dev')}"
        assert not os.path.exists(f"/proc/{pid}/root/dev/vda"), "the server sees the disk"

        hub.stop_server("alice")
        check_gone("alice", pid)
        # every launcher call went through sudo as jhub
        log = hub.journal()
        assert "jhub : " in log and f"COMMAND={CGSPAWN} spawn" in log, "no sudo record of jhub's spawn"
        assert f"COMMAND={CGSPAWN} stop" in log, "no sudo record of jhub's stop"

        # The admin's kill switch: stopping the servers' unit stops every
        # server (this hub has cleanup_servers = False, so systemd does it,
        # not the hub) and the hub with it (Requires=).
        took, model = hub.start_server("alice")
        record_property("respawn_to_ready_s", round(took, 1))
        pid = check_server(hub, "alice", model, mem=EXAMPLE_MEM)
        systemctl("stop", SERVERS_UNIT, timeout=600)
        for unit in (HUB_UNIT, SERVERS_UNIT):
            state = unit_props(unit, "ActiveState")["ActiveState"]
            assert state == "inactive", f"{unit} is {state} after stopping {SERVERS_UNIT}"
        assert not alive(pid), f"alice's server (pid {pid}) outlived {SERVERS_UNIT}"
        assert not os.path.exists(D), f"{D} outlived {SERVERS_UNIT}"
