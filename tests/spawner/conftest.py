"""Fixtures for the CgroupSpawner tests.

- A real JupyterHub 3.0 database from Debian's test fixtures
  (jupyterhub.tests.mocking.MockHub(...).init_db()), real orm.User rows and
  real jupyterhub.user.User objects; spawners are made the way the hub makes
  them (User._new_spawner), so get_env(), the API token, the OAuth client
  and the server URLs are JupyterHub's own.
- A fake `cgspawn`: a script set as launcher_path that records each call's
  argv and stdin to calls.jsonl and answers from behaviour.json.
- A fake passwd (pwd.getpwnam in the spawner module), so no Unix users or
  root are needed.
"""

import base64
import json
import os
import pwd
import stat
import sys
import textwrap
from pathlib import Path

import pytest

SPAWNER_SRC = Path(__file__).resolve().parents[2] / "spawner"
if str(SPAWNER_SRC) not in sys.path:
    sys.path.insert(0, str(SPAWNER_SRC))

from jupyterhub import orm  # noqa: E402
from jupyterhub.objects import Hub  # noqa: E402
from jupyterhub.roles import create_role, get_default_roles  # noqa: E402
from jupyterhub.tests.mocking import MockHub  # noqa: E402
from jupyterhub.user import User  # noqa: E402

import cgroupspawner.request as request_module  # noqa: E402
from cgroupspawner import CgroupSpawner  # noqa: E402
from cgroupspawner.launcher import decode_env_records  # noqa: E402
from cgroupspawner.preflight import Preflight  # noqa: E402

FAKE_USERS = {
    "alice": ("alice", "x", 1001, 1001, "Alice", "/home/alice", "/bin/zsh"),
    "bob": ("bob", "x", 1002, 1002, "Bob", "/home/bob", "/bin/sh"),
    "jh-alice": ("jh-alice", "x", 2001, 2001, "", "/srv/jh-alice", "/bin/bash"),
}


@pytest.fixture(scope="session")
def db():
    app = MockHub(db_url="sqlite:///:memory:")
    app.init_db()
    session = app.db
    for role in get_default_roles():
        create_role(session, role)
    session.commit()
    return session


@pytest.fixture(autouse=True)
def fake_passwd(monkeypatch):
    def getpwnam(name):
        if name in FAKE_USERS:
            return pwd.struct_passwd(FAKE_USERS[name])
        raise KeyError(name)

    monkeypatch.setattr(request_module.pwd, "getpwnam", getpwnam)


FAKE_LAUNCHER = textwrap.dedent(
    """\
    #!/usr/bin/python3
    # Fake cgspawn: records argv + stdin, answers from behaviour.json.
    import base64, json, os, sys, time
    here = os.path.dirname(os.path.abspath(__file__))
    data = sys.stdin.buffer.read()
    with open(os.path.join(here, "calls.jsonl"), "a") as f:
        f.write(json.dumps({"argv": sys.argv, "stdin": base64.b64encode(data).decode(),
                            "env": dict(os.environ), "pid": os.getpid(),
                            "t": time.monotonic()}) + "\\n")
    args = [a for a in sys.argv[1:]]
    sub = args[0] if args else ""
    path = os.path.join(here, "behaviour.json")
    with open(path) as f:
        behaviour = json.load(f)
    answers = behaviour.get(sub) or [{"rc": 0}]
    answer = answers[0]
    if len(answers) > 1:
        behaviour[sub] = answers[1:]
        with open(path, "w") as f:
            json.dump(behaviour, f)
    if answer.get("hang"):
        # a slow step (or one paused): answers after HANG s, and says when
        time.sleep(answer["hang"])
        with open(os.path.join(here, "finished.jsonl"), "a") as f:
            f.write(json.dumps({"sub": sub, "pid": os.getpid(), "t": time.monotonic()}) + "\\n")
    sys.stdout.write(answer.get("stdout", ""))
    sys.stderr.write(answer.get("stderr", ""))
    sys.stdout.flush()
    sys.stderr.flush()
    if answer.get("server"):
        # like a server started with --log-target stderr: it inherits our
        # stdout/stderr and outlives us
        import subprocess
        subprocess.Popen(["/bin/sh", "-c", answer["server"]], stdin=subprocess.DEVNULL)
    sys.exit(answer.get("rc", 0))
    """
)

