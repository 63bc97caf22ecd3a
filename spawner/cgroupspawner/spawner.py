"""CgroupSpawner: a JupyterHub spawner that runs each single-user server in
its own cgroup v2 leaf through the ``cgspawn`` launcher.

It takes every option of SystemdSpawner with the same name, type, default and
meaning, and reads the ``c.SystemdSpawner`` config section too, so switching
is ``c.JupyterHub.spawner_class = "cgroup"``. See spawner/README.md.
"""

import asyncio
import json

from jupyterhub.spawner import Spawner
from jupyterhub.utils import random_port

from . import cgroup_files
from .argv import spawn_args
from .errors import CgroupSpawnerConfigError
from .launcher import LauncherError, OutputForwarder, encode_env_records
from .limits import format_cpus, slice_set_args
from .ownership import UnitOwnedError, foreign_owner, is_owner_refusal, refusal
from .preflight import Preflight, configured_options, options_to_drop
from .polling import UnitPolling
from .profile_choice import ProfileChoice
from .profiles import label
from .progress import (CGROUP, HOST_CHECK, PROFILE, SERVER_START, SLICE, STARTED, SpawnProgress,
                       slice_limits_in_words, status_limits_in_words)
from .request import SpawnRequestBuilder
from .slugs import unit_name
from .tls import SERVER_TLS_PATHS, encode_tls_records, forget_hub_copies, read_tls_material


