"""End to end, what a user does with the server CgroupSpawner started, on
whatever JupyterHub the guest has (Debian 12: 3.0 and the classic notebook;
Debian 13: 5.2 and JupyterLab 4), through configurable-http-proxy with the
user's own API token, as a browser's requests would go:

- a kernel started through the server's REST API runs inside the server's
  cgroup, under its memory.max (the limit holds for what the user runs, not
  only for jupyterhub-singleuser), and deleting it ends it;
- the server's default UI answers: JupyterLab's /user/NAME/lab on
  JupyterHub 5 (its default app there), the classic /user/NAME/tree on 3.0;
- a kernel the memory limit killed is restarted by the server, and the next
  cell's output says why, once (c.CgroupSpawner.oom_notice); a cell before
  the kill shows no such thing.

One hub and one server of alice serve all three tests (a spawn costs minutes
under emulation); the module's fixture removes everything afterwards.
"""
import contextlib
import json
import os
import pwd
import warnings

import pytest

from conftest import read_kv
from e2e.hub import (
    JUPYTERHUB_VERSION, PROXY, Hub, alive, cgroup_pids, proc_cgroup, proc_uid, read,
    unit_cgroup, wait_for,
)

MEM_LIMIT = "512M"
MEM_BYTES = "536870912"
UNIT = "jupyter-alice-singleuser"
SLOW = 600

pytestmark = pytest.mark.timeout(1800)


class Alice:
    """The hub, alice's running server and a token of hers."""

    def __init__(self):
        self.hub = Hub()
        self.token = None

    def start(self):
        self.hub.write_config(users=("alice",), mem_limit=MEM_LIMIT)
        self.hub.install_units()
        self.hub.start()
        self.hub.start_server("alice")
        # The service may issue tokens (its role has the tokens scope): one
        # of alice's own, so the server sees her, not a service.
        status, model = self.hub.api("POST", "/hub/api/users/alice/tokens",
                                     {"note": "e2e singleuser"})
        assert status == 201, f"POST /hub/api/users/alice/tokens -> {status}: {model}"
        self.token = model["token"]

    def server(self, method, path, body=None, timeout=SLOW):
        """METHOD /user/alice/PATH through the proxy, as alice."""
        return self.hub.request(method, f"{PROXY}/user/alice/{path}", body, timeout,
                                token=self.token)

    @contextlib.contextmanager
    def diagnose(self):
        try:
            yield
        except BaseException:
            print(self.hub.journal())
            raise


@pytest.fixture(scope="module")
def alice():
    a = Alice()
    try:
        with a.diagnose():
            a.start()
        yield a
    finally:
        a.hub.close()


def kernel_pid(kernel_id):
    """The process whose command line names the kernel's connection file."""
    needle = f"kernel-{kernel_id}.json".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if needle in f.read():
                    return int(entry)
        except OSError:
            continue
    return None


def test_e2e_kernel_runs_in_the_server_cgroup(alice):
    with alice.diagnose():
        status, raw = alice.server("POST", "api/kernels", {"name": "python3"})
        assert status == 201, f"POST /user/alice/api/kernels -> {status}: {raw[:500]}"
        kernel = json.loads(raw)
        pid = wait_for(lambda: kernel_pid(kernel["id"]), 300, f"kernel {kernel['id']}'s process")
        path = unit_cgroup(UNIT)
        assert proc_cgroup(pid) == path[len("/sys/fs/cgroup"):], (
            f"kernel {pid} runs in {proc_cgroup(pid)}, not in alice's server cgroup {path}")
        assert pid in cgroup_pids(path), f"kernel {pid} is not in {path}/cgroup.procs"
        assert read(os.path.join(path, "memory.max")) == MEM_BYTES, "memory.max"
        assert proc_uid(pid) == pwd.getpwnam("alice").pw_uid, f"kernel {pid} is not alice's"

        status, raw = alice.server("DELETE", f"api/kernels/{kernel['id']}")
        assert status == 204, f"DELETE /user/alice/api/kernels/{kernel['id']} -> {status}: {raw[:500]}"
        wait_for(lambda: not alive(pid), 120, f"kernel {pid} to exit")
        status, raw = alice.server("GET", "api/kernels")
        assert status == 200 and kernel["id"] not in raw.decode(), f"{status}: {raw[:500]}"


