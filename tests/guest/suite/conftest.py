"""Fixtures of the cgspawn guest suite.

Runs as root inside cgspawn-hub.service (Delegate=yes) in the qemu guest; see
tests/guest/run.sh. The session fixture runs `cgspawn init`, so every unit is
spawned into the real layout D/users/NAME, D being the hub unit's cgroup.
"""
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time

import pytest

import contention

CGSPAWN = os.environ.get("CGSPAWN", "/payload/bin/cgspawn")
RESULTS = os.environ.get("CGSPAWN_RESULTS")
CGROOT = "/sys/fs/cgroup"
HELPERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers")
SERVER_PATH = "/usr/local/bin:/usr/bin:/bin"
TEST_USERS = ("alice", "bob", "carol", "jhub")


def own_cgroup(pid="self"):
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return line[3:].strip()
    raise AssertionError(f"/proc/{pid}/cgroup has no cgroup2 entry")


def read(path):
    with open(path) as f:
        return f.read()


def read_kv(path):
    """A flat-keyed cgroup file (cpu.stat, memory.events) as a dict of ints."""
    return {k: int(v) for k, v in (line.split() for line in read(path).splitlines())}


def wait_for(predicate, timeout, what, interval=0.25):
    """Poll until predicate() is truthy; return its value or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def pid_alive(pid):
    """True while /proc/PID exists and is not a zombie."""
    try:
        stat = read(f"/proc/{pid}/stat")
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def mount_points():
    return sorted(line.split()[4] for line in read("/proc/self/mountinfo").splitlines())


def user_pids(uids):
    """Live processes whose real, effective or saved uid is in `uids`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = read(f"/proc/{entry}/status")
        except OSError:
            continue
        m = re.search(r"^Uid:\s+(\d+)\s+(\d+)\s+(\d+)", status, re.M)
        if m and set(map(int, m.groups())) & set(uids) and pid_alive(entry):
            found.append(int(entry))
    return found


def run(argv, **kw):
    """Run a command, echo it and its result into the test's captured output."""
    kw.setdefault("timeout", 120)
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    print(f"$ {' '.join(argv)}\n-> exit {r.returncode}")
    for name, text in (("stdout", r.stdout), ("stderr", r.stderr)):
        if text.strip():
            print(f"   {name}: {text.rstrip()}")
    return r


def cgspawn(*args, **kw):
    return run([CGSPAWN, *args], **kw)


class Unit:
    """One spawned unit: its name, cgroup, and the server's stdout/stderr files."""

    def __init__(self, units, name):
        self.units = units
        self.name = name
        self.path = os.path.join(units.delegated, "users", name)
        self.out = os.path.join(units.tmpdir, f"{name}.out")
        self.err = os.path.join(units.tmpdir, f"{name}.err")
        self.spawn_rc = None

    def cg(self, filename):
        return read(os.path.join(self.path, filename)).strip()

    def pids(self):
        try:
            return [int(p) for p in self.cg("cgroup.procs").split()]
        except FileNotFoundError:
            return []

    def output(self):
        try:
            return read(self.out)
        except FileNotFoundError:
            return ""

    def wait_output(self, pattern, timeout=60):
        """Wait for a regex in the server's stdout; return the match."""
        return wait_for(lambda: re.search(pattern, self.output(), re.M), timeout,
                        f"{pattern!r} in the output of unit {self.name}")

    def status(self):
        r = cgspawn("status", self.name, "--json")
        assert r.returncode in (0, 3), f"status {self.name} failed: {r.stderr}"
        return json.loads(r.stdout)

    def stop(self, timeout=5):
        return cgspawn("stop", self.name, "--timeout", str(timeout))


