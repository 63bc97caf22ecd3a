"""The preflight: `cgspawn check` once per hub, before its first spawn.

cgspawn check does in a throwaway cgroup and child what a spawn will do
(write and read back each limit, a mount namespace, no_new_privs, seccomp)
and prints one verdict per check. The spawner runs it once per launcher and
cgroup root, logs the result, and then judges each start against it: a
configured limit or isolation whose check FAILed is refused (the server is
not started unlimited), unless require_enforced_limits = False, which drops
exactly those options from the spawn, with a warning.
"""

import asyncio
import json

from .errors import PreflightError
from .launcher import LauncherError, error_line
from .limits import BY_FILE, LIMITS

# A finding's id (cgspawn check --json's "id") -> the options that cannot
# work when it fails. limit.FILE and controller.NAME come from the limits
# table; a controller no limit needs (io: only unit_extra_properties io.*,
# which cgspawn refuses itself) blocks nothing; any other id (root,
# delegation, units, isolation.move, ...) is one every spawn needs.
_MOUNTS = ("isolate_tmp", "isolate_devices", "readonly_paths", "readwrite_paths")
CHECK_OPTIONS = {limit.check_id: (limit.option,) for limit in LIMITS}
for _limit in LIMITS:
    _key = "controller." + _limit.controller
    CHECK_OPTIONS[_key] = CHECK_OPTIONS.get(_key, ()) + (_limit.option,)
CHECK_OPTIONS.update(
    {
        "isolation.mount_namespace": _MOUNTS,
        "isolation.no_new_privs": ("disable_user_sudo",),
        "isolation.seccomp": ("seccomp_profile",),
    }
)

OPT_OUT = "c.CgroupSpawner.require_enforced_limits = False"


class CheckResult:
    """The parsed `cgspawn check --json` (check-kernel.sh --json's shape):
    a list of {id, status: ok|warn|fail, check, message, fix}. The id
    (limit.memory.max, controller.cpu, delegation, root, isolation.seccomp,
    ...) is what the spawner judges by; check, message and fix are for the
    admin."""

    def __init__(self, checks, cgroup=None):
        self.checks = checks
        self.cgroup = cgroup  # the delegated root D the check found, or None

    @classmethod
    def parse(cls, out):
        try:
            doc = json.loads(out)
            checks = [c for c in doc["checks"] if isinstance(c, dict) and "status" in c]
        except (ValueError, KeyError, TypeError):
            raise LauncherError(f"cgspawn check: output is not its JSON: {out[:200]!r}") from None
        cgroup = doc.get("cgroup")
        ok_root = any(c.get("id") == "root" and c["status"] == "ok" for c in checks)
        return cls(checks, cgroup if ok_root and isinstance(cgroup, str) else None)

    def failures(self):
        return [c for c in self.checks if c["status"] == "fail"]

    def uninitialised(self):
        """D is there and delegated, but `cgspawn init` never laid it out."""
        failed = {c.get("id") for c in self.failures()}
        return "units" in failed and not failed & {"root", "delegation"}

    @staticmethod
    def options_of(check):
        """The options a finding is about; None: the spawn itself needs it."""
        finding = check.get("id") or ""
        if finding in CHECK_OPTIONS:
            return CHECK_OPTIONS[finding]
        if finding.startswith("controller."):
            return ()
        return None

    def blocking(self, configured):
        """[(failed check, the configured options it breaks)] for a spawn
        whose set options are CONFIGURED; a check that every spawn needs
        (cgroup root, delegation, creating a cgroup) breaks ("the spawn",)."""
        out = []
        for check in self.failures():
            options = self.options_of(check)
            if options is None:
                out.append((check, ("the spawn",)))
            else:
                hit = tuple(o for o in options if o in configured)
                if hit:
                    out.append((check, hit))
        return out


def describe(check):
    """The check as cgspawn check's text line says it: "check: message; fix"."""
    message, fix = check.get("message") or "", check.get("fix") or ""
    return f"{check.get('check')}{': ' + message if message else ''}{'; ' + fix if fix else ''}"