def test_e2e_default_ui_answers(alice):
    """JupyterHub 5 starts JupyterLab by default; 3.0 the classic notebook."""
    if JUPYTERHUB_VERSION[0] >= 5:
        page, mark = "lab", "JupyterLab"
    else:
        page, mark = "tree", 'id="notebook_list"'
    with alice.diagnose():
        status, raw = alice.server("GET", page)
        body = raw.decode("utf-8", "replace")
        assert status == 200, f"GET /user/alice/{page} -> {status}: {body[:500]}"
        assert mark in body, f"GET /user/alice/{page} is not the expected UI: {body[:500]}"


def connection_file(pid):
    """The -f argument of the kernel's command line."""
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv = f.read().decode().split("\0")
    return argv[argv.index("-f") + 1]


def run_cell(connection, code, until=None):
    """CODE in the kernel, as a notebook's execute_request; its stream
    output by name ({'stdout': ..., 'stderr': ...}). With UNTIL: no reply
    is awaited, the channels stay open until UNTIL() holds, and None."""
    with warnings.catch_warnings():  # jupyter_core's note on its coming platformdirs paths
        warnings.simplefilter("ignore", DeprecationWarning)
        from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient(connection_file=connection)
    client.load_connection_file()
    # No heartbeat channel: without a kernel manager, wait_for_ready takes a
    # heartbeat not yet answered (slow under emulation) for a dead kernel.
    client.start_channels(hb=False)
    try:
        client.wait_for_ready(timeout=SLOW)
        if until is not None:  # closing now could drop the request (linger 0)
            client.execute(code)
            wait_for(until, SLOW, f"{code!r} to have its effect")
            return None
        streams = {"stdout": "", "stderr": ""}

        def keep(msg):
            if msg["msg_type"] == "stream":
                streams[msg["content"]["name"]] += msg["content"]["text"]

        reply = client.execute_interactive(code, timeout=SLOW, output_hook=keep)
        assert reply["content"]["status"] == "ok", f"{code!r}: {reply['content']}"
        return streams
    finally:
        client.stop_channels()


def test_e2e_a_kernel_the_memory_limit_killed_is_explained(alice):
    notice = "Out of memory: The previous kernel was stopped"
    path = unit_cgroup(UNIT)
    with alice.diagnose():
        status, raw = alice.server("POST", "api/kernels", {"name": "python3"})
        assert status == 201, f"POST /user/alice/api/kernels -> {status}: {raw[:500]}"
        kernel = json.loads(raw)["id"]
        pid = wait_for(lambda: kernel_pid(kernel), 300, f"kernel {kernel}'s process")
        connection = connection_file(pid)
        before = run_cell(connection, "print(1 + 1)")
        assert before == {"stdout": "2\n", "stderr": ""}, f"a cell before any kill: {before}"

        events = os.path.join(path, "memory.events")
        kills = read_kv(events)["oom_kill"]
        # 1 GiB under 512 MiB: the kernel is OOM-killed
        run_cell(connection, "x = bytearray(1 << 30)", until=lambda: not alive(pid))
        assert read_kv(events)["oom_kill"] > kills, "the kernel died, but not by the OOM killer"
        successor = wait_for(lambda: kernel_pid(kernel), SLOW, "the kernel's automatic restart")
        assert successor != pid

        after = run_cell(connection, "print('after')")
        assert after["stdout"] == "after\n", after
        assert notice in after["stderr"] and "memory limit of 512 MiB" in after["stderr"], (
            f"the cell after the kill does not say why: {after}")
        assert after["stderr"].count("Out of memory") == 1, f"said more than once: {after}"
        again = run_cell(connection, "print('again')")
        assert again == {"stdout": "again\n", "stderr": ""}, f"told twice: {again}"

        status, raw = alice.server("DELETE", f"api/kernels/{kernel}")
        assert status == 204, f"DELETE /user/alice/api/kernels/{kernel} -> {status}: {raw[:500]}"
        wait_for(lambda: not alive(successor), 120, f"kernel {successor} to exit")
        state = os.path.join(os.path.dirname(connection), "." + os.path.basename(connection) + ".oom-kills")
        assert not os.path.exists(state), f"{state} outlived its kernel"
