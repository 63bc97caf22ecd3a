# jupyterhub_config.py: CgroupSpawner with typical settings.
# Coming from SystemdSpawner? Only the spawner_class line has to change.
c = get_config()  # noqa: F821

c.JupyterHub.spawner_class = "cgroup"

# Limits (cgroup v2 files of each server's cgroup; MEM_LIMIT/CPU_LIMIT are
# exported to the server as JupyterHub does).
c.Spawner.mem_limit = "2G"  # memory.max
c.Spawner.cpu_limit = 1.0  # cpu.max "100000 100000"
c.Spawner.mem_guarantee = "512M"  # memory.low
c.CgroupSpawner.tasks_limit = 512  # pids.max

# Isolation.
c.CgroupSpawner.isolate_tmp = True  # private /tmp and /var/tmp
c.CgroupSpawner.isolate_devices = True  # minimal private /dev
c.CgroupSpawner.readonly_paths = ["/"]  # the whole system read-only ...
c.CgroupSpawner.readwrite_paths = ["/home/{USERNAME}"]  # ... except the home directory
# c.CgroupSpawner.disable_user_sudo = True  # the default: no sudo/setuid inside

# Anything else that is a cgroup interface file, or a systemd property with
# a cgroup equivalent:
c.CgroupSpawner.unit_extra_properties = {"MemoryHigh": "1800M", "io.weight": "50"}

# The servers live in the cgroup of jupyterhub-servers.service, not in the
# hub's own unit, so restarting the hub neither fails nor kills them (README,
# "Hub restarts"; units: examples/jupyterhub-servers.service and
# examples/jupyterhub.service).
c.CgroupSpawner.cgroup_root = "/sys/fs/cgroup/system.slice/jupyterhub-servers.service"
# Keep the servers running across hub restarts; the restarted hub finds them
# from its database. (True, JupyterHub's default, stops them all whenever the
# hub stops; `systemctl stop jupyterhub-servers` always does.)
c.JupyterHub.cleanup_servers = False

# A hub that is not root (User=jupyterhub in jupyterhub.service): run cgspawn
# through `sudo -n` (examples/sudoers), bounded by /etc/cgspawn/policy.json
# (examples/policy.json), which allows commands by exact path:
# c.CgroupSpawner.sudo = True
# c.Spawner.cmd = ["/usr/bin/jupyterhub-singleuser"]
