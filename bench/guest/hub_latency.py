"""Hub-side spawn-to-ready latency through the JupyterHub REST API:
CgroupSpawner against LocalProcessSpawner in one hub (alternating.py), the
stub server as the single-user command, one user per server; and the hub's
RSS growth per running server."""
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import stats
from common import CGSPAWN, D, MEMORY_MAX, TASKS_MAX, log, run_checked, unit_dirs, wait_until

HERE = os.path.dirname(os.path.abspath(__file__))
SITE = os.environ.get("BENCH_SITE", "/payload/site")
HUB = "http://127.0.0.1:8081/hub/api"
SLOW = 900  # seconds: everything under TCG is ~100x slower
# Warm-up users (imports, first cgspawn run), not counted.
WARMUP = ["bench901", "bench902"]

CONFIG = """\
# Written by bench/guest/hub_latency.py; removed with its state directory.
import sys
sys.path.insert(0, {here!r})
from alternating import AlternatingSpawner

c = get_config()  # noqa: F821
c.JupyterHub.bind_url = "http://127.0.0.1:8000"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = 8081
# bench starts the proxy itself (its token in the environment), so node's
# slow start under emulation does not meet the hub's fixed wait.
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"
c.JupyterHub.db_url = "sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{state}/jupyterhub_cookie_secret"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
c.Authenticator.allowed_users = set({users!r})
c.JupyterHub.services = [{{"name": "bench", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "bench", "scopes": ["admin:users", "admin:servers"],
                             "services": ["bench"]}}]
# POST and DELETE answer once the server is ready or gone: their round trip
# is the hub-side latency (these are tornado settings, not traits).
c.JupyterHub.tornado_settings = {{"slow_spawn_timeout": {slow}, "slow_stop_timeout": {slow}}}
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.spawner_class = AlternatingSpawner
c.Spawner.cmd = ["/usr/bin/python3", {stub!r}]
c.Spawner.start_timeout = {slow}
c.Spawner.http_timeout = {slow}
c.Spawner.mem_limit = {memory!r}
c.Spawner.cpu_limit = 1.0
c.CgroupSpawner.tasks_limit = {tasks}
c.CgroupSpawner.isolate_tmp = True
c.CgroupSpawner.isolate_devices = True
c.CgroupSpawner.readonly_paths = ["/"]
c.CgroupSpawner.cgroup_root = {d!r}
c.CgroupSpawner.launcher_path = {cgspawn!r}
"""


