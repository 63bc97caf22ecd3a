"""Sudo mode (issue 9): the hub runs as the unprivileged jhub, whose sudoers
rule grants all of /usr/local/sbin/cgspawn on purpose, so what bounds it is
cgspawn's own policy, /etc/cgspawn/policy.json.

Every refusal must exit 4 with one line naming the rule ("refused by policy
(RULE)"), create no unit cgroup and run no process; several also check the
journald audit record (CGSPAWN_AUDIT=refused). Each refused spawn of the
table is otherwise valid: test_rule_is_what_refuses runs a sample of them
again under a policy that allows that one thing and sees them succeed.
"""
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from types import SimpleNamespace

import pytest

from conftest import (CGROOT, CGSPAWN, SERVER_PATH, Unit, cgspawn, own_cgroup, pid_alive, read,
                      run, wait_for)

HUB_USER = "jhub"
POLICY_DIR = "/etc/cgspawn"
POLICY = f"{POLICY_DIR}/policy.json"
REFUSED = 4
LIMITS = ["--memory-max", "256M", "--cpu-max", "1", "--tasks-max", "100"]


def base_policy(delegated):
    return {
        "cgroup_root": delegated,
        "commands": ["/usr/bin/sleep", "/usr/bin/jupyterhub-singleuser"],
        "users": {"group": "jupyterhub-users", "uid_min": 1000, "uid_max": 59999},
        "read_write_prefixes": ["/home"],
        "max_memory": "512M",
        "max_cpu": 1,
        "max_tasks": 200,
    }


def write_policy(policy):
    """As an admin would: root:root, 0644 in a 0755 directory, with a comment."""
    os.makedirs(POLICY_DIR, mode=0o755, exist_ok=True)
    os.chmod(POLICY_DIR, 0o755)
    tmp = f"{POLICY}.tmp"
    with open(tmp, "w") as f:
        f.write("// written by tests/guest/suite/test_sudo_policy.py\n")
        json.dump(policy, f, indent=2)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.rename(tmp, POLICY)
    print(f"policy: {json.dumps(policy)}")


@pytest.fixture
def policy(delegated):
    """Writes the policy; .write(**overrides) replaces it. Removed afterwards,
    with /etc/cgspawn, whatever happened."""
    assert not os.path.lexists(POLICY_DIR), f"{POLICY_DIR} exists before the test: a leak"

    def write(**overrides):
        p = {**base_policy(delegated), **overrides}
        write_policy({k: v for k, v in p.items() if v is not None})

    write()
    try:
        yield SimpleNamespace(write=write)
    finally:
        shutil.rmtree(POLICY_DIR, ignore_errors=True)


def records(env):
    return b"".join(f"{k}={v}".encode() + b"\0" for k, v in env.items())


