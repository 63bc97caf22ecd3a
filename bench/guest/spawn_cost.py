"""Spawn cost: (a) bare /bin/true, (b) `cgspawn spawn` of /bin/true with the
isolation of shared/ENVIRONMENT.md's systemd-run line (spawn only, and spawn
plus cleanup), (c) `systemd-run --wait` with those properties. Alternated
A B C A B C so machine noise hits all three (A B B' C with a baseline build,
bench/run.sh --baseline); then a per-step breakdown of (b)
from CGSPAWN_TIMINGS_FD, and what dynamic loading costs the launcher."""
import os
import re
import subprocess
import time

import stats
from common import (BASELINE, CGSPAWN, SYSTEMD_ISOLATION, D, cgspawn_spawn, communicate, log, run_checked,
                    unpopulated, wait_until)

UNIT = "bench-cost"


def bare():
    t = time.monotonic_ns()
    subprocess.run(["/bin/true"], check=True)
    return (time.monotonic_ns() - t) / 1e9


def cgspawn_once(timings_fd=None, binary=CGSPAWN):
    """(spawn seconds, spawn+cleanup seconds, t0 ns, t1 ns)."""
    popen = {"binary": binary}
    if timings_fd is not None:
        popen.update(pass_fds=(timings_fd,),
                     env=dict(os.environ, CGSPAWN_TIMINGS_FD=str(timings_fd)))
    t0 = time.monotonic_ns()
    p, records = cgspawn_spawn(UNIT, ["/bin/true"], **popen)
    out, err = communicate(p, records, 600)
    t1 = time.monotonic_ns()
    if p.returncode != 0:
        raise RuntimeError(f"cgspawn spawn exited {p.returncode}: {err.decode().strip()}")
    if not wait_until(lambda: unpopulated(UNIT), 60, interval=0.005):
        raise RuntimeError(f"{UNIT} still runs /bin/true after 60 s")
    run_checked([binary, "cleanup", "--cgroup-root", D, UNIT])
    t2 = time.monotonic_ns()
    return (t1 - t0) / 1e9, (t2 - t0) / 1e9, t0, t1


def systemd_run():
    t = time.monotonic_ns()
    run_checked(["systemd-run", "--wait", "--quiet", "--collect", *SYSTEMD_ISOLATION,
                 "/bin/true"])
    return (time.monotonic_ns() - t) / 1e9


def parse_marks(text):
    marks = []
    for line in text.splitlines():
        m = re.fullmatch(r"cgspawn-timing (\S+) (\d+)", line)
        if m:
            marks.append((m.group(1), int(m.group(2))))
    return sorted(marks, key=lambda m: m[1])


def step_deltas(t0, marks, t1):
    """Seconds per step: 'start' (exec of cgspawn, dynamic loading, static
    init) up to main, each mark's step since the previous mark, 'exit' from
    the last mark until the caller saw cgspawn exit."""
    steps, prev = {}, t0
    for name, ns in marks:
        steps["start" if name == "main" else name] = (ns - prev) / 1e9
        prev = ns
    steps["exit"] = (t1 - prev) / 1e9
    return steps


def breakdown(n):
    runs = []
    for _ in range(n):
        r, w = os.pipe()
        try:
            _, _, t0, t1 = cgspawn_once(timings_fd=w)
        finally:
            os.close(w)
        with os.fdopen(r) as f:
            marks = parse_marks(f.read())
        if not marks:
            raise RuntimeError("cgspawn wrote no timings: is CGSPAWN_TIMINGS_FD supported?")
        runs.append(step_deltas(t0, marks, t1))
    names = list(runs[0])
    total = sum(stats.median([r[k] for r in runs]) for k in names)
    out = []
    for k in names:
        s = stats.summary([r[k] for r in runs if k in r])
        out.append({"step": k, **s, "share": s["median"] / total if total else None})
    return out, stats.summary([sum(r.values()) for r in runs])


def timed_run(argv):
    t = time.monotonic_ns()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
    return (time.monotonic_ns() - t) / 1e9


def dynamic_loading(n):
    """The launcher's libraries, and `cgspawn --help` (exec, dynamic loading,
    static init, the CLI; no cgroup or namespace work) against /bin/true,
    alternated."""
    libs = subprocess.run(["ldd", CGSPAWN], capture_output=True, text=True).stdout
    true_libs = subprocess.run(["ldd", "/bin/true"], capture_output=True, text=True).stdout
    bare_runs, help_runs = [], []
    for _ in range(n):
        bare_runs.append(timed_run(["/bin/true"]))
        help_runs.append(timed_run([CGSPAWN, "--help"]))
    res = {
        "cgspawn_libraries": [line.split()[0] for line in libs.splitlines() if line.strip()],
        "true_libraries": len([line for line in true_libs.splitlines() if line.strip()]),
        "bare": stats.summary(bare_runs),
        "cgspawn_help": stats.summary(help_runs),
    }
    res["ratio_help_vs_bare"] = stats.ratio(res["cgspawn_help"], res["bare"])
    return res


def run(n):
    a, b_spawn, b_total, c, base_spawn, base_total = [], [], [], [], [], []
    baseline = os.path.exists(BASELINE)
    # One of each first, untimed: page cache, systemd's first transient unit.
    bare(), cgspawn_once(), systemd_run()
    if baseline:
        cgspawn_once(binary=BASELINE)
    for i in range(n):
        a.append(bare())
        s, t, _, _ = cgspawn_once()
        b_spawn.append(s)
        b_total.append(t)
        if baseline:
            s, t, _, _ = cgspawn_once(binary=BASELINE)
            base_spawn.append(s)
            base_total.append(t)
        c.append(systemd_run())
        if (i + 1) % 10 == 0:
            log(f"spawn cost: {i + 1}/{n} rounds")
    res = {
        "n": n,
        "bare": stats.summary(a),
        "cgspawn_spawn": stats.summary(b_spawn),
        "cgspawn_spawn_cleanup": stats.summary(b_total),
        "systemd_run": stats.summary(c),
    }
    res["ratio_spawn_vs_bare"] = stats.ratio(res["cgspawn_spawn"], res["bare"])
    res["ratio_total_vs_bare"] = stats.ratio(res["cgspawn_spawn_cleanup"], res["bare"])
    res["ratio_systemd_vs_bare"] = stats.ratio(res["systemd_run"], res["bare"])
    res["ratio_systemd_vs_spawn"] = stats.ratio(res["systemd_run"], res["cgspawn_spawn"])
    res["ratio_systemd_vs_total"] = stats.ratio(res["systemd_run"], res["cgspawn_spawn_cleanup"])
    if baseline:
        res["baseline_spawn"] = stats.summary(base_spawn)
        res["baseline_spawn_cleanup"] = stats.summary(base_total)
        res["ratio_baseline_vs_spawn"] = stats.ratio(res["baseline_spawn"], res["cgspawn_spawn"])
    log("spawn cost: breakdown runs")
    res["breakdown"], res["breakdown_runs"] = breakdown(max(10, n // 2))
    res["dynamic_loading"] = dynamic_loading(max(10, n // 2))
    return res
