"""`cgspawn metrics` on real units: the output is valid Prometheus text
exposition format and its figures are those `cgspawn status` reports; and
the README's node_exporter service and timer, as an admin copies them,
write that file and keep it fresh.

python3-prometheus-client is not in the guest image (tests/guest/packages-*),
so the output is parsed by the strict parser below, written to the format's
rules: HELP and TYPE before a family's samples, each family one block, no
repeated series, label values with only the \\\\, \\" and \\n escapes, Go-style
floats (+Inf). Anything else fails the test.
"""
import json
import math
import os
import re
import shutil
import textwrap

from conftest import CGSPAWN, cgspawn, wait_for
from e2e.hub import UNIT_DIR, systemctl

# alice: one process OOM-killed under 64M (the shell lives on), with an owner
# record whose user needs escaping; bob: no limits, in a slice.
OOM_ONCE = ["/bin/sh", "-c", "/usr/bin/python3 -c 'b = bytearray(200 << 20)'; exec sleep 3600"]
SLEEP = ["/bin/sleep", "3600"]
ODD_USER = 'al"i\\ce'
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(rf"({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?,?\}})? (\S+)(?: (-?\d+))?")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
# memory.current is charged in per-CPU batches: two reads of an idle unit
# may differ by a few pages.
MEMORY_SLACK = 512 << 10


def unescape(value):
    return re.sub(r"\\([\\\"n])", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse_value(text):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    assert re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text), f"not a sample value: {text!r}"
    return float(text)


def parse_exposition(text):
    """{family: {"type", "help", "samples": {frozenset(labels.items()): value}}}."""
    families, current, closed = {}, None, set()
    assert text.endswith("\n"), "the output must end with a newline"
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kind, name, rest = line[2:6], *line[7:].split(" ", 1)
            assert re.fullmatch(NAME, name) and name not in closed, f"bad or repeated family: {line!r}"
            if current != name:
                closed.add(current)
                current = name
            fam = families.setdefault(name, {"samples": {}})
            assert kind.lower() not in fam, f"a second {kind} for {name}"
            fam[kind.lower()] = rest
            if kind == "TYPE":
                assert rest in TYPES and not fam["samples"], f"bad TYPE line: {line!r}"
            continue
        assert line and not line.startswith("#"), f"unexpected line: {line!r}"
        m = SAMPLE.fullmatch(line)
        assert m, f"not a sample line: {line!r}"
        assert m.group(1) == current, f"sample of {m.group(1)} outside its family block: {line!r}"
        labels = dict((k, unescape(v)) for k, v in re.findall(LABEL, m.group(2) or ""))
        key = frozenset(labels.items())
        assert key not in families[current]["samples"], f"repeated series: {line!r}"
        families[current]["samples"][key] = parse_value(m.group(len(m.groups()) - 1))
    for name, fam in families.items():
        assert "type" in fam and "help" in fam and fam["samples"], f"{name}: {fam}"
    return families


def series(families, unit):
    """{family: value} of UNIT's series, with its labels."""
    out, labels = {}, None
    for name, fam in families.items():
        for key, value in fam["samples"].items():
            d = dict(key)
            if d.get("unit") == unit:
                out[name] = value
                labels = d
    return out, labels


def limit(text):
    return math.inf if text == "max" else int(text)


def cpus(cpu_max):
    quota, period = cpu_max.split()
    return math.inf if quota == "max" else int(quota) / int(period)


def check_against_status(got, before, after):
    """Limits and OOM kills exactly; what moves between two statuses, within them."""
    assert got["cgspawn_unit_running"] == 1
    assert got["cgspawn_memory_max_bytes"] == limit(after["memory_max"])
    assert got["cgspawn_tasks_max"] == limit(after["pids_max"])
    assert got["cgspawn_cpu_limit_cpus"] == cpus(after["cpu_max"])
    assert got["cgspawn_oom_kills_total"] == after["oom_kill"] == before["oom_kill"]
    for family, key, slack in (("cgspawn_memory_current_bytes", "memory_current", MEMORY_SLACK),
                               ("cgspawn_memory_peak_bytes", "memory_peak", 0),
                               ("cgspawn_tasks", "pids_current", 0)):
        low, high = sorted((before[key], after[key]))
        assert low - slack <= got[family] <= high + slack, (family, before[key], got[family], after[key])
    usage = [s["cpu_stat"]["usage_usec"] / 1e6 for s in (before, after)]
    assert usage[0] <= got["cgspawn_cpu_usage_seconds_total"] <= usage[1], (usage, got)
    for family, key in (("cgspawn_cpu_throttled_periods_total", "nr_throttled"),
                        ("cgspawn_cpu_periods_total", "nr_periods")):
        assert before["cpu_stat"][key] <= got[family] <= after["cpu_stat"][key], (family, got)


