"""CgroupSpawner: a JupyterHub spawner that runs each single-user server in
its own cgroup v2 leaf through the ``cgspawn`` launcher.

It takes every option of SystemdSpawner with the same name, type, default and
meaning (except ``disable_user_sudo``, True by default here), so switching is
``c.JupyterHub.spawner_class = "cgroup"``. See spawner/README.md.
"""

import json
import pwd

from jupyterhub.spawner import Spawner
from jupyterhub.utils import random_port

from .launcher import (
    LauncherError,
    OutputForwarder,
    encode_env_records,
    run_launcher,
    run_spawn,
)
from .dynamic import dynamic_user_name
from .errors import CgroupSpawnerConfigError
from .limits import LIMITS, cpu_weight_for, format_cpus, limit_args, slice_set_args
from .options import CgroupSpawnerOptions
from .preflight import options_to_drop
from .properties import PropertyError, translate_properties

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class DynamicUser:
    """What build_spawn_argv/build_env need of a dynamic user: its name."""

    def __init__(self, name):
        self.pw_name = name
        self.pw_dir = None


class CgroupSpawner(CgroupSpawnerOptions, Spawner):
    # ---- lifecycle ----

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_name = self._default_unit_name()
        self.cgroup_path = None
        self.pid = 0
        # True once start() ran or load_state() found a unit: poll() asks
        # cgspawn only then (an untouched spawner is "not running", 0).
        self._unit_known = False
        # Whether a server record without a unit record may still be a start
        # the hub died in (poll() then looks once): not after this process
        # started or loaded a unit.
        self._may_hold_lost_start = True
        self._starting = False
        self._random_port = None
        self._last_oom_kill = 0
        self._output = None
        self.log.debug("user:%s initialized spawner with unit %s", self._log_name, self.unit_name)

    def _expand_user_vars(self, string):
        """Expand {USERNAME}, {USERID} and {SERVERNAME}.

        Only these placeholders are replaced; any other braces are left as
        they are (so JSON in args survives).
        """
        return (
            string.replace("{USERNAME}", self.user.name)
            .replace("{USERID}", str(self.user.id))
            .replace("{SERVERNAME}", self.name or "")
        )

    def _default_unit_name(self):
        name = self._expand_user_vars(self.unit_name_template)
        if self.name and "{SERVERNAME}" not in self.unit_name_template:
            name = f"{name}-{self.name}"
        return name

    def get_state(self):
        state = super().get_state()
        state["unit_name"] = self.unit_name
        if self.cgroup_path:
            state["cgroup_path"] = self.cgroup_path
        if self.pid:
            state["pid"] = self.pid
        return state

    def load_state(self, state):
        super().load_state(state)
        if "unit_name" in state:
            self.unit_name = state["unit_name"]
        self.cgroup_path = state.get("cgroup_path")
        self.pid = state.get("pid", 0)
        # A started unit's state has its pid; a name alone is what a stop
        # leaves (clear_state keeps it), and a hub that dies in the next
        # start() has saved nothing newer.
        if self.pid:
            self._unit_known = True
            self._may_hold_lost_start = False

    def clear_state(self):
        """Forget the server that stopped; the unit name is kept (as in
        SystemdSpawner, so a changed template never loses a server)."""
        super().clear_state()
        self.cgroup_path = None
        self.pid = 0
        self._unit_known = False
        self._last_oom_kill = 0

    # ---- building the request ----

    def _launcher_prefix(self):
        prefix = ["sudo", "-n"] if self.sudo else []
        return prefix + [self.launcher_path]

    def _root_args(self):
        return ["--cgroup-root", self.cgroup_root] if self.cgroup_root else []

    def _unix_user(self):
        """The server's user: a passwd entry, or with dynamic_users one with
        the dynamic name and no home (cgspawn allocates both; as in
        SystemdSpawner, username_template and user_workingdir are ignored)."""
        if self.dynamic_users:
            return DynamicUser(dynamic_user_name(self.user.name))
        name = self._expand_user_vars(self.username_template)
        try:
            return pwd.getpwnam(name)
        except KeyError:
            raise CgroupSpawnerConfigError(
                f"No Unix user named {name!r} for JupyterHub user {self.user.name!r}"
                f" (username_template = {self.username_template!r}; or set"
                " c.CgroupSpawner.dynamic_users = True for users without an account)"
            ) from None

    def _typed_limit_args(self, drop=()):
        """(argv, {cgroup file: option name}) for the typed limit options."""
        return limit_args({name: getattr(self, name) for name in LIMITS}, drop)

    cpu_weight_for = staticmethod(cpu_weight_for)

    def build_env(self, pw):
        """The server's environment: get_env() plus PATH, HOME, USER, SHELL.

        Values set in c.Spawner.environment win over the computed ones.
        """
        env = self.get_env()
        configured = set(self.environment)
        base_path = env.get("PATH") or DEFAULT_PATH
        if self.extra_paths:
            extra = [self._expand_user_vars(p) for p in self.extra_paths]
            env["PATH"] = ":".join(extra + [base_path])
        elif "PATH" not in configured:
            env["PATH"] = base_path
        # A dynamic user's HOME and USER come from cgspawn (--setenv-defaults).
        if "HOME" not in configured and pw.pw_dir is not None:
            env["HOME"] = pw.pw_dir
        if "USER" not in configured and pw.pw_dir is not None:
            env["USER"] = pw.pw_name
        if "SHELL" not in configured:
            env["SHELL"] = self.default_shell
        # MEM_LIMIT/CPU_LIMIT (and the guarantees) come from get_env() exactly
        # as JupyterHub exports them.
        return env

    def build_spawn_argv(self, pw, drop=()):
        """The full `cgspawn spawn ...` argv (without secrets: those go on stdin).

        drop: options to leave out (the preflight's, with
        require_enforced_limits = False)."""
        if self.devices and not self.isolate_devices:
            raise CgroupSpawnerConfigError(
                "c.CgroupSpawner.devices needs c.CgroupSpawner.isolate_devices = True"
                " (devices are added to the private /dev)"
            )
        limit_args, typed_files = self._typed_limit_args(drop)
        try:
            props = translate_properties(self.unit_extra_properties, typed_files)
        except PropertyError as e:
            raise CgroupSpawnerConfigError(str(e)) from None

        argv = self._launcher_prefix() + ["spawn"] + self._root_args()
        argv += ["--unit", self.unit_name, "--user", pw.pw_name]
        if self.dynamic_users:
            argv += ["--dynamic-user", "--dynamic-user-shell", self.default_shell]
            if self.dynamic_user_range:
                argv += ["--dynamic-user-range", self.dynamic_user_range]
            if self.dynamic_user_state:
                argv += ["--dynamic-user-state", self.dynamic_user_state]
        if self.slice:
            argv += ["--slice", self.slice]
        argv += ["--env-stdin", "--setenv-defaults"]
        argv += limit_args
        for cgroup_file, value in props:
            argv += ["--property", f"{cgroup_file}={value}"]
        if self.isolate_tmp and "isolate_tmp" not in drop:
            argv.append("--private-tmp")
        if self.isolate_devices and "isolate_devices" not in drop:
            argv.append("--private-devices")
            for device in self.devices:
                argv += ["--device", device]
        if "readonly_paths" not in drop:
            for path in self.readonly_paths or []:
                argv += ["--read-only", self._expand_user_vars(path)]
        if "readwrite_paths" not in drop:
            for path in self.readwrite_paths or []:
                argv += ["--read-write", self._expand_user_vars(path)]
        seccomp = "none" if "seccomp_profile" in drop else self.seccomp_profile.lower()
        argv += ["--seccomp", seccomp]
        if not self.disable_user_sudo or "disable_user_sudo" in drop:
            argv.append("--allow-new-privileges")
        if self.user_workingdir is not None and not self.dynamic_users:
            argv += ["--workdir", self._expand_user_vars(self.user_workingdir)]
        if self.log_target.lower() != "auto":
            argv += ["--log-target", self.log_target.lower()]
        argv.append("--")
        argv += [self._expand_user_vars(c) for c in self.cmd]
        argv += [self._expand_user_vars(a) for a in self.get_args()]
        return argv

    def _slice_set_args(self):
        """`slice set` arguments when the server's slice has slice_limits."""
        if not self.slice or self.slice not in self.slice_limits:
            return None
        return slice_set_args(self.slice, self.slice_limits[self.slice])

    def _choose_port(self):
        """A configured port is kept; otherwise a fresh random port per start
        (as SystemdSpawner does)."""
        if self.port == 0 or self.port == self._random_port:
            self._random_port = self.port = random_port()
        return self.port

    # ---- the Spawner API ----

    async def _status(self):
        """`cgspawn status UNIT --json` -> dict (exit 0 running, 3 not)."""
        argv = self._launcher_prefix() + ["status"] + self._root_args() + [self.unit_name, "--json"]
        _, out, _ = await run_launcher(argv, what="cgspawn status", ok_codes=(0, 3))
        try:
            status = json.loads(out)
        except ValueError:
            raise LauncherError(
                f"cgspawn status {self.unit_name}: output is not JSON: {out[:200]!r}"
            ) from None
        if not isinstance(status, dict) or "state" not in status:
            raise LauncherError(f"cgspawn status {self.unit_name}: no state in {out[:200]!r}")
        return status

    async def _stop_unit(self, timeout):
        argv = (
            self._launcher_prefix()
            + ["stop"]
            + self._root_args()
            + [self.unit_name, "--timeout", format_cpus(timeout)]
        )
        await run_launcher(argv, what="cgspawn stop")

    async def start(self):
        self._starting = True
        self._may_hold_lost_start = False
        try:
            return await self._start()
        finally:
            self._starting = False

    async def _start(self):
        # self.unit_name: from the template, or the one load_state() restored
        # (as in SystemdSpawner: a changed template never loses a server).
        pw = self._unix_user()
        port = self._choose_port()
        self.log.debug("user:%s using port %s for unit %s", self._log_name, port, self.unit_name)
        # Everything that can be refused is checked before anything runs.
        argv = self.build_spawn_argv(pw)
        slice_args = self._slice_set_args()
        env = self.build_env(pw)
        try:
            records = encode_env_records(env)
        except ValueError as e:
            raise CgroupSpawnerConfigError(f"cannot pass the server's environment: {e}") from None
        # Then whether this host can enforce it (`cgspawn check`, once per hub).
        drop = await options_to_drop(self)
        if drop:
            argv = self.build_spawn_argv(pw, drop)
        if slice_args:
            argv_set = self._launcher_prefix() + ["slice", "set"] + self._root_args() + slice_args
            await run_launcher(argv_set, what="cgspawn slice set")

        # A unit of this name still running is a server the hub lost track of
        # (a remnant of an earlier install or a lost state): SystemdSpawner
        # stops it and starts ours in its place, and so do we.
        status = await self._status()
        if status["state"] == "running":
            self.log.warning(
                "user:%s unit %s is already running but unknown to JupyterHub: stopping it",
                self._log_name,
                self.unit_name,
            )
            await self._stop_unit(self.stop_timeout)

        self.log.info("user:%s spawning %s", self._log_name, " ".join(argv))
        self._close_output()
        out, err, open_fds = await run_spawn(argv, stdin=records)
        self.pid = 0
        server_lines = []
        for line in out.splitlines():
            if not self.pid and line.strip().isdigit():
                self.pid = int(line.strip())
            elif line.strip():
                server_lines.append(line)
        for line in err.splitlines():
            if line.startswith("cgspawn: info:"):
                self.log.info("user:%s %s", self._log_name, line)
            elif line.startswith("cgspawn:"):
                self.log.warning("user:%s %s", self._log_name, line)
            elif line.strip():
                server_lines.append(line)
        for line in server_lines:
            self._log_server_line(line)
        if open_fds:
            self._output = OutputForwarder(open_fds, self._log_server_line)
        self._unit_known = True
        self._last_oom_kill = 0
        try:
            self.cgroup_path = (await self._status()).get("path") or None
        except LauncherError as e:
            self.log.warning("user:%s cannot read the cgroup of %s: %s", self._log_name, self.unit_name, e)
        return (self.ip or "127.0.0.1", self.port)

    def _log_server_line(self, line):
        self.log.info("[%s] %s", self.unit_name, line)

    def _close_output(self):
        if self._output is not None:
            self._output.close()
            self._output = None

    def _log_oom(self, status, what):
        self.log.warning(
            "user:%s unit %s: %s: oom_kill=%s memory_max=%s memory_peak=%s memory_current=%s",
            self._log_name,
            self.unit_name,
            what,
            status.get("oom_kill"),
            status.get("memory_max"),
            status.get("memory_peak"),
            status.get("memory_current"),
        )

    async def poll(self):
        """None while the unit's cgroup has processes; else an exit status.

        cgspawn knows the cgroup, not the server's exit code, so:
        0 - the unit exited without OOM kills, or is absent (unknown status,
            as JupyterHub's Spawner.poll documents);
        1 - the unit exited after the kernel's OOM killer killed a process in
            it (logged as a warning with the unit's memory figures).
        An OOM kill while the server keeps running is logged too.
        An exited unit's empty cgroup is removed (`cgspawn cleanup`).
        """
        if self._starting:
            return None
        if not self._unit_known:
            if self.server is not None and self._may_hold_lost_start:
                self._may_hold_lost_start = False
                await self._clean_up_lost_start()
            return 0
        status = await self._status()
        state = status["state"]
        oom = int(status.get("oom_kill") or 0)
        if state == "running":
            if oom > self._last_oom_kill:
                self._log_oom(status, "the OOM killer killed a process; the server still runs")
            self._last_oom_kill = oom
            return None
        exit_status = 0
        if state == "exited":
            if oom > 0:
                self._log_oom(status, "the server exited after OOM kills")
                exit_status = 1
            argv = self._launcher_prefix() + ["cleanup"] + self._root_args() + [self.unit_name]
            try:
                await run_launcher(argv, what="cgspawn cleanup")
            except LauncherError as e:
                self.log.warning("user:%s %s", self._log_name, e)
        self._unit_known = False
        self._close_output()
        return exit_status

    async def _clean_up_lost_start(self):
        """A server record with no unit record: the hub died during start().

        JupyterHub commits the server record before start() and the state
        (our unit name) after it returns, and on restart it drops a record
        whose poll() says "not running" without calling stop(). So whatever
        that start() left (a cgroup, a server nobody can reach) would stay
        unknown to anyone: stop it here."""
        status = await self._status()
        if status["state"] == "absent":
            return
        self.log.warning(
            "user:%s unit %s is %s from a start the hub did not finish (it was stopped or "
            "killed meanwhile): stopping it",
            self._log_name,
            self.unit_name,
            status["state"],
        )
        await self._stop_unit(1)
        self._close_output()

    async def stop(self, now=False):
        """`cgspawn stop UNIT --timeout T`: SIGTERM, wait T s, then kill the
        whole cgroup and remove it. T is stop_timeout, or 0 when now=True."""
        timeout = 0 if now else self.stop_timeout
        await self._stop_unit(timeout)
        self._unit_known = False
        self._close_output()
