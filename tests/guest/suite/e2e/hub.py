"""A real JupyterHub (Debian's package: 3.0 on bookworm, 5.2 on trixie) with
CgroupSpawner, run by systemd in the guest, in the layout of spawner/examples:

    jupyterhub-servers.service  Delegate=yes, owns D (the servers' cgroups);
                                the example unit, launcher path adapted
    jupyterhub.service          the hub (root, or User=jhub in sudo mode),
                                Requires/After the servers unit, no Delegate

Both units go to /run/systemd/system for the test only; the hub's config,
database and cookie secret live in a temporary state directory. Hub.close()
removes everything, whatever happened before.
"""
import json
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import textwrap
import time
import urllib.error
import urllib.request

from jupyterhub._version import version_info as JUPYTERHUB_VERSION  # noqa: F401 (for the tests)

from conftest import wait_for  # the suite's one poller (re-exported for the E2E tests)

CGSPAWN = "/usr/local/sbin/cgspawn"
UNIT_DIR = "/run/systemd/system"
SERVERS_UNIT = "jupyterhub-servers.service"
HUB_UNIT = "jupyterhub.service"
D = "/sys/fs/cgroup/system.slice/" + SERVERS_UNIT
PAYLOAD = os.environ.get("E2E_PAYLOAD", "/payload")
# The spawner package, installed by run.sh with pip --target (so its
# jupyterhub.spawners entry points are real dist-info metadata).
SITE = os.path.join(PAYLOAD, "site")
EXAMPLES = os.path.join(PAYLOAD, "spawner", "examples")
POLICY_DIR = "/etc/cgspawn"
POLICY = os.path.join(POLICY_DIR, "policy.json")
PROXY = "http://127.0.0.1:8000"
SERVICE = "e2e-test"
# The emulated guest (TCG) is ~100x slower than native at fork/exec: the
# hub's timeouts (a config fragment) and the tests' waits.
TCG_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tcg_config.py")
SLOW = 600


def sh(*argv, check=True, timeout=300):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    print(f"$ {' '.join(argv)} -> exit {r.returncode}")
    for name, text in (("stdout", r.stdout), ("stderr", r.stderr)):
        if text.strip():
            print(f"   {name}: {text.rstrip()[-3000:]}")
    if check:
        assert r.returncode == 0, f"{' '.join(argv)} exited {r.returncode}: {r.stderr.strip()}"
    return r


def systemctl(*args, check=True, timeout=300):
    return sh("systemctl", *args, check=check, timeout=timeout)


def unit_props(unit, *names):
    r = systemctl("show", "-p", ",".join(names), unit, check=False)
    return dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)


def unit_cgroup(name):
    return os.path.join(D, "users", name)


def cgroup_pids(path):
    try:
        with open(os.path.join(path, "cgroup.procs")) as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def read(path):
    with open(path) as f:
        return f.read().strip()


def proc_cgroup(pid):
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].strip()
    return None