def hub_cgspawn(*args, env=None, timeout=120):
    """`sudo -n cgspawn ARGS` as the hub user; ENV as NUL records on stdin.

    Output goes to files, not pipes: a server that wrongly got started would
    otherwise hold them open."""
    argv = ["runuser", "-u", HUB_USER, "--", "sudo", "-n", CGSPAWN, *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        r = subprocess.run(argv, input=records(env) if env is not None else b"", stdout=out,
                           stderr=err, timeout=timeout, cwd="/")
        out.seek(0)
        err.seek(0)
        res = SimpleNamespace(returncode=r.returncode, stdout=out.read().decode(errors="replace"),
                              stderr=err.read().decode(errors="replace"))
    print(f"$ {' '.join(argv)}  (env: {', '.join(env or {})})\n-> exit {res.returncode}")
    for name in ("stdout", "stderr"):
        if getattr(res, name).strip():
            print(f"   {name}: {getattr(res, name).rstrip()}")
    return res


def spawn_args(unit, user, opts, cmd):
    return ["spawn", "--unit", unit, "--user", user, "--env-stdin", "--log-target", "journal",
            *opts, "--", *cmd]


def unit_dirs(delegated):
    """Every cgroup below D/users (units and slices)."""
    users = os.path.join(delegated, "users")
    return sorted(root for root, _, _ in os.walk(users) if root != users)


def procs_with(token):
    """Live processes whose command line contains TOKEN."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                cmdline = read(f"/proc/{entry}/cmdline").replace("\0", " ")
            except OSError:
                continue
            if token in cmdline and pid_alive(entry):
                found.append((int(entry), cmdline))
    return found


def assert_refused(r, rule):
    assert r.returncode == REFUSED, (
        f"expected exit {REFUSED} (refused by policy, rule {rule}), got {r.returncode}: "
        f"{r.stderr.strip()}")
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, f"the refusal is not one line: {lines}"
    assert re.match(rf"^cgspawn: error: refused by policy \({rule}\): \S", lines[0]), (
        f"the line does not name the rule {rule!r}: {lines[0]!r}")
    assert r.stdout == "", f"a refused call printed on stdout: {r.stdout!r}"


def audit_records(since, marker):
    """journald records CGSPAWN_AUDIT=refused since SINCE whose request holds MARKER."""
    subprocess.run(["journalctl", "--sync"], timeout=60, check=False)
    r = subprocess.run(["journalctl", "--no-pager", "-o", "json", "--since", f"@{int(since) - 1}",
                        "CGSPAWN_AUDIT=refused"], capture_output=True, text=True, timeout=60)
    found = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    return [x for x in found if marker in x.get("CGSPAWN_REQUEST", "")]


def assert_audited(since, marker, rule):
    recs = wait_for(lambda: audit_records(since, marker), 20,
                    f"a CGSPAWN_AUDIT=refused journal record whose request holds {marker!r}")
    rec = recs[-1]
    print(f"audit record: { {k: v for k, v in rec.items() if k.startswith('CGSPAWN_')} }")
    assert rec.get("CGSPAWN_CALLER") == HUB_USER, rec
    assert re.fullmatch(rule, rec.get("CGSPAWN_RULE", "")), rec


@pytest.fixture
def tricks():
    """Caller-made paths that resolve to allowed ones: /tmp/cgspawn-link-X ->
    /usr/bin/sleep (an allowed command) and /home/cgspawn-rw-X -> /etc (a
    read-write path below the allowed prefix /home, pointing outside it)."""
    tag = secrets.token_hex(3)
    paths = {"link": f"/tmp/cgspawn-link-{tag}", "rwlink": f"/home/cgspawn-rw-{tag}"}
    os.symlink("/usr/bin/sleep", paths["link"])
    os.symlink("/etc", paths["rwlink"])
    try:
        yield paths
    finally:
        for p in paths.values():
            os.unlink(p)


def case(id, rule, *opts, user="alice", cmd=("/usr/bin/sleep", "{t}"), limits=LIMITS,
         allow=None, audit=False):
    """One refused spawn. {t}: a unique sleep duration (finds a leaked process);
    {link}/{rwlink}: the `tricks` paths; {D}: the delegated root. ALLOW: policy
    overrides under which the same request must succeed (the control)."""
    return pytest.param(user, [*limits, *opts], list(cmd), rule, allow, audit, id=id)


SH = ("/bin/sh", "-c", "exec /usr/bin/sleep {t}")
REFUSED_SPAWNS = [
    # whom the server runs as
    case("root", "users", user="root", audit=True),
    case("root-allow-root", "users", "--allow-root", user="root", audit=True),
    case("carol-not-in-group", "users", user="carol", audit=True,
         allow={"users": {"uid_min": 1000, "uid_max": 59999}}),
    case("hub-user-itself", "users", user=HUB_USER),
    case("nobody-outside-uid-range", "users", user="nobody"),
    # what it runs: exact, absolute paths only
    case("bin-sh", "commands", cmd=SH, audit=True,
         allow={"commands": ["/usr/bin/sleep", "/bin/sh"]}),
    case("dotdot-to-neighbour", "commands", cmd=("/usr/bin/../bin/sh", "-c", "exec sleep {t}")),
    case("dotdot-to-allowed", "commands", cmd=("/usr/bin/../../usr/bin/sleep", "{t}")),
    case("dot-in-path", "commands", cmd=("/usr/bin/./sleep", "{t}")),
    case("double-slash", "commands", cmd=("/usr/bin//sleep", "{t}")),
    case("merged-usr-alias", "commands", cmd=("/bin/sleep", "{t}")),
    case("bare-name-path-search", "commands", cmd=("sleep", "{t}")),
    case("symlink-to-allowed", "commands", cmd=("{link}", "{t}")),
    # flags
    case("allow-new-privileges", "allow_new_privileges", "--allow-new-privileges", audit=True,
         allow={"allow_new_privileges": True}),
    case("allow-root-for-alice", "allow_root", "--allow-root", allow={"allow_root": True}),
    case("device-vda", "devices", "--private-devices", "--device", "/dev/vda",
         allow={"devices": ["/dev/vda"]}),
    case("seccomp-none", "allow_seccomp_none", "--seccomp", "none",
         allow={"allow_seccomp_none": True}),
    case("read-write-etc", "read_write_prefixes", "--read-write", "/etc",
         allow={"read_write_prefixes": ["/home", "/etc"]}),
    case("read-write-symlink-out-of-home", "read_write_prefixes", "--read-write", "{rwlink}"),
    case("property-not-listed", "properties", "--property", "memory.high=100M",
         allow={"properties": ["memory.high"]}),
    # ceilings (512M, 1 CPU, 200 tasks)
    case("memory-above-ceiling", "max_memory", "--memory-max", "1G", "--cpu-max", "1",
         "--tasks-max", "100", limits=(), audit=True, allow={"max_memory": "2G"}),
    case("memory-max-max", "max_memory", "--memory-max", "max", "--cpu-max", "1",
         "--tasks-max", "100", limits=()),
    case("memory-missing", "max_memory", "--cpu-max", "1", "--tasks-max", "100", limits=(),
         allow={"max_memory": None}),
    case("cpu-above-ceiling", "max_cpu", "--memory-max", "256M", "--cpu-max", "2",
         "--tasks-max", "100", limits=()),
    case("tasks-missing", "max_tasks", "--memory-max", "256M", "--cpu-max", "1", limits=()),
    # where
    case("cgroup-root-system-slice", "cgroup_root", "--cgroup-root",
         f"{CGROOT}/system.slice", audit=True),
    case("cgroup-root-dotdot", "cgroup_root", "--cgroup-root", "{D}/.."),
    case("cgroup-root-hierarchy-root", "cgroup_root", "--cgroup-root", CGROOT),
]


def attempt_spawn(cg, delegated, tricks, user, opts, cmd):
    """Run one spawn as the hub; return (result, unit name, token)."""
    token = f"{600 + secrets.randbelow(1000)}.{secrets.randbelow(10**6):06d}"
    fmt = {"t": token, "D": delegated, **tricks}
    opts = [o.format(**fmt) for o in opts]
    cmd = [c.format(**fmt) for c in cmd]
    name = f"pol-{secrets.token_hex(4)}"
    r = hub_cgspawn(*spawn_args(name, user, opts, cmd), env={"PATH": SERVER_PATH})
    unit = Unit(cg, name)
    if os.path.exists(unit.path):
        cg.units[name] = unit  # stopped by the `cg` fixture
    return r, unit, token


@pytest.mark.parametrize("user,opts,cmd,rule,allow,audit", REFUSED_SPAWNS)
def test_spawn_refused(cg, delegated, policy, tricks, user, opts, cmd, rule, allow, audit):
    before = unit_dirs(delegated)
    since = time.time()
    r, unit, token = attempt_spawn(cg, delegated, tricks, user, opts, cmd)
    if os.path.exists(unit.path):
        got = {f: unit.cg(f) for f in ("memory.max", "cpu.max", "pids.max")}
        pytest.fail(f"not refused (exit {r.returncode}): {unit.path} runs with {got}")
    assert unit_dirs(delegated) == before, "a refused spawn changed the cgroups under D/users"
    assert not procs_with(token), f"a refused spawn runs: {procs_with(token)}"
    assert_refused(r, rule)
    if audit:
        assert_audited(since, unit.name, rule)


CONTROLS = [p for p in REFUSED_SPAWNS if p.values[4] is not None]


@pytest.mark.parametrize("user,opts,cmd,rule,allow,audit", CONTROLS)
def test_rule_is_what_refuses(cg, delegated, policy, tricks, user, opts, cmd, rule, allow, audit):
    """The control of test_spawn_refused: with the one rule relaxed, the same
    request starts its server, so the refusal came from that rule."""
    policy.write(**allow)
    r, unit, token = attempt_spawn(cg, delegated, tricks, user, opts, cmd)
    assert r.returncode == 0, (
        f"relaxing {rule} ({allow}) did not let the request through: {r.stderr.strip()}")
    assert procs_with(token), "the server of the allowed request is not running"
    assert cg.units[unit.name].pids(), f"no process in {unit.path}"


def test_legitimate_spawn_drops_loader_variables(cg, delegated, policy):
    """The allowed request works through sudo; the loader/interpreter variables
    the policy always drops do not reach the server, an ordinary one does."""
    name = f"pol-ok-{secrets.token_hex(4)}"
    cg.units[name] = Unit(cg, name)  # stopped by the fixture if the test fails
    dropped = {"LD_PRELOAD": "/tmp/x.so", "LD_LIBRARY_PATH": "/tmp", "PYTHONPATH": "/tmp",
               "PYTHONUSERBASE": "/tmp", "PYTHONWARNINGS": "ignore::evil.W",
               "PYTHONPYCACHEPREFIX": "/tmp", "PS4": "$(id)", "SHELLOPTS": "xtrace"}
    # (BASH_FUNC_ls%% is dropped too, but its key is not a valid record key:
    # cgspawn refuses such a request outright, policy_test.cpp covers it.)
    env = {"PATH": SERVER_PATH, "MARKER": "1", **dropped}
    r = hub_cgspawn(*spawn_args(name, "alice", ["--memory-max", "256M", "--cpu-max", "1",
                                                "--tasks-max", "100"],
                                ["/usr/bin/sleep", "600"]), env=env)
    assert r.returncode == 0, f"the allowed spawn failed ({r.returncode}): {r.stderr.strip()}"
    pid = int(r.stdout.strip())
    unit = cg.units[name]
    assert own_cgroup(pid) == unit.path[len(CGROOT):], f"server {pid} is not in {unit.path}"
    uids = re.search(r"^Uid:\s+(.*)$", read(f"/proc/{pid}/status"), re.M).group(1).split()
    assert uids == ["1000"] * 4, f"server runs with uids {uids}, not alice's"
    assert unit.cg("memory.max") == str(256 << 20)
    assert unit.cg("pids.max") == "100"
    assert unit.cg("cpu.max") == "100000 100000"

    environ = dict(kv.split("=", 1) for kv in read(f"/proc/{pid}/environ").split("\0") if kv)
    assert environ.get("MARKER") == "1", f"an ordinary variable was lost: {sorted(environ)}"
    leaked = set(dropped) & set(environ)
    assert not leaked, f"the server sees {leaked}"

    r = hub_cgspawn("status", name, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["state"] == "running", r.stderr
    r = hub_cgspawn("stop", name, "--timeout", "5")
    assert r.returncode == 0, f"the hub could not stop its own unit: {r.stderr.strip()}"
    assert not os.path.exists(unit.path)
    wait_for(lambda: not pid_alive(pid), 15, f"server {pid} to exit")


@pytest.fixture(scope="module")
def decoy(delegated):
    """A running unit of another delegated root E (a transient Delegate=yes
    service), made by root before any policy exists."""
    assert not os.path.lexists(POLICY), "the decoy must be made without a policy"
    tag = secrets.token_hex(3)
    svc = f"cgspawn-decoy-{tag}.service"
    root = f"{CGROOT}/system.slice/{svc}"
    name = f"decoy-{tag}"
    r = run(["systemd-run", "--unit", svc, "--property=Delegate=yes", "--property=Type=exec",
             "/usr/bin/sleep", "900"])
    assert r.returncode == 0, r.stderr
    try:
        wait_for(lambda: os.path.isdir(root), 30, f"{root}")
        assert cgspawn("init", "--cgroup-root", root).returncode == 0
        r = cgspawn("spawn", "--cgroup-root", root, "--unit", name, "--user", "bob",
                    "--log-target", "journal", "--", "/usr/bin/sleep", "900")
        assert r.returncode == 0, r.stderr
        yield SimpleNamespace(root=root, name=name, path=f"{root}/users/{name}",
                              pid=int(r.stdout.strip()))
    finally:
        cgspawn("stop", name, "--cgroup-root", root, "--timeout", "2")
        run(["systemctl", "stop", svc])
        run(["systemctl", "reset-failed", svc])
        wait_for(lambda: not os.path.exists(root), 30, f"{root} to go")


def assert_decoy_alive(decoy):
    assert os.path.isdir(decoy.path), f"the decoy unit {decoy.path} was removed"
    assert pid_alive(decoy.pid) and str(decoy.pid) in read(f"{decoy.path}/cgroup.procs").split(), (
        f"the decoy server {decoy.pid} was killed or moved")


@pytest.mark.parametrize("sub", ["stop", "status", "cleanup", "list"])
def test_other_root_is_refused(policy, decoy, sub):
    """stop/status/cleanup/list act only under the allowed root."""
    since = time.time()
    args = [sub] if sub == "list" else [sub, decoy.name]
    r = hub_cgspawn(*args, "--cgroup-root", decoy.root)
    assert_refused(r, "cgroup_root")
    assert_decoy_alive(decoy)
    if sub == "stop":
        assert_audited(since, f"stop {decoy.name}", "cgroup_root")


def test_stop_by_name_stays_in_own_root(policy, decoy):
    """Without --cgroup-root the name is looked up under D only: the decoy of
    the same name elsewhere survives."""
    r = hub_cgspawn("stop", decoy.name, "--timeout", "2")
    assert r.returncode == 0, r.stderr  # absent in D: stop is idempotent
    assert_decoy_alive(decoy)


def test_init_is_refused(delegated, policy):
    before = read(f"{delegated}/cgroup.subtree_control")
    assert_refused(hub_cgspawn("init"), "init")
    assert read(f"{delegated}/cgroup.subtree_control") == before


def legit_spawn(cg, name):
    cg.units[name] = Unit(cg, name)
    return hub_cgspawn(*spawn_args(name, "alice", LIMITS, ["/usr/bin/sleep", "600"]),
                       env={"PATH": SERVER_PATH})


def make_unsafe(how):
    if how == "file-group-writable":
        os.chmod(POLICY, 0o664)
    elif how == "file-world-writable":
        os.chmod(POLICY, 0o646)
    elif how == "file-owned-by-hub":
        shutil.chown(POLICY, HUB_USER)
    elif how == "dir-group-writable":
        os.chmod(POLICY_DIR, 0o775)
    elif how == "file-is-symlink":
        os.rename(POLICY, f"{POLICY_DIR}/real.json")
        os.symlink("real.json", POLICY)


@pytest.mark.parametrize("how", ["file-group-writable", "file-world-writable",
                                 "file-owned-by-hub", "dir-group-writable", "file-is-symlink"])
def test_unsafe_policy_file_refuses_everything(cg, delegated, policy, how):
    """If anyone but root could write the policy, cgspawn refuses to run at all."""
    make_unsafe(how)
    before = unit_dirs(delegated)
    since = time.time()
    name = f"pol-unsafe-{secrets.token_hex(4)}"
    r = legit_spawn(cg, name)
    assert_refused(r, "policy file")
    assert re.search(rf"{POLICY_DIR}\b", r.stderr), f"the message does not name the file: {r.stderr}"
    assert unit_dirs(delegated) == before
    assert_refused(hub_cgspawn("list"), "policy file")
    if how == "file-group-writable":
        assert_audited(since, name, "policy file")


def test_missing_policy_refuses_sudo(cg, delegated):
    assert not os.path.lexists(POLICY)
    before = unit_dirs(delegated)
    name = f"pol-none-{secrets.token_hex(4)}"
    r = legit_spawn(cg, name)
    assert_refused(r, "policy file")
    assert POLICY in r.stderr
    assert unit_dirs(delegated) == before
    assert_refused(hub_cgspawn("status", name), "policy file")


# The ceilings cannot be dodged through --property, which would write the
# file verbatim: a typed limit file is only ever set through its flag, for
# every caller, so these are bad requests (exit 2) before any policy check.
@pytest.mark.parametrize("prop,limits", [
    ("memory.max=100G", ("--cpu-max", "1", "--tasks-max", "100")),
    ("cpu.max=100000 1000", ("--memory-max", "256M", "--tasks-max", "100")),
    ("pids.max=0x100000", ("--memory-max", "256M", "--cpu-max", "1")),
], ids=["memory-max-suffix", "cpu-max-short-period", "pids-max-hex"])
def test_typed_limit_through_property_is_rejected(cg, delegated, policy, tricks, prop, limits):
    before = unit_dirs(delegated)
    r, unit, token = attempt_spawn(cg, delegated, tricks, "alice", ("--property", prop, *limits),
                                   ("/usr/bin/sleep", "{t}"))
    assert not os.path.exists(unit.path), f"--property {prop} created {unit.path}"
    assert unit_dirs(delegated) == before
    assert not procs_with(token), f"it runs: {procs_with(token)}"
    assert r.returncode == 2, f"expected a bad request (2), got {r.returncode}: {r.stderr}"
    assert "use that flag" in r.stderr, r.stderr


# Dynamic users through sudo (issue 13, findings 8 and 10). They live in the
# default state directory, the only one a policy allows.
DYN_STATE = "/var/lib/cgspawn"


@pytest.fixture
def dyn_state():
    """The default dynamic-user state; what a test adds to it (names, uids,
    homes) is removed afterwards, and the directory too if it was new."""
    existed = os.path.isdir(DYN_STATE)

    def entries():
        return {d: set(os.listdir(f"{DYN_STATE}/{d}")) if os.path.isdir(f"{DYN_STATE}/{d}")
                else set() for d in ("dynamic-users/name", "dynamic-users/uid", "home")}

    before = entries()
    state = SimpleNamespace(entries=entries, path=DYN_STATE)
    try:
        yield state
    finally:
        if not existed:
            shutil.rmtree(DYN_STATE, ignore_errors=True)
        else:
            for d, names in entries().items():
                for n in names - before[d]:
                    p = f"{DYN_STATE}/{d}/{n}"
                    shutil.rmtree(p) if os.path.isdir(p) else os.unlink(p)


def map_by_hand(name, uid):
    """What an earlier spawn (say under a wider policy) recorded: NAME -> UID."""
    for d, mode in ((DYN_STATE, 0o755), (f"{DYN_STATE}/dynamic-users", 0o700),
                    (f"{DYN_STATE}/dynamic-users/name", 0o700),
                    (f"{DYN_STATE}/dynamic-users/uid", 0o700)):
        os.makedirs(d, mode=mode, exist_ok=True)
    with open(f"{DYN_STATE}/dynamic-users/uid/{uid}", "x") as f:
        f.write(f"{name}\n")
    with open(f"{DYN_STATE}/dynamic-users/name/{name}", "x") as f:
        f.write(f"{uid}\n")


DYN_POLICY = {"allow_dynamic_users": True, "users": {"uid_min": 1000, "uid_max": 29999}}


def dyn_spawn(name, user, *opts):
    return hub_cgspawn(*spawn_args(name, user, [*LIMITS, "--dynamic-user", *opts],
                                   ["/usr/bin/sleep", "600"]), env={"PATH": SERVER_PATH})


def test_refused_dynamic_user_creates_nothing(cg, delegated, policy, dyn_state):
    """Finding 8: a name mapped earlier to a uid outside the policy's bounds is
    refused without its home being created (and no record changes)."""
    policy.write(**DYN_POLICY)
    user = f"dynref{secrets.token_hex(3)}"
    map_by_hand(user, 30000 + secrets.randbelow(9000))
    before, dirs = dyn_state.entries(), unit_dirs(delegated)
    name = f"pol-dyn-{secrets.token_hex(3)}"
    r = dyn_spawn(name, user)
    cg.units[name] = Unit(cg, name)
    assert_refused(r, "users")
    assert "outside the allowed uid range 1000-29999" in r.stderr, r.stderr
    assert not os.path.lexists(f"{DYN_STATE}/home/{user}"), "the refused spawn created the home"
    assert dyn_state.entries() == before, "the refused spawn changed the mapping"
    assert unit_dirs(delegated) == dirs


def test_the_policy_owns_the_dynamic_user_range(cg, delegated, policy, dyn_state):
    """Finding 10: the hub cannot pick the exact uid with --dynamic-user-range
    N-N; the range used is the policy's dynamic_user_range."""
    policy.write(**DYN_POLICY, dynamic_user_range="29990-29999")
    user = f"dynrng{secrets.token_hex(3)}"
    before = dyn_state.entries()
    for asked in ("29995-29995", "20000-29999"):
        name = f"pol-dyn-{secrets.token_hex(3)}"
        since = time.time()
        r = dyn_spawn(name, user, "--dynamic-user-range", asked)
        cg.units[name] = Unit(cg, name)
        assert_refused(r, "dynamic_user_range")
        assert "the policy sets the range (29990-29999)" in r.stderr, r.stderr
        assert dyn_state.entries() == before, f"--dynamic-user-range {asked} recorded something"
    assert_audited(since, name, "dynamic_user_range")
    name = f"pol-dyn-{secrets.token_hex(3)}"
    cg.units[name] = Unit(cg, name)
    r = dyn_spawn(name, user)
    assert r.returncode == 0, r.stderr
    pid = int(r.stdout.strip())
    uid = int(re.search(r"^Uid:\s+(\d+)", read(f"/proc/{pid}/status"), re.M).group(1))
    assert 29990 <= uid <= 29999, f"the dynamic user got uid {uid}, outside the policy's range"
    assert read(f"{DYN_STATE}/dynamic-users/name/{user}").strip() == str(uid)


@pytest.mark.parametrize("bad", ["50000-70000", "20000", "20000-40000"])
def test_bad_dynamic_user_range_in_the_policy_refuses_everything(cg, delegated, policy, bad):
    """Validated at load: malformed, overlapping systemd's range, or beyond
    the uid bounds (here 1000-29999), the policy file is refused."""
    policy.write(**DYN_POLICY, dynamic_user_range=bad)
    r = hub_cgspawn("list")
    assert_refused(r, "policy file")
    assert "dynamic_user_range" in r.stderr, r.stderr


# Finding 11: paths are judged with the hub user's rights, so the answers say
# nothing of what it cannot see (/root is 0700).
@pytest.fixture
def hidden():
    tag = secrets.token_hex(3)
    d = f"/root/cgspawn-hidden-{tag}"
    secret = f"/tmp/cgspawn-secret-{tag}"
    os.makedirs(f"{d}/dir")
    os.makedirs(secret)
    os.symlink(secret, f"{d}/link")
    shutil.copy("/bin/true", f"{d}/shell")
    os.chmod(f"{d}/shell", 0o755)
    try:
        yield SimpleNamespace(dir=d, tag=tag)
    finally:
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(secret, ignore_errors=True)


def pol_spawn(cg, *opts, user="alice"):
    name = f"pol-path-{secrets.token_hex(3)}"
    cg.units[name] = Unit(cg, name)
    return hub_cgspawn(*spawn_args(name, user, [*LIMITS, *opts], ["/usr/bin/sleep", "600"]),
                       env={"PATH": SERVER_PATH})


@pytest.mark.parametrize("flag", ["--read-only", "--read-write"])
def test_hidden_and_missing_paths_look_the_same(cg, delegated, policy, hidden, flag):
    before = unit_dirs(delegated)
    answers = {}
    for what in ("dir", "nothing"):
        path = f"{hidden.dir}/{what}"
        r = pol_spawn(cg, flag, path)
        assert_refused(r, "paths")
        answers[what] = r.stderr.replace(path, "PATH")
    assert answers["dir"] == answers["nothing"], f"the answers tell existence apart: {answers}"
    assert unit_dirs(delegated) == before


def test_a_hidden_symlink_target_is_not_shown(cg, policy, hidden):
    r = pol_spawn(cg, "--private-tmp", "--read-only", f"{hidden.dir}/link")
    assert_refused(r, "paths")
    assert f"cgspawn-secret-{hidden.tag}" not in r.stderr, f"the target shows: {r.stderr}"


def test_dynamic_user_shell_is_judged_as_the_hub(cg, policy, hidden, dyn_state):
    policy.write(**DYN_POLICY)
    answers = {}
    for what in ("shell", "noshell"):
        shell = f"{hidden.dir}/{what}"
        r = pol_spawn(cg, "--dynamic-user", "--dynamic-user-shell", shell,
                      user=f"dynsh{secrets.token_hex(3)}")
        assert_refused(r, "paths")
        answers[what] = r.stderr.replace(shell, "PATH")
    assert answers["shell"] == answers["noshell"], answers


def test_paths_the_hub_can_see_still_work(cg, policy):
    r = pol_spawn(cg, "--private-tmp", "--read-only", "/usr", "--read-write", "/home")
    assert r.returncode == 0, r.stderr