FAKE_SUDO = textwrap.dedent(
    """\
    #!/usr/bin/python3
    # Fake sudo: records its argv, then runs the rest after "-n".
    import json, os, sys
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "sudo-calls.jsonl"), "a") as f:
        f.write(json.dumps(sys.argv[1:]) + "\\n")
    assert sys.argv[1] == "-n", sys.argv
    os.execv(sys.argv[2], sys.argv[2:])
    """
)


def status_json(state, unit="jupyter-alice-singleuser", **figures):
    """A `cgspawn status --json` answer in cgspawn's own shape."""
    if state == "absent":
        doc = {"unit": unit, "state": "absent", "pids": [], "oom_kill": 0}
        return {"rc": 3, "stdout": json.dumps(doc) + "\n"}
    doc = {
        "unit": unit,
        "slice": "",
        "path": f"/sys/fs/cgroup/system.slice/jupyterhub.service/users/{unit}",
        "state": state,
        "pids": [4242] if state == "running" else [],
        "memory_current": 1000,
        "memory_peak": 2000,
        "memory_max": "max",
        "memory_low": 0,
        "memory_swap_max": "max",
        "memory_events": {},
        "oom_kill": 0,
        "cpu_stat": {"usage_usec": 1},
        "cpu_max": "max 100000",
        "cpu_weight": 100,
        "pids_current": 1,
        "pids_max": "max",
    }
    doc.update(figures)
    return {"rc": 0 if state == "running" else 3, "stdout": json.dumps(doc) + "\n"}


# (id, check) of each finding of `cgspawn check --json`, in cgspawn's order.
CHECKS = [
    ("root", "cgroup root /sys/fs/cgroup/system.slice/jupyterhub.service"),
    ("delegation", "delegated by systemd (trusted.delegate on /sys/fs/cgroup/system.slice/jupyterhub.service)"),
    ("controller.memory", "memory controller enabled for units"),
    ("controller.cpu", "cpu controller enabled for units"),
    ("controller.pids", "pids controller enabled for units"),
    ("units", "create a unit cgroup"),
    ("limit.memory.max", "limit memory.max written and read back"),
    ("limit.memory.low", "limit memory.low written and read back"),
    ("limit.memory.swap.max", "limit memory.swap.max written and read back"),
    ("limit.cpu.max", "limit cpu.max written and read back"),
    ("limit.cpu.weight", "limit cpu.weight written and read back"),
    ("limit.pids.max", "limit pids.max written and read back"),
    ("isolation.move", "move a process into a unit cgroup"),
    ("isolation.mount_namespace", "private mount namespace with a fresh /tmp"),
    ("isolation.no_new_privs", "no_new_privs"),
    ("isolation.seccomp", "seccomp filter (keyctl answered EPERM)"),
]


def check_json(failed=(), rc=None, cgroup="/sys/fs/cgroup/system.slice/jupyterhub.service"):
    """A `cgspawn check --json` answer in cgspawn's own shape; FAILED:
    {id: (check, message, fix)} (an id not in CHECKS is added). A failed
    finding's check is its name without the ok line's tail, as cgspawn
    prints it ("limit memory.max", not "... written and read back")."""
    failed = dict(failed)
    checks = [{"id": i, "status": "ok", "check": n, "message": "", "fix": ""}
              for i, n in CHECKS if i not in failed]
    checks += [{"id": i, "status": "fail", "check": n, "message": m, "fix": f}
               for i, (n, m, f) in failed.items()]
    status = rc if rc is not None else 1 if failed else 0
    doc = {"verdict": "fail" if failed else "ok", "exit_status": status,
           "cgroup": cgroup, "checks": checks}
    return {"rc": status, "stdout": json.dumps(doc, indent=2) + "\n"}


