"""A hub's start runs the launcher for `spawn` only (after the hub's one
`check`: no cgroup of the unit's name under the root the check found, so no
`status`), and its poll() of a running server starts no process (issue 17):
`spawn --json` names the unit's cgroup and its inode, and the spawner reads that cgroup's
cgroup.events (spawner/cgroupspawner/cgroup_files.py); it still sees a
server that stopped. A root hub counts its launcher calls through a wrapper; a sudo hub
(the unprivileged jhub, who reads the cgroup files itself) through sudo's
journal record of every command it runs."""
import os
import subprocess
import time

import pytest

from e2e.hub import CGSPAWN, EXAMPLES, unit_cgroup, wait_for
from test_e2e_hub import hubs  # noqa: F401  (hubs: the fixture)

pytestmark = pytest.mark.timeout(1800)
UNIT = "jupyter-alice-singleuser"
POLL = 2  # c.Spawner.poll_interval for these hubs, seconds
QUIET = 8 * POLL  # a window of several polls


def counting_launcher(hub):
    """A launcher in the hub's state directory that logs each call's
    subcommand and execs cgspawn; returns (path, calls())."""
    log = os.path.join(hub.state, "launcher-calls.log")
    path = os.path.join(hub.state, "cgspawn-counting")
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\necho "$1" >> {log}\nexec {CGSPAWN} "$@"\n')
    os.chmod(path, 0o755)

    def calls():
        try:
            with open(log) as f:
                return f.read().split()
        except FileNotFoundError:
            return []
    return path, calls


def sudo_launcher_calls(since):
    """The launcher's subcommands run through sudo since SINCE, from sudo's
    journal records (COMMAND=/usr/local/sbin/cgspawn SUB ...)."""
    subprocess.run(["journalctl", "--sync"], timeout=60, check=False)
    out = subprocess.run(["journalctl", "--no-pager", "-o", "cat", "-t", "sudo",
                          "--since", f"@{since}"], capture_output=True, text=True, timeout=120).stdout
    marker = f"COMMAND={CGSPAWN} "
    return [line.split(marker, 1)[1].split()[0] for line in out.splitlines() if marker in line]


def quiet_while_running_then_sees_the_stop(hub, calls):
    """The start ran `spawn` and no `status` (neither before it, with no
    unit of that name, nor after it); polls of the running server start no
    launcher; a killed server is noticed by the next poll (one status, one
    cleanup)."""
    before = list(calls())
    assert before[-1] == "spawn" and "status" not in before, f"the start's launcher calls: {before}"
    time.sleep(QUIET)
    during = list(calls())[len(before):]
    assert during == [], f"polls of a running server ran the launcher: {during}"
    path = unit_cgroup(UNIT)
    with open(os.path.join(path, "cgroup.kill"), "w") as f:
        f.write("1")
    hub.wait_server("alice", ready=False, timeout=120)
    after = list(calls())[len(before):]
    assert after[:2] == ["status", "cleanup"], f"the stop was not confirmed by cgspawn: {after}"
    wait_for(lambda: not os.path.exists(path), 60, f"{path} to be removed")


def test_e2e_root_hub_polls_without_processes(hubs):  # noqa: F811
    hub = hubs.new()
    hub.launcher, calls = counting_launcher(hub)
    with hubs.diagnose():
        hub.write_config(users=("alice",), extra=f"c.Spawner.poll_interval = {POLL}\n")
        hub.install_units()
        hub.start()
        hub.start_server("alice")
        quiet_while_running_then_sees_the_stop(hub, calls)


def test_e2e_sudo_hub_polls_without_processes(hubs):  # noqa: F811
    """As test_e2e_hub.test_e2e_sudo_hub: the example policy and config."""
    hub = hubs.new(user="jhub")
    with hubs.diagnose():
        with open(os.path.join(EXAMPLES, "policy.json")) as f:
            hub.write_policy(f.read())
        hub.write_config(
            users=("alice",), sudo=True, mem_limit=None, cpu_limit=None,
            base=os.path.join(EXAMPLES, "jupyterhub_config.py"), extra=f"""
            c.Spawner.cmd = ["/usr/bin/jupyterhub-singleuser"]
            c.Spawner.poll_interval = {POLL}
        """)
        hub.install_units()
        hub.start()
        since = int(time.time())
        hub.start_server("alice")
        quiet_while_running_then_sees_the_stop(hub, lambda: sudo_launcher_calls(since))
