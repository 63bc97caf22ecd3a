"""kernel-check (issues 5, 14) on a real systemd host: check-kernel.sh and
`cgspawn check` pass under the Delegate=yes hub unit and FAIL, naming
Delegate=yes, on the cgroup of a unit without it. check-kernel.sh judges
the kernel, the cgroup mode and systemd itself and reports the real
`cgspawn check`'s findings (the cgroup tree is that binary's alone), with
the same stable ids."""
import json
import os
import re
import secrets

import pytest

from conftest import CGROOT, CGSPAWN, cgspawn, read, run, wait_for

SCRIPT = os.environ.get("CHECK_KERNEL", "/payload/bin/check-kernel.sh")
LINE = re.compile(r"^(ok  |warn|FAIL) (.*)$")
# warn lines of check-kernel.sh's own checks the healthy guest may keep,
# with the reason (none so far); cgspawn check's are judged as it is below.
EXPECTED_WARNS = {}
# check-kernel.sh's own ids, then `cgspawn check`'s (kernel-check/README.md).
OWN_IDS = {"kernel.config", "kernel.config.cgroups", "kernel.config.memcg",
           "kernel.config.cgroup_sched", "kernel.config.cfs_bandwidth",
           "kernel.config.cgroup_pids", "kernel.config.seccomp_filter", "kernel.config.tmpfs",
           "kernel.config.namespaces", "kernel.config.swap_accounting", "cgroup.mode",
           "systemd.pid1", "systemd.version", "cgspawn.check"}
LIVE_IDS = {"root", "delegation", "units", "controller.memory", "controller.cpu",
            "controller.pids", "controller.io", "units.create", "limit.memory.max",
            "limit.memory.low", "limit.memory.swap.max", "limit.cpu.max", "limit.cpu.weight",
            "limit.pids.max", "isolation.cgroup_move", "isolation.mount_namespace",
            "isolation.no_new_privs", "isolation.seccomp"}


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
    ids = [c["id"] for c in doc["checks"]]
    assert all(ids) and len(set(ids)) == len(ids), ids
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
    assert not fails, f"FAIL lines under the Delegate=yes unit: {fails}"
    assert r.returncode == 0, r.stderr
    assert summary and summary.endswith(f"(cgroup {delegated})"), summary
    find(lines, "ok", "cgroup mode: unified")
    # the script runs $CGSPAWN, the same binary as this suite's cgspawn()
    find(lines, "ok", f"cgroup checks: by {CGSPAWN} check")
    find(lines, "ok", f"cgroup root {delegated}")
    find(lines, "ok", f"delegated by systemd (trusted.delegate on {delegated})")
    find(lines, "ok", "memory controller enabled for units")
    find(lines, "ok", "limit memory.max written and read back")
    if args:  # --json once is enough (each run takes a while under TCG)
        doc = assert_json_matches(r, script("--json", *[a.format(D=delegated) for a in args]),
                                  delegated)
        ids = [c["id"] for c in doc["checks"]]
        assert set(ids) == OWN_IDS | LIVE_IDS, set(ids) ^ (OWN_IDS | LIVE_IDS)
        own_warns = [c for c in doc["checks"] if c["id"] in OWN_IDS and c["status"] == "warn"]
        assert {c["check"] for c in own_warns} == set(EXPECTED_WARNS), own_warns
        # check-kernel.sh reports exactly what the real cgspawn check finds
        live = cgspawn("check", "--json", "--cgroup-root", delegated, timeout=300)
        theirs = [(c["id"], c["status"], c["check"]) for c in json.loads(live.stdout)["checks"]]
        mine = [(c["id"], c["status"], c["check"]) for c in doc["checks"]
                if c["id"] in LIVE_IDS]
        assert mine == theirs


def test_cgspawn_check_passes(delegated):
    r = cgspawn("check", timeout=300)
    lines, _ = check_lines(r.stdout)
    assert not [t for s, t in lines if s == "FAIL"], r.stdout
    assert r.returncode == 0, r.stderr
    find(lines, "ok", f"delegated by systemd (trusted.delegate on {delegated})")
    # the same JSON document as check-kernel.sh --json
    doc = assert_json_matches(r, cgspawn("check", "--json", timeout=300), delegated)
    assert doc["verdict"] in ("ok", "warn"), doc
    assert {c["id"] for c in doc["checks"]} == LIVE_IDS


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
    """Through cgspawn check, which changes nothing there (see below)."""
    before, procs = tree(nodeleg), read(f"{nodeleg}/cgroup.procs")
    r = script("--cgroup", nodeleg)
    lines, _ = check_lines(r.stdout)
    line = find(lines, "FAIL", "delegation")
    assert nodeleg in line and "add Delegate=yes" in line, line
    assert r.returncode == 1, r.stderr
    doc = assert_json_matches(r, script("--json", "--cgroup", nodeleg), nodeleg)
    assert doc["verdict"] == "fail"
    [c] = [c for c in doc["checks"] if c["id"] == "delegation"]
    assert c["status"] == "fail" and "Delegate=yes" in c["fix"], c
    assert tree(nodeleg) == before, "the check left cgroups behind"
    assert read(f"{nodeleg}/cgroup.procs") == procs, "the check moved processes"


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