def test_metrics_parse_and_match_status(cg):
    owner = json.dumps([ODD_USER, ""])
    a = cg.spawn("metrics-a", OOM_ONCE, "--memory-max", "64M", "--memory-swap-max", "0",
                 "--cpu-max", "0.5", "--tasks-max", "50", "--owner", owner, user="alice")
    b = cg.spawn("metrics-b", SLEEP, "--slice", "metrics-s", user="bob")
    wait_for(lambda: a.status()["oom_kill"] >= 1 and len(a.pids()) == 1, 300,
             "the python in metrics-a to be OOM-killed")
    before = {u.name: u.status() for u in (a, b)}
    r = cgspawn("metrics")
    assert r.returncode == 0, r.stderr
    after = {u.name: u.status() for u in (a, b)}
    families = parse_exposition(r.stdout)
    got_a, labels_a = series(families, a.name)
    got_b, labels_b = series(families, b.name)
    assert labels_a == {"unit": a.name, "user": ODD_USER, "slice": ""}, labels_a
    assert labels_b == {"unit": b.name, "user": "", "slice": "metrics-s"}, labels_b
    assert families["cgspawn_oom_kills_total"]["type"] == "counter"
    assert families["cgspawn_memory_max_bytes"]["type"] == "gauge"
    check_against_status(got_a, before[a.name], after[a.name])
    check_against_status(got_b, before[b.name], after[b.name])
    assert got_a["cgspawn_oom_kills_total"] >= 1 and got_a["cgspawn_memory_max_bytes"] == 64 << 20
    assert got_a["cgspawn_cpu_limit_cpus"] == 0.5 and got_a["cgspawn_tasks_max"] == 50
    assert got_b["cgspawn_memory_max_bytes"] == math.inf == got_b["cgspawn_tasks_max"]


README = "/payload/README.md"
README_ROOT = "/sys/fs/cgroup/system.slice/jupyterhub-servers.service"
TEXTFILE_DIR = "/var/lib/prometheus/node-exporter"


def readme_units():
    """{name: text} of the unit files the README's "Monitoring" shows."""
    with open(README) as f:
        text = f.read()
    block = re.compile(r"^    # /etc/systemd/system/(cgspawn-metrics\.\w+)\n((?:    .*\n|\n)+?)(?=^    # |^\S)",
                       re.M)
    return {m.group(1): textwrap.dedent(m.group(2)).strip() + "\n" for m in block.finditer(text)}


def test_the_readme_timer_writes_the_textfile_for_node_exporter(cg, delegated):
    units = readme_units()
    assert sorted(units) == ["cgspawn-metrics.service", "cgspawn-metrics.timer"], units
    service = units["cgspawn-metrics.service"]
    assert README_ROOT in service and "/usr/sbin/cgspawn" in service, service
    # The only changes: this guest's delegated root and cgspawn's path.
    units["cgspawn-metrics.service"] = service.replace(README_ROOT, delegated).replace(
        "/usr/sbin/cgspawn", CGSPAWN)
    unit = cg.spawn("metrics-timer", SLEEP, "--memory-max", "64M", user="alice")
    made = [d for d in ("/var/lib/prometheus", TEXTFILE_DIR) if not os.path.isdir(d)]
    os.makedirs(TEXTFILE_DIR, exist_ok=True)
    prom = os.path.join(TEXTFILE_DIR, "cgspawn.prom")
    try:
        for name, text in units.items():
            with open(os.path.join(UNIT_DIR, name), "w") as f:
                f.write(text)
        systemctl("daemon-reload")
        systemctl("start", "cgspawn-metrics.timer")
        wait_for(lambda: os.path.exists(prom), 300, f"{prom} from the timer's first run")
        first = os.stat(prom).st_mtime_ns
        with open(prom) as f:
            got, labels = series(parse_exposition(f.read()), unit.name)
        assert labels == {"unit": unit.name, "user": "", "slice": ""}, labels
        assert got["cgspawn_memory_max_bytes"] == 64 << 20 and got["cgspawn_unit_running"] == 1, got
        # OnUnitActiveSec=15s: written again, whole (the rename), soon after.
        wait_for(lambda: os.stat(prom).st_mtime_ns != first, 300, f"{prom} to be rewritten")
        assert not os.path.exists(prom + ".tmp")
    finally:
        systemctl("stop", "cgspawn-metrics.timer", "cgspawn-metrics.service", check=False)
        for name in units:
            if os.path.exists(os.path.join(UNIT_DIR, name)):
                os.remove(os.path.join(UNIT_DIR, name))
        systemctl("daemon-reload", check=False)
        systemctl("reset-failed", "cgspawn-metrics.service", "cgspawn-metrics.timer", check=False)
        for leftover in (prom, prom + ".tmp"):
            if os.path.exists(leftover):
                os.remove(leftover)
        for d in reversed(made):
            shutil.rmtree(d, ignore_errors=True)
