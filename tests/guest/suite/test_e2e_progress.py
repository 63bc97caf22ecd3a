"""End to end, the spawn progress (issue 18) through a real hub (JupyterHub
3.0 on Debian 12, 5.2 on Debian 13): `GET /hub/api/users/NAME/server/progress`,
the event stream the spawn page reads, lists each step of a spawn, and a
failing spawn ends with the step it failed in, then the hub's own failure.

A wrapper launcher holds each `cgspawn spawn` while HOLD exists, so the
stream is read from the first event on, whatever the timing: the test
connects while the spawn waits, then lets it go. One hub, two spawns:
alice's succeeds (the first of the hub: with the host check), bob's runs a
command that does not exist (no host check any more: once per hub).
"""
import json
import os
import threading
import urllib.request

import pytest

from e2e.hub import CGSPAWN, PROXY, SLOW, alive, unit_cgroup, wait_for
from test_e2e_hub import hubs  # noqa: F401  (the fixture)

HOLD = "/run/cgspawn-e2e-progress-hold"
WRAPPER = "/usr/local/sbin/cgspawn-e2e-progress"  # /run is noexec
MISSING = "/nonexistent/e2e-no-such-server"
EXTRA = f"""
c.CgroupSpawner.tasks_limit = 256

def _bob_runs_nothing(spawner):
    if spawner.user.name == "bob":
        spawner.cmd = ["{MISSING}"]

c.Spawner.pre_spawn_hook = _bob_runs_nothing
"""

pytestmark = pytest.mark.timeout(1800)


@pytest.fixture
def holding_launcher():
    with open(WRAPPER, "w") as f:
        f.write(f"""#!/bin/sh
# cgspawn; a spawn waits while {HOLD} exists (the test reads the progress first)
if [ "$1" = spawn ]; then
    while [ -e {HOLD} ]; do sleep 0.2; done
fi
exec {CGSPAWN} "$@"
""")
    os.chmod(WRAPPER, 0o755)
    try:
        yield WRAPPER
    finally:
        for path in (WRAPPER, HOLD):
            if os.path.exists(path):
                os.unlink(path)


class ProgressReader(threading.Thread):
    """Reads NAME's progress event stream until the hub closes it."""

    def __init__(self, hub, name):
        super().__init__(daemon=True)
        self.url = f"{PROXY}/hub/api/users/{name}/server/progress"
        self.token = hub.token
        self.events, self.error = [], None

    def run(self):
        req = urllib.request.Request(self.url)
        req.add_header("Authorization", f"token {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=120) as r:  # keepalives every 8 s
                for raw in r:
                    line = raw.decode("utf-8", "replace").strip()
                    if line.startswith("data:"):
                        self.events.append(json.loads(line[len("data:"):]))
        except Exception as e:  # noqa: BLE001 (reported by the test)
            self.error = e

    def messages(self):
        return [e.get("message", "") for e in self.events]


def progress_of_held_spawn(hub, name, until):
    """POST NAME's server while spawns are held, read its stream from the
    first event, let the spawn go once an event contains UNTIL; returns the
    reader once the hub closed the stream."""
    open(HOLD, "w").close()
    hub.post_server(name)
    reader = ProgressReader(hub, name)
    reader.start()
    try:
        wait_for(lambda: reader.error or any(until in m for m in reader.messages()), SLOW,
                 f"the progress of {name}'s spawn to say {until!r}")
    finally:
        os.unlink(HOLD)
    reader.join(SLOW)
    assert not reader.is_alive(), f"the progress stream did not end: {reader.messages()}"
    assert reader.error is None, f"reading {reader.url}: {reader.error}; {reader.messages()}"
    print("\n".join(f"{e.get('progress')}: {e.get('message')}" for e in reader.events))
    values = [e["progress"] for e in reader.events if "progress" in e]
    assert values == sorted(values), f"the percentages went back: {values}"
    return reader


def in_order(messages, *expected):
    """Each of EXPECTED starts a message, in this order."""
    at = 0
    for prefix in expected:
        found = [i for i, m in enumerate(messages) if i >= at and m.startswith(prefix)]
        assert found, f"no event {prefix!r} (after event {at}) in {messages}"
        at = found[0] + 1


def test_e2e_progress_lists_each_step_and_a_failure_names_its_step(hubs, holding_launcher):
    hub = hubs.new(launcher=holding_launcher)
    with hubs.diagnose():
        hub.write_config(users=("alice", "bob"), extra=EXTRA)
        hub.install_units()
        hub.start()
        alice = progress_of_held_spawn(hub, "alice", "Creating cgroup")
        pid = hub.user_model("alice")["servers"][""]["state"]["pid"]
        messages = alice.messages()
        in_order(messages, "Server requested",
                 "Checking that this host can enforce the limits (cgspawn check",
                 "Creating cgroup jupyter-alice-singleuser and starting the server in it",
                 "Cgroup jupyter-alice-singleuser created: 512 MiB, 1 CPU, 256 tasks",
                 f"Server started (pid {pid})",
                 "Waiting for the server to answer at 127.0.0.1:")
        # The emulated server takes far longer than the 5 s between updates.
        assert [m for m in messages if m.endswith(" s so far")], messages
        assert alice.events[-1].get("ready") and alice.events[-1]["progress"] == 100, alice.events[-1]
        hub.stop_server("alice")
        wait_for(lambda: not alive(pid), 60, "alice's server to exit")

        bob = progress_of_held_spawn(hub, "bob", "Creating cgroup")
        messages = bob.messages()
        assert not [m for m in messages if "cgspawn check" in m], "a second host check"
        in_order(messages, "Server requested",
                 "Creating cgroup jupyter-bob-singleuser and starting the server in it",
                 "Spawn failed at starting the server in its cgroup: ")
        assert MISSING in messages[-2], messages[-2]
        assert bob.events[-1].get("failed") and messages[-1].startswith("Spawn failed"), bob.events
        hub.wait_server("bob", ready=False)
        assert not os.path.exists(unit_cgroup("jupyter-bob-singleuser"))
