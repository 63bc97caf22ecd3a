"""Shared by the guest benchmark parts: where things are, timed commands."""
import os
import subprocess
import time

CGSPAWN = "/usr/local/sbin/cgspawn"
# bench/run.sh --baseline: an earlier build, timed beside CGSPAWN.
BASELINE = "/usr/local/sbin/cgspawn-baseline"
# The delegated root: cgspawn-hub.service (Delegate=yes) runs hub.sh, which
# ran `cgspawn init` (so this process lives in D/hub).
D = "/sys/fs/cgroup/system.slice/cgspawn-hub.service"
RESULTS = os.environ.get("BENCH_RESULTS", "/payload/results")
# The isolation of the systemd-run line of shared/ENVIRONMENT.md, as cgspawn
# flags and as systemd-run properties (the same limits on both sides).
MEMORY_MAX = "512M"
TASKS_MAX = "512"
CGSPAWN_ISOLATION = [
    "--user", "nobody", "--memory-max", MEMORY_MAX, "--cpu-max", "1", "--tasks-max", TASKS_MAX,
    "--private-tmp", "--private-devices", "--read-only", "/",
]
SYSTEMD_ISOLATION = [
    "--uid=nobody", "-p", f"MemoryMax={MEMORY_MAX}", "-p", "CPUQuota=100%",
    "-p", f"TasksMax={TASKS_MAX}", "-p", "PrivateTmp=yes", "-p", "PrivateDevices=yes",
    "-p", "NoNewPrivileges=yes", "-p", "ReadOnlyPaths=/",
]
# What a hub passes on stdin: NUL-separated KEY=VALUE records.
SERVER_ENV = b"PATH=/usr/bin:/bin\0JUPYTERHUB_API_TOKEN=" + b"0" * 64 + b"\0"


def log(*args):
    print("bench:", *args, flush=True)


def cgspawn_spawn(unit, command, *, extra=(), records=SERVER_ENV, binary=CGSPAWN, **popen):
    """Popen of `cgspawn spawn` with the benchmark's isolation, and the
    environment RECORDS to write to its stdin."""
    argv = [binary, "spawn", "--cgroup-root", D, "--unit", unit, "--env-stdin",
            *CGSPAWN_ISOLATION, *extra, "--", *command]
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, **popen)
    return p, records


def communicate(p, records, timeout):
    """p.communicate(RECORDS); on any failure the launcher is killed, so it
    never waits on its stdin forever. Returns (stdout, stderr)."""
    try:
        return p.communicate(records, timeout=timeout)
    except BaseException:
        p.kill()
        p.wait()
        raise


def run_checked(argv, *, input=None, timeout=600, **kw):
    r = subprocess.run(argv, input=input, capture_output=True, timeout=timeout, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {r.returncode}: "
                           f"{r.stderr.decode(errors='replace').strip()}")
    return r


def unit_dirs():
    """Unit cgroups left under D/users (slices' units included)."""
    users = os.path.join(D, "users")
    found = []
    for root, dirs, _ in os.walk(users):
        found += [os.path.join(root, d) for d in dirs]
    return found


def wait_until(predicate, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def unpopulated(unit):
    try:
        with open(os.path.join(D, "users", unit, "cgroup.events")) as f:
            return "populated 0" in f.read()
    except FileNotFoundError:
        return True


def cgspawn_processes():
    """Pids whose executable is cgspawn (the launcher must not stay resident)."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{name}/exe") == CGSPAWN:
                pids.append(int(name))
        except OSError:
            continue
    return pids
