"""poll(): whether a server still runs, and what its end was. A mixin of
CgroupSpawner (spawner.py), apart from start and stop.

A poll of a running server reads its cgroup's files once the cgroup is
pinned to its inode (cgroup_files.py) and starts no process; anything else
asks `cgspawn status`, logs OOM kills with the unit's memory figures and
removes an exited unit's empty cgroup. A server record without a unit record
(the hub died during a start) is cleaned up here too.
"""

from . import cgroup_files
from .launcher import LauncherError
from .ownership import foreign_owner, refusal


class UnitPolling:
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
        Once a status found the unit ours and running, later polls read its
        cgroup's files instead and start no process (cgroup_files.py).
        """
        if self._starting:
            return None
        if not self._unit_known:
            if self.server is not None and self._may_hold_lost_start:
                self._may_hold_lost_start = False
                await self._clean_up_lost_start()
            return 0
        if self._running_by_files():
            return None
        before = cgroup_files.inode(self.cgroup_path) if self.cgroup_path else None
        status = await self._status()
        other = foreign_owner(status, self._owner)
        if other is not None:  # a name from the state that is now another server's: not ours
            self.log.error("user:%s %s", self._log_name, refusal(self.unit_name, other, self._owner))
            self._unit_known = False
            return 0
        state = status["state"]
        oom = int(status.get("oom_kill") or 0)
        if state == "running":
            if oom > self._last_oom_kill:
                self._log_oom(status, "the OOM killer killed a process; the server still runs")
            self._last_oom_kill = oom
            self._pin_cgroup(status, before)
            return None
        exit_status = 0
        if state == "exited":
            if oom > 0:
                self._log_oom(status, "the server exited after OOM kills")
                exit_status = 1
            try:
                await self.cgspawn.run("cleanup", self.unit_name)
            except LauncherError as e:
                self.log.warning("user:%s %s", self._log_name, e)
        self._unit_known = False
        self._close_output()
        return exit_status

    def _running_by_files(self):
        """True when the pinned cgroup still has processes and no new OOM
        kill (cgroup_files.py): poll() then starts no process. Anything
        else (no pin, unreadable, exited, an OOM kill to log) is for
        `cgspawn status`."""
        if self._cgroup_inode is None or not self.cgroup_path:
            return False
        seen = cgroup_files.read_unit(self.cgroup_path, self._cgroup_inode)
        if seen is None:
            self._cgroup_inode = None
            return False
        populated, oom = seen
        return populated and (oom is None or oom <= self._last_oom_kill)

    def _pin_cgroup(self, status, before):
        """Pin our cgroup to its inode after a status that found it ours and
        running, if the inode was the same before and after that status (so
        the status judged this very cgroup, not one made again meanwhile)."""
        path = status.get("path")
        if before is not None and path and path == self.cgroup_path and cgroup_files.inode(path) == before:
            self._cgroup_inode = before

    async def _clean_up_lost_start(self):
        """A server record with no unit record: the hub died during start().

        JupyterHub commits the server record before start() and the state
        (our unit name) after it returns, and on restart it drops a record
        whose poll() says "not running" without calling stop(). So whatever
        that start() left (a cgroup, a server nobody can reach) would stay
        unknown to anyone: stop it here. That start ran under the name the
        state kept, or under the template's (_take_template_name)."""
        for name in dict.fromkeys([self.unit_name, self._default_unit_name()]):
            status = await self._status(name)
            if status["state"] == "absent" or foreign_owner(status, self._owner) is not None:
                continue  # nothing, or another server's (ownership.py)
            self.log.warning(
                "user:%s unit %s is %s from a start the hub did not finish (it was stopped or "
                "killed meanwhile): stopping it",
                self._log_name,
                name,
                status["state"],
            )
            await self._stop_unit(1, name)
        self._close_output()
