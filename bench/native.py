"""Launcher cost on this host, no guest (issue 17): `cgspawn --version`,
`cgspawn status` of a missing unit, and a whole `cgspawn spawn` of /bin/true
with full isolation, against `/bin/true`, alternated round by round so noise
hits all alike.

    /usr/bin/python3 bench/native.py --cgspawn build/launcher/cgspawn [--baseline OLD] [--rounds N] [--json FILE]

--baseline OLD adds the same commands with another cgspawn binary (e.g. one
built from main) to the same alternation, so before and after are compared
within one run.

Each command is started with posix_spawn (no shell) and timed from the
spawn to its reaping, output to /dev/null. `status` and `spawn` need a
cgroup2 mount and root: they run in a directory made for this run under the
cgroup2 mount (`cgspawn init` there; removed at the end, also on error);
without them those rows are skipped. `spawn` is timed until it returns (the
server has exec'd); the unit's cleanup after it is not timed. On a host
whose cgroup2 has no memory/cpu/pids controllers (hybrid), the spawn writes
no limits; the rest of its work is the same. Prints median [p25-p75] and
the ratio to /bin/true per command; not a pass/fail test (the target is
printed beside it).
"""
import argparse
import contextlib
import json
import os
import subprocess
import sys
import time

import stats

TARGET_VERSION = 1.5  # issue 17: cgspawn --version <= 1.5x /bin/true


# The server's environment on spawn's stdin (--env-stdin): PATH only.
SERVER_ENV = b"PATH=/usr/sbin:/usr/bin:/sbin:/bin\0"


class Command:
    """ARGV, with STDIN (bytes) on fd 0, and AFTER() run untimed after it."""

    def __init__(self, argv, stdin=b"", after=None):
        self.argv, self.stdin, self.after = argv, stdin, after


def run_once(cmd):
    """Seconds from posix_spawn to reaping the command; its exit status is
    ignored (a missing unit's status exits 3 on purpose)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    r, w = os.pipe()
    try:
        os.write(w, cmd.stdin)
        os.close(w)
        acts = [(os.POSIX_SPAWN_DUP2, r, 0), (os.POSIX_SPAWN_DUP2, devnull, 1),
                (os.POSIX_SPAWN_DUP2, devnull, 2)]
        t0 = time.perf_counter()
        pid = os.posix_spawn(cmd.argv[0], cmd.argv, {}, file_actions=acts)
        os.waitpid(pid, 0)
        took = time.perf_counter() - t0
    finally:
        os.close(devnull)
        os.close(r)
    if cmd.after:
        cmd.after()
    return took


def alternate(commands, rounds, warmup=5):
    """{name: [seconds, ...]}: every command once per round, in turn."""
    for _ in range(warmup):
        for cmd in commands.values():
            run_once(cmd)
    times = {name: [] for name in commands}
    for _ in range(rounds):
        for name, cmd in commands.items():
            times[name].append(run_once(cmd))
    return times


def spawn_command(cgspawn, root, unit):
    """`cgspawn spawn` of /bin/true with full isolation as nobody, and the
    unit's cleanup after it (retried while /bin/true is still exiting)."""
    argv = [cgspawn, "spawn", "--cgroup-root", root, "--unit", unit, "--env-stdin",
            "--log-target", "stderr", "--user", "nobody", "--private-tmp", "--private-devices",
            "--read-only", "/usr", "--", "/bin/true"]
    cleanup = [cgspawn, "cleanup", "--cgroup-root", root, unit]

    def after():
        for _ in range(500):
            if subprocess.run(cleanup, capture_output=True).returncode == 0:
                return
            time.sleep(0.01)
        raise RuntimeError(f"{' '.join(cleanup)} kept failing")

    return Command(argv, SERVER_ENV, after)


def cgroup2_mount():
    """The cgroup2 mount point, or None."""
    with open("/proc/self/mounts", encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if fields[2] == "cgroup2":
                return fields[1]
    return None


@contextlib.contextmanager
def empty_root():
    """An empty directory under the cgroup2 mount, or None (not root, no
    cgroup2); removed on exit."""
    mount = cgroup2_mount()
    if os.geteuid() != 0 or mount is None:
        yield None
        return
    path = os.path.join(mount, f"cgspawn-bench-native-{os.getpid()}")
    os.mkdir(path)
    try:
        yield path
    finally:
        for top, dirs, _ in os.walk(path, topdown=False):  # init's hub/ and users/
            for d in dirs:
                os.rmdir(os.path.join(top, d))
        os.rmdir(path)


def summarise(times, base="/bin/true"):
    out = {name: stats.summary(v) for name, v in times.items()}
    return {name: dict(s, ratio=stats.ratio(s, out[base])) for name, s in out.items()}


def report(results, rounds):
    print(f"native launcher start, {rounds} alternating rounds, load {os.getloadavg()[0]:.2f}")
    for name, s in results.items():
        ms = [s[k] * 1000 for k in ("median", "p25", "p75")]
        print(f"  {name:<43}{ms[0]:7.2f} ms [{ms[1]:.2f}-{ms[2]:.2f}]  {s['ratio']:5.2f}x")
    v = results.get("cgspawn --version")
    if v:
        check = stats.check("cgspawn --version / /bin/true", v["ratio"], "<=", TARGET_VERSION)
        print(f"  target {check['name']} <= {TARGET_VERSION}: "
              f"{'met' if check['met'] else 'missed'}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cgspawn", required=True)
    p.add_argument("--baseline", help="another cgspawn to alternate with (before/after)")
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--json", help="also write the figures to this file")
    a = p.parse_args(argv)
    binaries = {"": os.path.abspath(a.cgspawn)}
    if a.baseline:
        binaries["baseline "] = os.path.abspath(a.baseline)
    with empty_root() as root:
        if root:
            subprocess.run([binaries[""], "init", "--cgroup-root", root], check=True,
                           capture_output=True)
        commands = {"/bin/true": Command(["/bin/true"])}
        for n, (tag, cgspawn) in enumerate(binaries.items()):
            commands[f"{tag}cgspawn --version"] = Command([cgspawn, "--version"])
            if root:
                commands[f"{tag}cgspawn status (missing unit)"] = Command(
                    [cgspawn, "status", "--cgroup-root", root, "bench-missing"])
                commands[f"{tag}cgspawn spawn (isolated /bin/true)"] = spawn_command(
                    cgspawn, root, f"bench-spawn-{n}")
        results = summarise(alternate(commands, a.rounds))
    report(results, a.rounds)
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"rounds": a.rounds, "load": os.getloadavg()[0], "results": results}, f,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
