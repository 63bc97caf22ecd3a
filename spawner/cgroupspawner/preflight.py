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
from .launcher import LauncherError, error_line, run_launcher
from .limits import LIMITS

# check name (prefix of cgspawn check's "check" field) -> the options that
# cannot work when it fails.
_MEMORY = ("mem_limit", "mem_guarantee", "mem_swap_limit")
_CPU = ("cpu_limit", "cpu_guarantee")
_MOUNTS = ("isolate_tmp", "isolate_devices", "readonly_paths", "readwrite_paths")
CHECK_OPTIONS = {
    "limit memory.max": ("mem_limit",),
    "limit memory.low": ("mem_guarantee",),
    "limit memory.swap.max": ("mem_swap_limit",),
    "limit cpu.max": ("cpu_limit",),
    "limit cpu.weight": ("cpu_guarantee",),
    "limit pids.max": ("tasks_limit",),
    "memory controller": _MEMORY,
    "cpu controller": _CPU,
    "pids controller": ("tasks_limit",),
    "io controller": (),  # only unit_extra_properties io.*; cgspawn refuses those itself
    "private mount namespace": _MOUNTS,
    "no_new_privs": ("disable_user_sudo",),
    "seccomp filter": ("seccomp_profile",),
}

OPT_OUT = "c.CgroupSpawner.require_enforced_limits = False"


class CheckResult:
    """The parsed `cgspawn check --json` (check-kernel.sh --json's shape):
    a list of {status: ok|warn|fail, check, message, fix}."""

    def __init__(self, checks):
        self.checks = checks

    @classmethod
    def parse(cls, out):
        try:
            doc = json.loads(out)
            checks = [c for c in doc["checks"] if isinstance(c, dict) and "status" in c]
        except (ValueError, KeyError, TypeError):
            raise LauncherError(f"cgspawn check: output is not its JSON: {out[:200]!r}") from None
        return cls(checks)

    def failures(self):
        return [c for c in self.checks if c["status"] == "fail"]

    @staticmethod
    def options_of(check):
        """The options a check is about; None: the spawn itself needs it."""
        name = check.get("check", "")
        for prefix, options in CHECK_OPTIONS.items():
            if name.startswith(prefix):
                return options
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
    async def result(cls, prefix, root_args, log):
        key = (tuple(prefix), tuple(root_args))
        future = cls._results.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            cls._results[key] = future
            try:
                future.set_result(await cls._run(prefix, root_args, log))
            except BaseException as e:
                del cls._results[key]
                future.set_exception(e)
                future.exception()  # retrieved: no "never retrieved" warning
                raise
        return await asyncio.shield(future)

    @staticmethod
    async def _run(prefix, root_args, log):
        argv = list(prefix) + ["check"] + list(root_args) + ["--json"]
        # Exit 2 (the check could not run) still prints the failed check.
        rc, out, err = await run_launcher(argv, what="cgspawn check", ok_codes=(0, 1, 2))
        try:
            result = CheckResult.parse(out)
        except LauncherError:
            if rc == 2:
                raise LauncherError(
                    f"cgspawn check failed: {error_line(err) or 'no message on stderr'} (exit status 2)"
                ) from None
            raise
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


def configured_options(spawner):
    """The names of the options a start of SPAWNER asks cgspawn to enforce."""
    names = set()
    for name in LIMITS:
        if getattr(spawner, name) is not None:
            names.add(name)
    for name in ("isolate_tmp", "isolate_devices", "disable_user_sudo"):
        if getattr(spawner, name):
            names.add(name)
    for name in ("readonly_paths", "readwrite_paths"):
        if getattr(spawner, name):
            names.add(name)
    if spawner.seccomp_profile.lower() != "none":
        names.add("seccomp_profile")
    return names


async def options_to_drop(spawner):
    """Run (or reuse) the check and judge this start: returns the set of
    options to leave out (only with require_enforced_limits = False; empty
    when everything works) or raises PreflightError naming the failed check,
    what it breaks and the fix."""
    try:
        result = await Preflight.result(spawner._launcher_prefix(), spawner._root_args(), spawner.log)
    except LauncherError as e:
        if spawner.require_enforced_limits:
            raise PreflightError(
                f"cannot verify that the limits work, `cgspawn check` failed: {e}"
                f" (fix that, or set {OPT_OUT} to start servers unchecked)"
            ) from None
        spawner.log.warning("cgspawn check could not run (%s); starting unchecked", e)
        return set()
    blocking = result.blocking(configured_options(spawner))
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