class CgroupSpawner(UnitPolling, ProfileChoice, SpawnRequestBuilder, Spawner):
    _said_systemd_section = False  # once per hub process (options.section_names)

    # ---- lifecycle ----

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit_name = self._default_unit_name()
        self.cgroup_path = None
        # The inode of cgroup_path's cgroup, from `spawn --json` or once a
        # `cgspawn status` found it ours and running: poll() then reads its
        # files (cgroup_files.py).
        self._cgroup_inode = None
        self.pid = 0
        # True once start() ran or load_state() found a unit: poll() asks
        # cgspawn only then (an untouched spawner is "not running", 0).
        self._unit_known = False
        # Whether a server record without a unit record may still be a start
        # the hub died in (poll() then looks once): not after this process
        # started or loaded a unit.
        self._may_hold_lost_start = True
        self._starting = False
        # start() and stop() of this spawner never interleave (cgspawn's unit
        # lock keeps its own calls apart; this keeps ours in order): a stop
        # while a start runs (JupyterHub 3.0 after start_timeout, which does
        # not cancel) waits for it and then stops what it started.
        self._unit_lock = asyncio.Lock()
        self._random_port = None
        self._last_oom_kill = 0
        self._output = None
        # internal_ssl: what move_certs() read, until start() hands it over.
        self._tls_material = None
        # What the current start did so far, for progress() (progress.py).
        self._progress = SpawnProgress()
        self.log.debug("user:%s initialized spawner with unit %s", self._log_name, self.unit_name)
        if self.config._has_section("SystemdSpawner") and not CgroupSpawner._said_systemd_section:
            CgroupSpawner._said_systemd_section = True
            self.log.info("CgroupSpawner reads c.SystemdSpawner.* too; c.CgroupSpawner.* wins where both set one")

    def _default_unit_name(self):
        return unit_name(self.unit_name_template, self.user.name, self.user.id, self.name or "")

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
        self._cgroup_inode = None
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
        self._cgroup_inode = None
        self.pid = 0
        self._unit_known = False
        self._last_oom_kill = 0
        self._progress.reset()

    def _choose_port(self):
        """A configured port is kept; otherwise a fresh random port per start
        (as SystemdSpawner does)."""
        if self.port == 0 or self.port == self._random_port:
            self._random_port = self.port = random_port()
        return self.port

    # ---- the Spawner API ----

    async def move_certs(self, paths):
        """internal_ssl: read the server's key, certificate and CA (tls.py)
        for start() to hand to cgspawn on stdin; return where cgspawn puts
        them inside the server's mount namespace."""
        self._tls_material = read_tls_material(paths)
        forget_hub_copies(paths, self.log)
        return dict(SERVER_TLS_PATHS)

    def _stdin_records(self, pw):
        """What `cgspawn spawn` reads on stdin: with internal_ssl the SSL
        material first, then the environment records."""
        tls = b""
        if self.internal_ssl:
            if self._tls_material is None:
                raise CgroupSpawnerConfigError(
                    "internal_ssl is on but move_certs() was not called before start(): "
                    "JupyterHub calls it; a custom caller must too")
            tls = encode_tls_records(self._tls_material)
        try:
            return tls + encode_env_records(self.build_env(pw))
        except ValueError as e:
            raise CgroupSpawnerConfigError(f"cannot pass the server's environment: {e}") from None

    async def _status(self, name=None):
        """`cgspawn status UNIT --json` -> dict (exit 0 running, 3 not);
        UNIT is NAME, by default this server's unit."""
        name = name or self.unit_name
        _, out, _ = await self.cgspawn.run("status", name, "--json", ok_codes=(0, 3))
        try:
            status = json.loads(out)
        except ValueError:
            raise LauncherError(f"cgspawn status {name}: output is not JSON: {out[:200]!r}") from None
        if not isinstance(status, dict) or "state" not in status:
            raise LauncherError(f"cgspawn status {name}: no state in {out[:200]!r}")
        return status

    async def _stop_unit(self, timeout, name=None):
        """Stop the unit unless it records another owner (cgspawn refuses
        that under the unit's lock: LauncherError, is_owner_refusal)."""
        await self.cgspawn.run("stop", name or self.unit_name, "--timeout", format_cpus(timeout),
                               "--owner", self._owner)

    async def start(self):
        async with self._unit_lock:
            self._starting = True
            self._may_hold_lost_start = False
            self._progress.reset()
            try:
                ip_port = await self._start()
                self._progress.waiting(f"{ip_port[0]}:{ip_port[1]}", self.http_timeout)
                return ip_port
            except asyncio.CancelledError:
                self._progress.fail("the start was cancelled")
                await asyncio.shield(asyncio.ensure_future(self._undo_cancelled_start()))
                raise
            except Exception as e:
                self._progress.fail(e)
                raise
            finally:
                self._starting = False
                self._tls_material = None  # the key lives on only in the server's namespace

    async def _undo_cancelled_start(self):
        """start() was cancelled: from JupyterHub 5.1 on start_timeout, and
        when the pending server is stopped. The launcher it was waiting for
        has ended (launcher.py ends it before the cancellation goes on);
        what it started is stopped now, so nothing of this start runs and
        nothing races the next one (cgspawn's unit lock makes this stop wait
        for any cgspawn of this unit still running)."""
        self.log.warning("user:%s start of %s was cancelled: stopping what it started",
                         self._log_name, self.unit_name)
        try:
            await self._stop_unit(0)
        except LauncherError as e:
            # Still known: the hub's next poll() finds it and stops it.
            self.log.error("user:%s cannot stop %s after a cancelled start: %s",
                           self._log_name, self.unit_name, e)
            return
        self._unit_known = False
        self._close_output()

    async def _start(self):
        # self.unit_name: the template's, or the one load_state() restored;
        # a restored name, running or not, gives way to the template's
        # before the spawn (_take_template_name).
        # The options were validated at load; what is left to refuse is
        # checked before anything runs: the profile, the user, the environment.
        self._progress.step("choosing the profile")
        profile = self._apply_profile()
        if profile is not None:
            self._progress.done(PROFILE, f"Profile {label(profile)} ({profile['name']})")
        pw = self._unix_user()
        port = self._choose_port()
        self.log.debug("user:%s using port %s for unit %s", self._log_name, port, self.unit_name)
        records = self._stdin_records(pw)
        # Then whether this host can enforce it (`cgspawn check`, once per hub).
        configured = configured_options(self, self._properties())
        checking = not Preflight.known(self.cgspawn)
        self._progress.step("the host check", HOST_CHECK,
                            "Checking that this host can enforce the limits (cgspawn check, once"
                            " per hub)" if checking else None)
        drop = await options_to_drop(self, self.cgspawn, configured)
        if self.slice and self.slice in self.slice_limits:
            slice_args = slice_set_args(self.slice, self.slice_limits[self.slice])
            words = slice_limits_in_words(slice_args)
            self._progress.step(f"slice {self.slice}", SLICE,
                                f"Setting the limits of slice {self.slice}: {words}")
            await self.cgspawn.run("slice set", *slice_args)
        self._progress.step(f"checking for an earlier server in unit {self.unit_name}")
        await self._stop_lost_unit()
        await self._take_template_name()
        args = spawn_args(self._spawn_request(pw, drop))
        self._progress.step("starting the server in its cgroup", SERVER_START,
                            f"Creating cgroup {self._unit_path()} and starting the server in it")
        self.log.info("user:%s spawning %s", self._log_name, " ".join(self.cgspawn.argv("spawn", *args)))
        self._close_output()
        # Known from here on: whatever becomes of this call (a failure, a
        # cancellation, a hub that dies), poll() asks cgspawn about the unit.
        self._unit_known = True
        self._last_oom_kill = 0
        self._cgroup_inode = None
        out, err, open_fds = await self.cgspawn.spawn(args, stdin=records)
        self._take_spawn_output(out, err, open_fds)
        status = None
        if self.cgroup_path is None:  # a launcher that printed the pid alone
            try:
                status = await self._status()
                self.cgroup_path = status.get("path") or None
            except LauncherError as e:
                self.log.warning("user:%s cannot read the cgroup of %s: %s", self._log_name, self.unit_name, e)
        elif self._cgroup_inode is not None:  # the cgroup spawn --json named: its own files
            status = cgroup_files.read_limits(self.cgroup_path, self._cgroup_inode)
        limits = status_limits_in_words(status) if status else "its limits could not be read"
        self._progress.done(CGROUP, f"Cgroup {self._unit_path()} created: {limits}")
        self._progress.done(STARTED, f"Server started (pid {self.pid})")
        return (self.ip or "127.0.0.1", self.port)

    def _unit_path(self):
        """The unit as `cgspawn list` shows it: SLICE/NAME in a slice."""
        return f"{self.slice}/{self.unit_name}" if self.slice else self.unit_name

    async def progress(self):
        """JupyterHub's spawn progress: the events this start recorded
        (progress.py), then each new one until the spawn is over."""
        async for item in self._progress.follow():
            yield item

    async def _stop_lost_unit(self):
        """A unit of this name still running is a server the hub lost track
        of (a remnant of an earlier install or a lost state): SystemdSpawner
        stops it and starts ours in its place, and so do we. With no cgroup
        of that name under the root the check found (the usual start), no
        `cgspawn status` runs (issue 17)."""
        root = Preflight.cgroup_root(self.cgspawn)
        if root is not None and cgroup_files.unit_absent(root, self.unit_name):
            return
        status = await self._status()
        other = foreign_owner(status, self._owner)
        if other is not None:
            message = refusal(self.unit_name, other, self._owner)
            self.log.error("user:%s %s", self._log_name, message)
            raise UnitOwnedError(message)
        if status["state"] == "running":
            self.log.warning(
                "user:%s unit %s is already running but unknown to JupyterHub: stopping it",
                self._log_name,
                self.unit_name,
            )
            await self._stop_unit(self.stop_timeout)

    async def _take_template_name(self):
        """A name from the state (kept by a stop) gives way to the
        template's at the next start: names made before escaping could
        collide, and a changed template applies from then on. The old
        unit was handled by _stop_lost_unit; one of the new name is too."""
        name = self._default_unit_name()
        if name == self.unit_name:
            return
        self.log.info("user:%s unit %s is now %s (unit_name_template)", self._log_name, self.unit_name, name)
        self.unit_name = name
        await self._stop_lost_unit()

    def _take_spawn_output(self, out, err, open_fds):
        """cgspawn's stdout starts with the server's pid; its own lines on
        stderr say `cgspawn:`; anything else is the server's (logged), and
        pipes the server still holds are forwarded."""
        self.pid = 0
        self.cgroup_path = None
        server_lines = []
        for line in out.splitlines():
            if not self.pid and line.strip().isdigit():
                self.pid = int(line.strip())
            elif not self.pid and self._take_spawn_json(line):
                continue
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

    def _take_spawn_json(self, line):
        """`spawn --json`'s line: the pid, the unit's cgroup and its inode.
        That cgroup is the one this spawn just made with our owner record,
        so poll() may read its files from now on (cgroup_files.py)."""
        try:
            started = json.loads(line)
        except ValueError:
            return False
        if not isinstance(started, dict) or not isinstance(started.get("pid"), int):
            return False
        self.pid = started["pid"]
        self.cgroup_path = started.get("path") or None
        inode = started.get("cgroup_inode")
        self._cgroup_inode = inode if self.cgroup_path and isinstance(inode, int) else None
        return True

    def _log_server_line(self, line):
        self.log.info("[%s] %s", self.unit_name, line)

    def _close_output(self):
        if self._output is not None:
            self._output.close()
            self._output = None

    async def stop(self, now=False):
        """`cgspawn stop UNIT --timeout T`: SIGTERM, wait T s, then kill the
        whole cgroup and remove it. T is stop_timeout, or 0 when now=True."""
        timeout = 0 if now else self.stop_timeout
        async with self._unit_lock:
            try:
                await self._stop_unit(timeout)
            except LauncherError as e:
                if not is_owner_refusal(e):
                    raise
                # Not this server's unit (ownership.py): it stays; ours is not running.
                self.log.error("user:%s %s", self._log_name, e)
            self._unit_known = False
            self._close_output()