class FakeLauncher:
    def __init__(self, directory):
        self.dir = Path(directory)
        self.path = self.dir / "cgspawn"
        self.path.write_text(FAKE_LAUNCHER)
        self.path.chmod(self.path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        self.behave()

    def behave(self, **answers):
        """answers: subcommand -> dict or list of dicts {rc, stdout, stderr}.

        Defaults: status -> absent, spawn -> prints a pid, check -> all ok,
        others -> 0.
        """
        behaviour = {
            "check": [check_json()],
            "status": [status_json("absent")],
            "spawn": [{"rc": 0, "stdout": "4242\n"}],
        }
        for sub, answer in answers.items():
            behaviour[sub] = answer if isinstance(answer, list) else [answer]
        (self.dir / "behaviour.json").write_text(json.dumps(behaviour))

    def calls(self, include_check=False):
        """The recorded calls; the preflight's `check` only with
        include_check (test_preflight.py tests it)."""
        log = self.dir / "calls.jsonl"
        if not log.exists():
            return []
        out = []
        for line in log.read_text().splitlines():
            rec = json.loads(line)
            rec["stdin"] = base64.b64decode(rec["stdin"])
            if include_check or rec["argv"][1:2] != ["check"]:
                out.append(rec)
        return out

    def finished(self):
        """The calls with "hang" that ran to their end: [{sub, pid, t}]."""
        log = self.dir / "finished.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def calls_of(self, sub):
        return [c for c in self.calls(include_check=True) if c["argv"][1:2] == [sub]]

    def spawn_call(self):
        spawns = self.calls_of("spawn")
        assert len(spawns) == 1, [c["argv"] for c in self.calls()]
        return spawns[0]

    def spawn_env(self):
        return decode_env_records(self.spawn_call()["stdin"])


@pytest.fixture(autouse=True)
def fresh_preflight():
    """Each test's spawners run their own `cgspawn check`."""
    Preflight.forget_all()
    yield
    Preflight.forget_all()


@pytest.fixture
def launcher(tmp_path):
    return FakeLauncher(tmp_path)


@pytest.fixture
def fake_sudo(tmp_path, monkeypatch):
    """Put a fake `sudo` first on the launcher's PATH."""
    bindir = tmp_path / "sudo-bin"
    bindir.mkdir()
    sudo = bindir / "sudo"
    sudo.write_text(FAKE_SUDO)
    sudo.chmod(0o755)
    import cgroupspawner.launcher as launcher_module

    monkeypatch.setitem(
        launcher_module.LAUNCHER_ENV,
        "PATH",
        f"{bindir}:{launcher_module.LAUNCHER_ENV['PATH']}",
    )

    def calls():
        log = bindir / "sudo-calls.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    return calls


@pytest.fixture
def make_spawner(db, launcher):
    """make_spawner(username='alice', server_name='', **traits) -> CgroupSpawner."""

    def make(username="alice", server_name="", **kwargs):
        orm_user = orm.User.find(db, username)
        if orm_user is None:
            orm_user = orm.User(name=username)
            db.add(orm_user)
            db.commit()
        user = User(orm_user, {})
        kwargs.setdefault("hub", Hub())
        kwargs.setdefault("launcher_path", str(launcher.path))
        kwargs.setdefault("oauth_client_id", f"jupyterhub-user-{username}")
        kwargs.setdefault("api_token", f"secret-token-{username}-{os.urandom(8).hex()}")
        spawner_class = kwargs.pop("spawner_class", CgroupSpawner)
        return user._new_spawner(server_name, spawner_class=spawner_class, **kwargs)

    return make