class Preflight:
    """One `cgspawn check` per (launcher argv prefix, cgroup root) per hub
    process, shared by all spawners; concurrent first spawns wait for one
    check. A check that could not run is not remembered (the next start
    tries again)."""

    _results = {}

    @classmethod
    def forget_all(cls):
        cls._results.clear()

    @classmethod
    def known(cls, cgspawn):
        """Whether this hub has the check's result already (a start then
        shows no host check step)."""
        future = cls._results.get(cgspawn.key)
        return future is not None and future.done()

    @classmethod
    def cgroup_root(cls, cgspawn):
        """The delegated root D this hub's check found, once known; None
        before the check, or when it could not find D."""
        future = cls._results.get(cgspawn.key)
        if future is None or not future.done() or future.exception() is not None:
            return None
        return future.result().cgroup

    @classmethod
    async def result(cls, cgspawn, log):
        future = cls._results.get(cgspawn.key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            cls._results[cgspawn.key] = future
            try:
                future.set_result(await cls._run(cgspawn, log))
            except BaseException as e:
                del cls._results[cgspawn.key]
                future.set_exception(e)
                future.exception()  # retrieved: no "never retrieved" warning
                raise
        return await asyncio.shield(future)

    @staticmethod
    async def _check(cgspawn):
        # Exit 2 (the check could not run) still prints the failed check.
        rc, out, err = await cgspawn.run("check", "--json", ok_codes=(0, 1, 2))
        try:
            return CheckResult.parse(out)
        except LauncherError:
            if rc == 2:
                raise LauncherError(
                    f"cgspawn check failed: {error_line(err) or 'no message on stderr'} (exit status 2)"
                ) from None
            raise

    @staticmethod
    async def _init_once(cgspawn, log):
        """A root hub whose unit only has Delegate=yes (what a migrating
        admin adds) finds D delegated but not laid out: lay it out, once,
        rather than fail every spawn. Through sudo cgspawn refuses init
        (it is root's, at the servers' unit's start), so the check's
        failure stands there."""
        try:
            _, _, err = await cgspawn.run("init")
        except LauncherError as e:
            log.warning("the delegated cgroup is not initialised, and `cgspawn init` failed: %s", e)
            return False
        log.info(
            "the delegated cgroup was not initialised (no D/users): ran `cgspawn init` for this hub"
            " (%s); the servers' own unit does it at its start in the layout README 'Hub restarts'"
            " recommends", error_line(err) or "done")
        return True

    @staticmethod
    async def _run(cgspawn, log):
        result = await Preflight._check(cgspawn)
        if result.uninitialised() and not cgspawn.through_sudo:
            if await Preflight._init_once(cgspawn, log):
                result = await Preflight._check(cgspawn)
        for check in result.checks:
            if check["status"] == "fail":
                log.warning("cgspawn check: FAIL %s", describe(check))
            elif check["status"] == "warn":
                log.warning("cgspawn check: warn %s", describe(check))
            else:
                log.info("cgspawn check: ok %s", describe(check))
        n = len(result.failures())
        log.info("cgspawn check: %s", f"{n} check(s) FAILED" if n else "every check passed")
        return result


def configured_options(spawner, properties):
    """The names of the options a start of SPAWNER asks cgspawn to enforce;
    PROPERTIES (translate_properties') count for the limits they write."""
    names = {name for name in ("isolate_tmp", "isolate_devices", "disable_user_sudo")
             if getattr(spawner, name)}
    names.update(limit.option for limit in LIMITS if getattr(spawner, limit.option) is not None)
    names.update(BY_FILE[f].option for f, _ in properties if f in BY_FILE)
    for name in ("readonly_paths", "readwrite_paths"):
        if getattr(spawner, name):
            names.add(name)
    if spawner.seccomp_profile != "none":
        names.add("seccomp_profile")
    return names


async def options_to_drop(spawner, cgspawn, configured):
    """Run (or reuse) the check and judge this start: returns the set of
    options to leave out (only with require_enforced_limits = False; empty
    when everything works) or raises PreflightError naming the failed check,
    what it breaks and the fix."""
    try:
        result = await Preflight.result(cgspawn, spawner.log)
    except LauncherError as e:
        if spawner.require_enforced_limits:
            raise PreflightError(
                f"cannot verify that the limits work, `cgspawn check` failed: {e}"
                f" (fix that, or set {OPT_OUT} to start servers unchecked)"
            ) from None
        spawner.log.warning("cgspawn check could not run (%s); starting unchecked", e)
        return set()
    blocking = result.blocking(configured)
    if not blocking:
        return set()
    if spawner.require_enforced_limits:
        check, options = blocking[0]
        raise PreflightError(
            f"{', '.join(options)} cannot work on this host: cgspawn check: FAIL"
            f" {describe(check)} (fix the host, see kernel-check; or set {OPT_OUT}"
            " to start servers without what cannot work)"
        )
    drop = set()
    for check, options in blocking:
        if options == ("the spawn",):
            what = "anyway"
        else:
            what = f"without {', '.join(options)}"
            drop.update(options)
        spawner.log.warning(
            "user:%s starting %s (require_enforced_limits = False): cgspawn check: FAIL %s",
            spawner.user.name, what, describe(check),
        )
    return drop