class Units:
    """Spawns units for one test and stops every one of them afterwards."""

    def __init__(self, delegated, item):
        self.delegated = delegated
        self.item = item
        self.tmpdir = tempfile.mkdtemp(prefix="cgspawn-test-")
        os.chmod(self.tmpdir, 0o755)
        self.units = {}
        item.cg_units = self

    def spawn(self, name, cmd, *opts, user="alice", env=None, log_target="stderr",
              check=True, own_env=None, exact_name=False, timeout=120):
        """cgspawn spawn --unit NAME-XXXX --user USER --env-stdin OPTS -- CMD.

        A random suffix keeps names unique unless exact_name (a restart).
        The server environment (PATH plus `env`) goes in as NUL-separated
        records on stdin; the server's stdout/stderr go to files (read them
        with Unit.output()) unless log_target sends them to the journal.
        """
        unit = Unit(self, name if exact_name else f"{name}-{secrets.token_hex(2)}")
        self.units[unit.name] = unit
        records = {"PATH": SERVER_PATH, **(env or {})}
        data = b"".join(f"{k}={v}".encode() + b"\0" for k, v in records.items())
        argv = [CGSPAWN, "spawn", "--unit", unit.name, "--user", user, "--env-stdin",
                "--log-target", log_target, *opts, "--", *cmd]
        print(f"$ {' '.join(argv)}  (env: {', '.join(records)})")
        with open(unit.out, "wb") as out, open(unit.err, "wb") as err:
            r = subprocess.run(argv, input=data, stdout=out, stderr=err, timeout=timeout,
                               env=own_env if own_env is not None else os.environ)
        unit.spawn_rc = r.returncode
        print(f"-> exit {r.returncode}")
        if check:
            assert r.returncode == 0, (
                f"cgspawn spawn {unit.name} exited {r.returncode}: {read(unit.err).strip()}")
        return unit

    def cleanup(self):
        """Stop every unit; report (as a test error) any cgroup left behind."""
        left = []
        for unit in self.units.values():
            unit.stop(timeout=2)
            if os.path.exists(unit.path):
                left.append(unit.path)
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        assert not left, f"cgroups left after `cgspawn stop`: {left}"


@pytest.fixture(scope="session")
def delegated():
    """`cgspawn init` in the hub unit's cgroup D; returns D's path."""
    rel = own_cgroup()
    if rel.endswith("/hub"):
        rel = rel[: -len("/hub")]
    assert rel.endswith("/cgspawn-hub.service"), (
        f"the suite must run as the main process of cgspawn-hub.service, runs in {rel}")
    r = cgspawn("init")
    assert r.returncode == 0, f"cgspawn init failed ({r.returncode}): {r.stderr}"
    return CGROOT + rel


@pytest.fixture(scope="session", autouse=True)
def mounts_at_start():
    return mount_points()


@pytest.fixture(scope="session", autouse=True)
def speed_at_start():
    """The guest's speed before any test loads it (contention.py)."""
    return contention.baseline()


@pytest.fixture
def cg(delegated, request):
    units = Units(delegated, request.node)
    yield units
    units.cleanup()


def pytest_runtest_setup(item):
    item.cg_started = time.time() - 1


def _journal(args, since):
    r = subprocess.run(["journalctl", "--no-pager", "-o", "short-precise",
                        "--since", f"@{int(since)}", *args],
                       capture_output=True, text=True, timeout=60)
    return (r.stdout + r.stderr).strip() or "(no entries)"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach, to a failing test's report, the journal since the test started
    (per unit: `journalctl -t UNIT` and CGSPAWN_UNIT=UNIT), the kernel's lines
    and each unit's own stdout/stderr files."""
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed or not hasattr(item, "cg_started"):
        return
    since = item.cg_started
    subprocess.run(["journalctl", "--sync"], timeout=30, check=False)
    units = getattr(item, "cg_units", None)
    for unit in (units.units.values() if units else ()):
        rep.sections.append((f"journalctl -t {unit.name}", _journal(["-t", unit.name], since)))
        rep.sections.append((f"journalctl CGSPAWN_UNIT={unit.name}",
                             _journal([f"CGSPAWN_UNIT={unit.name}"], since)))
        for label, path in (("stdout", unit.out), ("stderr", unit.err)):
            try:
                text = read(path).strip()
            except OSError:
                continue
            if text:
                rep.sections.append((f"{unit.name} {label} file", text[-8000:]))
    rep.sections.append(("journalctl -k (kernel)", _journal(["-k"], since)))


MEASUREMENTS = []


def pytest_runtest_logreport(report):
    """Collect what tests recorded with record_property (also in junit.xml)."""
    if report.when == "call":
        MEASUREMENTS.extend((report.nodeid.split("::")[-1], k, v) for k, v in report.user_properties)


def pytest_terminal_summary(terminalreporter):
    if MEASUREMENTS:
        terminalreporter.section("measurements")
        for test, key, value in MEASUREMENTS:
            terminalreporter.write_line(f"{test}: {key} = {value}")


def pytest_sessionfinish(session, exitstatus):
    if RESULTS:
        with open(os.path.join(RESULTS, "pytest-rc"), "w") as f:
            f.write(f"{int(exitstatus)}\n")