class Hub:
    def __init__(self, users):
        self.token = secrets.token_hex(32)
        self.state = tempfile.mkdtemp(prefix="bench-hub-", dir="/var/tmp")
        os.chmod(self.state, 0o700)
        self.config = os.path.join(self.state, "jupyterhub_config.py")
        fd = os.open(self.config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(CONFIG.format(here=HERE, state=self.state, users=users, token=self.token,
                                  slow=SLOW, stub=os.path.join(HERE, "stub_server.py"),
                                  memory=MEMORY_MAX, tasks=int(TASKS_MAX), d=D, cgspawn=CGSPAWN))
        self.env = dict(os.environ, CONFIGPROXY_AUTH_TOKEN=secrets.token_hex(32),
                        PYTHONPATH=SITE)
        self.log = open(os.path.join(self.state, "hub.log"), "w")
        self.proxy = self.hub = None

    def start(self):
        self.proxy = subprocess.Popen(
            ["configurable-http-proxy", "--ip", "127.0.0.1", "--port", "8000", "--api-ip",
             "127.0.0.1", "--api-port", "8001", "--default-target", "http://127.0.0.1:8081",
             "--log-level", "warn"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.hub = subprocess.Popen(["/usr/bin/jupyterhub", "-f", self.config], cwd=self.state,
                                    env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        t = time.monotonic()

        def up():
            if self.hub.poll() is not None:
                raise RuntimeError(f"the hub exited {self.hub.returncode}: {self.tail()}")
            try:
                return self.api("GET", "/", timeout=10)[0] == 200
            except OSError:
                return False

        if not wait_until(up, SLOW, interval=2):
            raise RuntimeError(f"the hub's API did not answer in {SLOW} s: {self.tail()}")
        return time.monotonic() - t

    def api(self, method, path, timeout=SLOW):
        req = urllib.request.Request(HUB + path, method=method,
                                     data=b"{}" if method == "POST" else None)
        req.add_header("Authorization", f"token {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def server(self, user):
        status, body = self.api("GET", f"/users/{user}")
        if status != 200:
            raise RuntimeError(f"GET /users/{user} -> {status}: {body[:500]!r}")
        model = json.loads(body)
        return model.get("servers", {}).get(""), model.get("pending")

    def timed(self, method, user, done_status, done):
        """Seconds from METHOD on USER's server until it is done: the answer
        is DONE_STATUS, or 202 (still pending) and then DONE() holds."""
        t = time.monotonic()
        status, body = self.api(method, f"/users/{user}/server")
        if status == 202:
            if not wait_until(lambda: done(*self.server(user)), SLOW, interval=0.1):
                raise RuntimeError(f"{method} {user}'s server: not done after {SLOW} s")
        elif status != done_status:
            raise RuntimeError(f"{method} {user}'s server -> {status}: {body[:500]!r}; "
                               f"{self.tail()}")
        return time.monotonic() - t

    def spawn(self, user):
        def ready(server, pending):
            if server is None and pending is None:
                raise RuntimeError(f"{user}'s server failed to start: {self.tail()}")
            return bool(server and server.get("ready"))

        return self.timed("POST", user, 201, ready)

    def stop(self, user):
        return self.timed("DELETE", user, 204, lambda server, pending: server is None)

    def rss_kib(self):
        with open(f"/proc/{self.hub.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return None

    def tail(self, n=3000):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()[-n:]

    def close(self):
        for p in (self.hub, self.proxy):
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=SLOW)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.log.close()
        shutil.copy(self.log.name, os.path.join(os.environ.get("BENCH_RESULTS", "/payload/results"),
                                                "hub.log"))
        shutil.rmtree(self.state, ignore_errors=True)


def make_users(names):
    for name in names:
        run_checked(["useradd", "--create-home", "--shell", "/bin/sh", name])


def remove_users(names):
    for name in names:
        subprocess.run(["userdel", "--remove", name], capture_output=True)


def user_processes(names):
    r = subprocess.run(["ps", "-o", "pid=", "-u", ",".join(names)], capture_output=True, text=True)
    return len(r.stdout.split())


def run(servers):
    users = [f"bench{i:03d}" for i in range(1, servers + 1)]
    make_users(users + WARMUP)
    hub = Hub(users + WARMUP)
    res = {"servers": servers}
    try:
        res["hub_start_s"] = hub.start()
        log(f"hub: API up after {res['hub_start_s']:.1f} s")
        for u in WARMUP:
            hub.spawn(u)
            hub.stop(u)
        rss0 = hub.rss_kib()
        spawn = {"cgroup": [], "local": []}
        for i, u in enumerate(users):
            kind = "cgroup" if int(u[-3:]) % 2 else "local"
            spawn[kind].append(hub.spawn(u))
            if (i + 1) % 10 == 0:
                log(f"hub: {i + 1}/{servers} servers ready")
        rss1 = hub.rss_kib()
        status, body = hub.api("GET", "/users")
        ready = sum(1 for m in json.loads(body)
                    if m["name"] in users and m.get("servers", {}).get("", {}).get("ready"))
        res["ready"] = ready
        res["hub_rss_kib_before"], res["hub_rss_kib_after"] = rss0, rss1
        res["hub_rss_kib_per_server"] = (rss1 - rss0) / servers
        stop = {"cgroup": [], "local": []}
        for u in users:
            stop["cgroup" if int(u[-3:]) % 2 else "local"].append(hub.stop(u))
        for kind in spawn:
            res[f"spawn_{kind}"] = stats.summary(spawn[kind])
            res[f"stop_{kind}"] = stats.summary(stop[kind])
        res["ratio_spawn_cgroup_vs_local"] = stats.ratio(res["spawn_cgroup"], res["spawn_local"])
        res["ratio_stop_cgroup_vs_local"] = stats.ratio(res["stop_cgroup"], res["stop_local"])
    finally:
        hub.close()
        res["cgroups_left"] = len([d for d in unit_dirs() if "jupyter-bench" in d])
        res["processes_left"] = user_processes(users + WARMUP)
        remove_users(users + WARMUP)
    return res