def proc_uid(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    return None


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def servers_unit_text(launcher=CGSPAWN, examples=EXAMPLES):
    """The example servers unit, with the guest's launcher path."""
    with open(os.path.join(examples, SERVERS_UNIT)) as f:
        text = f.read()
    assert "/usr/sbin/cgspawn init" in text, "the example servers unit no longer runs cgspawn init"
    return text.replace("/usr/sbin/cgspawn", launcher)


def hub_kill_mode(examples=EXAMPLES):
    """The example hub unit's KillMode= lines (mixed: systemd's SIGTERM on
    stop reaches the hub only, not the launcher commands its shutdown runs),
    so the test hub stops as an installed one does."""
    with open(os.path.join(examples, HUB_UNIT)) as f:
        return [line.strip() for line in f if line.startswith("KillMode=")]


def hub_unit_text(config, state, user=None, site=SITE, environment=None, examples=EXAMPLES):
    lines = [
        "[Unit]",
        "Description=JupyterHub (cgspawn guest end-to-end test)",
        f"Requires={SERVERS_UNIT}",
        f"After={SERVERS_UNIT}",
        "",
        "[Service]",
        *([f"User={user}", f"Group={user}"] if user else []),
        f"WorkingDirectory={state}",
        # The spawner package lives on the payload disk, not in site-packages
        # (site=None: it is installed, e.g. by the .deb).
        *([f"Environment=PYTHONPATH={site}"] if site else []),
        # The hub's own environment (what env_keep may pass on to servers).
        *[f'Environment="{k}={v}"' for k, v in (environment or {}).items()],
        f"ExecStart=/usr/bin/jupyterhub -f {config}",
        # The hub stops its servers on shutdown when cleanup_servers = True:
        # leave it time under emulation.
        "TimeoutStartSec=600",
        "TimeoutStopSec=300",
        *hub_kill_mode(examples),
        "",
    ]
    return "\n".join(lines)


def hub_config(state, token, *, users=("alice", "bob"), cleanup_servers=True, sudo=False,
               mem_limit="512M", cpu_limit=1.0, base=None, extra="", launcher=CGSPAWN):
    """jupyterhub_config.py for the test hub (the layout of examples/jupyterhub_config.py).

    base: a config file loaded first (the shipped example), which the
    settings here then override. mem_limit/cpu_limit None: left as it sets them.
    """
    limits = ""
    if mem_limit is not None:
        limits += f'c.Spawner.mem_limit = "{mem_limit}"\n'
    if cpu_limit is not None:
        limits += f"c.Spawner.cpu_limit = {cpu_limit!r}\n"
    text = f"""\
        # Written by tests/guest/suite/e2e/hub.py for one test; removed afterwards.
        c = get_config()  # noqa: F821
        {f'load_subconfig("{base}")  # noqa: F821' if base else ""}
        # Test-only: the emulated guest's timeouts.
        load_subconfig("{TCG_CONFIG}")  # noqa: F821

        c.JupyterHub.bind_url = "{PROXY}"
        c.JupyterHub.hub_ip = "127.0.0.1"
        c.JupyterHub.hub_port = 8081
        c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:8001"
        c.ConfigurableHTTPProxy.pid_file = "{state}/jupyterhub-proxy.pid"
        c.JupyterHub.db_url = "sqlite:///{state}/jupyterhub.sqlite"
        c.JupyterHub.cookie_secret_file = "{state}/jupyterhub_cookie_secret"
        c.JupyterHub.log_level = "DEBUG"
        c.JupyterHub.cleanup_servers = {cleanup_servers!r}

        c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
        c.Authenticator.allowed_users = {set(users)!r}

        c.JupyterHub.services = [{{"name": "{SERVICE}", "api_token": "{token}"}}]
        # tokens: test_e2e_singleuser gets a token of alice's to act as her
        c.JupyterHub.load_roles = [{{
            "name": "{SERVICE}",
            "scopes": ["admin:users", "admin:servers", "access:servers", "tokens"],
            "services": ["{SERVICE}"],
        }}]

        c.JupyterHub.spawner_class = "cgroup"
        c.CgroupSpawner.isolate_tmp = True
        c.CgroupSpawner.cgroup_root = "{D}"
        c.CgroupSpawner.launcher_path = "{launcher}"
        c.CgroupSpawner.sudo = {sudo!r}
    """
    return textwrap.dedent(text) + limits + textwrap.dedent(extra)


class HubError(AssertionError):
    pass


class Hub:
    """One test's hub: units, config, state; the API through the proxy."""

    def __init__(self, *, user=None, launcher=CGSPAWN, site=SITE, examples=EXAMPLES,
                 servers_unit=True, environment=None):
        """launcher, site (PYTHONPATH; None: none), examples: where the product
        is (default: the payload). servers_unit=False: do not write the servers
        unit, use the one systemd already has (a package's). environment: more
        variables of the hub's process (Environment= of its unit)."""
        self.user = user
        self.environment = environment
        self.launcher, self.site, self.examples = launcher, site, examples
        self.servers_unit = servers_unit
        self.token = secrets.token_hex(32)
        self.state = tempfile.mkdtemp(prefix="e2e-hub-", dir="/var/tmp")
        self.config = os.path.join(self.state, "jupyterhub_config.py")
        self.installed = []
        self.policy_written = False
        self.policy_dir_created = False
        self.since = time.time() - 1
        if user:
            pw = pwd.getpwnam(user)
            os.chown(self.state, pw.pw_uid, pw.pw_gid)
        os.chmod(self.state, 0o700)

    # ---- setup ----

    def write_config(self, **kw):
        with open(self.config, "w") as f:
            f.write(hub_config(self.state, self.token, launcher=self.launcher, **kw))
        os.chmod(self.config, 0o644)

    def install_units(self):
        if self.site:
            assert os.path.isfile(os.path.join(self.site, "cgroupspawner", "spawner.py")), (
                f"the spawner package is not in {self.site}: run.sh installs it with pip --target")
        # Debian's jupyterhub package ships its own jupyterhub.service (PAM,
        # LocalProcessSpawner, Restart=always), enabled at boot in the guest
        # image: stop it, or `systemctl start` of ours would be a no-op.
        # Ours, in /run, overrides its file until close() removes ours.
        systemctl("stop", HUB_UNIT, check=False, timeout=600)
        systemctl("reset-failed", HUB_UNIT, check=False)
        units = [(HUB_UNIT, hub_unit_text(self.config, self.state, self.user, self.site,
                                          self.environment, self.examples))]
        if self.servers_unit:
            units.insert(0, (SERVERS_UNIT, servers_unit_text(self.launcher, self.examples)))
        for name, text in units:
            path = os.path.join(UNIT_DIR, name)
            assert not os.path.exists(path), f"{path} exists already (a previous test's leftover?)"
            with open(path, "w") as f:
                f.write(text)
            self.installed.append(path)
        systemctl("daemon-reload")

    def write_policy(self, text):
        """Install TEXT as /etc/cgspawn/policy.json (root 0644)."""
        if not os.path.isdir(POLICY_DIR):
            os.mkdir(POLICY_DIR, 0o755)
            self.policy_dir_created = True
        assert not os.path.exists(POLICY), f"{POLICY} exists already"
        with open(POLICY, "w") as f:
            f.write(text)
        os.chmod(POLICY, 0o644)
        self.policy_written = True

    # ---- the hub's life ----

    def start(self):
        """Start the hub (which pulls in the servers unit); wait until its API
        answers through the proxy. Returns the seconds it took. A restart, not
        a start: if Debian's own jupyterhub.service (enabled by its package,
        port 8000) came up meanwhile, `start` would be a no-op and the test
        would talk to Debian's hub; restart replaces it with ours."""
        t = time.monotonic()
        systemctl("restart", HUB_UNIT)
        self.wait_api()
        return time.monotonic() - t

    def restart(self):
        t = time.monotonic()
        systemctl("restart", HUB_UNIT)
        self.wait_api()
        return time.monotonic() - t

    def wait_api(self, timeout=SLOW):
        def up():
            props = unit_props(HUB_UNIT, "ActiveState", "Result")
            if props.get("ActiveState") == "failed":
                raise HubError(f"{HUB_UNIT} failed while starting: {props}")
            try:
                status, _ = self.api("GET", "/hub/api/", timeout=10)
            except OSError:
                return False
            return status == 200

        wait_for(up, timeout, f"the hub's API at {PROXY}/hub/api/", interval=2)

    # ---- HTTP ----

    def request(self, method, url, body=None, timeout=60, token=None):
        """token: whose request (default: the service's)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", f"token {token or self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def api(self, method, path, body=None, timeout=60):
        status, raw = self.request(method, PROXY + path, body, timeout)
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode("utf-8", "replace")
        return status, payload

    def user_model(self, name):
        status, model = self.api("GET", f"/hub/api/users/{name}")
        assert status == 200, f"GET /hub/api/users/{name} -> {status}: {model}"
        return model

    def post_server(self, name):
        """POST /hub/api/users/NAME/server; returns when it was asked."""
        t = time.monotonic()
        status, body = self.api("POST", f"/hub/api/users/{name}/server", timeout=SLOW)
        assert status in (201, 202), f"POST /hub/api/users/{name}/server -> {status}: {body}"
        return t

    def start_server(self, name):
        """POST the server, wait until the hub says it is ready; returns
        (seconds from POST to ready, the user model)."""
        t = self.post_server(name)
        model = self.wait_server(name, ready=True)
        return time.monotonic() - t, model

    def wait_server(self, name, ready, timeout=SLOW):
        """Wait until NAME's default server is ready (ready=True) or gone."""
        last = {}

        def check():
            model = self.user_model(name)
            last["model"] = model
            server = model.get("servers", {}).get("")
            if ready:
                if server is None and model.get("pending") is None and "seen" in last:
                    # It was pending and is gone: the spawn failed.
                    raise HubError(f"{name}'s server stopped while starting: {model}")
                if server is not None or model.get("pending"):
                    last["seen"] = True
                return model if server and server.get("ready") and not server.get("pending") else None
            return model if server is None and model.get("pending") is None else None

        try:
            return wait_for(check, timeout, f"{name}'s server to be {'ready' if ready else 'gone'}",
                            interval=2)
        except AssertionError as e:
            raise AssertionError(f"{e}; last model: {last.get('model')}") from None

    def stop_server(self, name):
        status, body = self.api("DELETE", f"/hub/api/users/{name}/server", timeout=SLOW)
        assert status in (202, 204), f"DELETE /hub/api/users/{name}/server -> {status}: {body}"
        return self.wait_server(name, ready=False)

    def server_status(self, name):
        """GET /user/NAME/api/status through the proxy, with the service token."""
        status, raw = self.request("GET", f"{PROXY}/user/{name}/api/status", timeout=120)
        return status, raw.decode("utf-8", "replace")

    # ---- diagnostics and cleanup ----

    def journal(self):
        subprocess.run(["journalctl", "--sync"], timeout=60, check=False)
        out = []
        for args in (["-u", SERVERS_UNIT, "-u", HUB_UNIT],
                     ["-t", "jupyter-alice-singleuser", "-t", "jupyter-bob-singleuser"],
                     ["-t", "sudo", "-t", "cgspawn"]):
            r = subprocess.run(["journalctl", "--no-pager", "-o", "short-precise",
                                "--since", f"@{int(self.since)}", *args],
                               capture_output=True, text=True, timeout=120)
            out.append(f"----- journalctl {' '.join(args)}\n{(r.stdout + r.stderr)[-30000:]}")
        return "\n".join(out)

    def close(self):
        """Stop both units, remove them, the policy and the state directory.
        Raises (after doing it all) if servers' cgroups outlived the units."""
        problems = []
        for unit in (HUB_UNIT, SERVERS_UNIT):
            if self.installed:
                systemctl("stop", unit, check=False, timeout=600)
        for path in self.installed:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        if self.installed:
            systemctl("daemon-reload", check=False)
            systemctl("reset-failed", HUB_UNIT, SERVERS_UNIT, check=False)
        self.installed = []
        if self.policy_written:
            os.unlink(POLICY)
            self.policy_written = False
        if self.policy_dir_created:
            os.rmdir(POLICY_DIR)
            self.policy_dir_created = False
        shutil.rmtree(self.state, ignore_errors=True)
        if os.path.exists(D):
            problems.append(f"{D} still exists after stopping {SERVERS_UNIT}")
        assert not problems, "; ".join(problems)
