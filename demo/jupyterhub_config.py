# The demo hub's configuration (demo.sh): JupyterHub with CgroupSpawner, any
# login name with the one generated password, every server limited and
# isolated. demo/hub.sh passes the run's paths in the environment.
import importlib.util
import os

import jupyterhub

c = get_config()  # noqa: F821
env = os.environ
state = env["CGSPAWN_DEMO_STATE"]

c.JupyterHub.bind_url = env.get("CGSPAWN_DEMO_BIND", "http://127.0.0.1:8000")
c.JupyterHub.hub_ip = "127.0.0.1"
# The proxy's API (8001) and the hub (8081) by default, unless demo.sh
# --port took one of those for the public side: then the next free pair.
_public = int(c.JupyterHub.bind_url.rstrip("/").rsplit(":", 1)[1])
_api = 8001 if _public != 8001 else 8002
_hub = 8081 if _public != 8081 else 8082
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{_api}"
c.JupyterHub.hub_port = _hub
c.JupyterHub.db_url = f"sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{state}/jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.pid_file = f"{state}/jupyterhub-proxy.pid"

# Any name logs in with the password demo.sh generated and printed (it is in
# a root-only file, never in argv or the environment).
c.JupyterHub.authenticator_class = "jupyterhub.auth.DummyAuthenticator"
with open(os.path.join(state, "password")) as f:
    c.DummyAuthenticator.password = f.read().strip()

c.JupyterHub.spawner_class = "cgroup"
c.CgroupSpawner.launcher_path = env["CGSPAWN_DEMO_LAUNCHER"]
c.CgroupSpawner.cgroup_root = env["CGSPAWN_DEMO_CGROUP"]
# JupyterHub 5 (Debian 13) starts JupyterLab when jupyter-server is
# installed: land there. JupyterHub 3.0 (Debian 12) starts the classic
# notebook 6: its file list.
if int(jupyterhub.__version__.split(".")[0]) >= 5 and importlib.util.find_spec("jupyterlab"):
    c.Spawner.default_url = "/lab"
else:
    c.Spawner.default_url = "/tree"

# Limits: memory.max, cpu.max and pids.max of each server's cgroup.
c.Spawner.mem_limit = "512M"
c.Spawner.cpu_limit = 1.0
c.CgroupSpawner.tasks_limit = 256
# Two sizes, chosen on the spawn page (README, "Profiles"): the limits
# above, or twice the memory.
c.CgroupSpawner.profiles = [
    {"name": "standard", "display_name": "Standard", "description": "512 MiB, 1 CPU",
     "default": True},
    {"name": "large", "display_name": "Large", "description": "1 GiB, 1 CPU",
     "options": {"mem_limit": "1G"}},
]
# Isolation: private /tmp and /dev, the whole system read-only.
c.CgroupSpawner.isolate_tmp = True
c.CgroupSpawner.isolate_devices = True
c.CgroupSpawner.readonly_paths = ["/"]

accounts = env.get("CGSPAWN_DEMO_ACCOUNTS", "").split()
if accounts:
    # Existing Unix accounts only; their homes stay writable.
    c.Authenticator.allowed_users = set(accounts)
    c.CgroupSpawner.readwrite_paths = ["/home/{USERNAME}"]
else:
    # No account needed: each login name gets a stable uid from 20000-29999
    # and a home in /var/lib/cgspawn/home/NAME (writable inside the
    # read-only /); nothing is written to /etc.
    c.CgroupSpawner.dynamic_users = True

# On the emulated guest everything takes ~100x longer.
if env.get("CGSPAWN_DEMO_SLOW_CONFIG"):
    load_subconfig(env["CGSPAWN_DEMO_SLOW_CONFIG"])  # noqa: F821
