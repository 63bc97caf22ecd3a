"""End to end, what a user does with the server CgroupSpawner started, on
whatever JupyterHub the guest has (Debian 12: 3.0 and the classic notebook;
Debian 13: 5.2 and JupyterLab 4), through configurable-http-proxy with the
user's own API token, as a browser's requests would go:

- a kernel started through the server's REST API runs inside the server's
  cgroup, under its memory.max (the limit holds for what the user runs, not
  only for jupyterhub-singleuser), and deleting it ends it;
- the server's default UI answers: JupyterLab's /user/NAME/lab on
  JupyterHub 5 (its default app there), the classic /user/NAME/tree on 3.0.

One hub and one server of alice serve both tests (a spawn costs minutes
under emulation); the module's fixture removes everything afterwards.
"""
import contextlib
import json
import os
import pwd

import pytest

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
