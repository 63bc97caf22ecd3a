"""kernel-check (issue 5) on a real systemd host: check-kernel.sh and
`cgspawn check` pass under the Delegate=yes hub unit and FAIL, naming
Delegate=yes, on the cgroup of a unit without it."""
import json
import os
import re
import secrets

import pytest

from conftest import CGROOT, cgspawn, read, run, wait_for

SCRIPT = os.environ.get("CHECK_KERNEL", "/payload/bin/check-kernel.sh")
LINE = re.compile(r"^(ok  |warn|FAIL) (.*)$")
# warn lines the healthy guest may keep, with the reason (none so far).
EXPECTED_WARNS = {}


def script(*args):
    return run([SCRIPT, *args], timeout=180)


def check_lines(stdout):
    """The ok/warn/FAIL lines as (status, text); the summary line apart."""
    lines, summary = [], None
    for line in stdout.splitlines():
        if line.startswith("-- "):
            summary = line
            continue
        m = LINE.match(line)
        assert m, f"unexpected output line: {line!r}"
        lines.append((m.group(1).strip(), m.group(2)))
    return lines, summary


def json_line(c):
    """The text line check-kernel.sh prints for one --json check."""
    text = c["check"] + (f": {c['message']}" if c["message"] else "") + (
        f"; {c['fix']}" if c["fix"] else "")
    return ({"ok": "ok", "warn": "warn", "fail": "FAIL"}[c["status"]], text)


def assert_json_matches(text_run, json_run, cgroup):
    lines, _ = check_lines(text_run.stdout)
    doc = json.loads(json_run.stdout)
    assert json_run.returncode == text_run.returncode == doc["exit_status"]
    assert doc["cgroup"] == cgroup
    assert [json_line(c) for c in doc["checks"]] == lines, "--json and the text output differ"
    statuses = {s for s, _ in lines}
    assert doc["verdict"] == ("fail" if "FAIL" in statuses else
                              "warn" if "warn" in statuses else "ok")
    return doc


def find(lines, status, prefix):
    hits = [t for s, t in lines if s == status and t.startswith(prefix)]
    assert hits, f"no {status!r} line starting {prefix!r} in {lines}"
    return hits[0]


@pytest.mark.parametrize("args", [["--cgroup", "{D}"], []], ids=["cgroup-D", "default"])
def test_script_passes_under_delegated_hub(delegated, args):
    """Default: the caller's cgroup, D/hub after init, with /hub dropped."""
    r = script(*[a.format(D=delegated) for a in args])
    lines, summary = check_lines(r.stdout)
    fails = [t for s, t in lines if s == "FAIL"]
    warns = {t.split(":")[0]: t for s, t in lines if s == "warn"}
    assert not fails, f"FAIL lines under the Delegate=yes unit: {fails}"
    assert set(warns) == set(EXPECTED_WARNS), f"unexpected warn lines: {warns}"
    assert r.returncode == 0, r.stderr
    assert summary and summary.endswith(f"(cgroup {delegated})"), summary
    find(lines, "ok", "cgroup mode: unified")
    find(lines, "ok", f"controllers in {delegated}")
    find(lines, "ok", f"delegation of {delegated}: trusted.delegate=1")
    find(lines, "ok", f"internal processes in {delegated}: none")
    if args:  # --json once is enough (each run takes ~6 s under TCG)
        assert_json_matches(r, script("--json", *[a.format(D=delegated) for a in args]), delegated)


def test_cgspawn_check_passes(delegated):
    r = cgspawn("check", timeout=300)
    lines, _ = check_lines(r.stdout)
    assert not [t for s, t in lines if s == "FAIL"], r.stdout
    assert r.returncode == 0, r.stderr
    find(lines, "ok", f"delegated by systemd (trusted.delegate on {delegated})")
    # the same JSON document as check-kernel.sh --json
    doc = assert_json_matches(r, cgspawn("check", "--json", timeout=300), delegated)
    assert doc["verdict"] in ("ok", "warn"), doc


def tree(path):
    return sorted(root for root, _, _ in os.walk(path))


@pytest.fixture
def nodeleg():
    """The cgroup of a running transient service without Delegate=yes."""
    svc = f"cgspawn-nodeleg-{secrets.token_hex(3)}.service"
    path = f"{CGROOT}/system.slice/{svc}"
    r = run(["systemd-run", "--unit", svc, "--property=Type=exec", "/bin/sleep", "300"])
    assert r.returncode == 0, r.stderr
    try:
        wait_for(lambda: os.path.isdir(path) and read(f"{path}/cgroup.procs").strip(), 30,
                 f"the process of {svc} in {path}")
        yield path
    finally:
        run(["systemctl", "stop", svc])
        run(["systemctl", "reset-failed", svc])
        wait_for(lambda: not os.path.exists(path), 30, f"{path} to go")


def test_script_fails_without_delegation(nodeleg):
    r = script("--cgroup", nodeleg)
    lines, _ = check_lines(r.stdout)
    line = find(lines, "FAIL", f"delegation of {nodeleg}")
    assert "add Delegate=yes to the hub's unit" in line, line
    assert r.returncode == 1, r.stderr
    doc = assert_json_matches(r, script("--json", "--cgroup", nodeleg), nodeleg)
    assert doc["verdict"] == "fail"
    [c] = [c for c in doc["checks"] if c["check"] == f"delegation of {nodeleg}"]
    assert c["status"] == "fail" and "Delegate=yes" in c["fix"], c


def test_cgspawn_check_fails_without_delegation(nodeleg):
    """Without `cgspawn init` there: init would move the unit's process and
    enable controllers in a cgroup systemd manages, the very thing the check
    warns against; the delegation check does not need the layout."""
    before, procs = tree(nodeleg), read(f"{nodeleg}/cgroup.procs")
    r = cgspawn("check", "--cgroup-root", nodeleg, timeout=300)
    lines, _ = check_lines(r.stdout)
    line = find(lines, "FAIL", "delegation")
    assert nodeleg in line and "add Delegate=yes" in line, line
    assert r.returncode == 1, r.stderr
    assert tree(nodeleg) == before, "cgspawn check left cgroups behind"
    assert read(f"{nodeleg}/cgroup.procs") == procs, "cgspawn check moved processes"
