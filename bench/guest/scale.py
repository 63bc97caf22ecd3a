"""Scale: SERVERS small HTTP servers (stub_server.py, one port each) spawned
concurrently through cgspawn under one delegated root, every one reachable,
`cgspawn list` right, nothing of cgspawn resident, then all stopped at once
and no cgroup left. Then the same servers started concurrently with
`systemd-run` and the same isolation (issue 17's comparison), and stopped."""
import concurrent.futures
import json
import os
import subprocess
import time
import urllib.request

from common import (CGSPAWN, SYSTEMD_ISOLATION, D, cgspawn_processes, cgspawn_spawn, communicate, log, run_checked,
                    unit_dirs, wait_until)

STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stub_server.py")
BASE_PORT = 9100
SYSTEMD_PORT = 10100  # the systemd-run side's servers


def unit(i):
    return f"bench-srv-{i:03d}"


def spawn(i):
    p, records = cgspawn_spawn(unit(i), ["/usr/bin/python3", STUB, str(BASE_PORT + i)])
    out, err = communicate(p, records, 1800)
    if p.returncode != 0:
        raise RuntimeError(f"spawn {unit(i)} exited {p.returncode}: {err.decode().strip()}")
    return int(out)


def reachable(i, port=BASE_PORT):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port + i}/", timeout=10) as r:
            return r.status == 200
    except OSError:
        return False


def procs(i):
    with open(os.path.join(D, "users", unit(i), "cgroup.procs")) as f:
        return [int(p) for p in f.read().split()]


def stop(i):
    run_checked([CGSPAWN, "stop", "--cgroup-root", D, "--timeout", "30", unit(i)], timeout=1800)


def systemd_unit(i):
    return f"bench-sr-{i:03d}.service"


def systemd_spawn(i):
    """systemd-run without --wait returns once the unit has started; with
    Type=exec that is once the server has exec'd, as `cgspawn spawn`."""
    run_checked(["systemd-run", "--quiet", "--collect", "--unit", systemd_unit(i),
                 "-p", "Type=exec", *SYSTEMD_ISOLATION,
                 "/usr/bin/python3", STUB, str(SYSTEMD_PORT + i)], timeout=1800)


def systemd_stop(i):
    run_checked(["systemctl", "stop", systemd_unit(i)], timeout=1800)


def wait_reachable(servers, port, t0):
    """(seconds since T0 until every server answered, how many did)."""
    pending = set(range(servers))

    def all_up():
        for i in list(pending):
            if reachable(i, port):
                pending.discard(i)
        return not pending

    wait_until(all_up, 1800, interval=1)
    return time.monotonic() - t0, servers - len(pending)


def systemd_run_side(servers, pool):
    """The same servers, started at once with systemd-run, then stopped."""
    res = {}
    try:
        t0 = time.monotonic()
        list(pool.map(systemd_spawn, range(servers)))
        res["spawn_all_s"] = time.monotonic() - t0
        res["all_reachable_s"], res["reachable"] = wait_reachable(servers, SYSTEMD_PORT, t0)
        log(f"scale: systemd-run: {servers} returned after {res['spawn_all_s']:.1f} s,"
            f" {res['reachable']} reachable after {res['all_reachable_s']:.1f} s")
        t1 = time.monotonic()
        list(pool.map(systemd_stop, range(servers)))
        res["stop_all_s"] = time.monotonic() - t1
    finally:  # a failed run must not leave units behind
        subprocess.run(["systemctl", "stop", "bench-sr-*.service"], capture_output=True,
                       timeout=1800, check=False)
    return res


def run(servers):
    res = {"servers": servers}
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=servers)
    try:
        t0 = time.monotonic()
        pids = list(pool.map(spawn, range(servers)))
        res["spawn_all_s"] = time.monotonic() - t0
        log(f"scale: {servers} spawns returned after {res['spawn_all_s']:.1f} s")
        res["cgspawn_resident_after_spawn"] = len(cgspawn_processes())
        res["all_reachable_s"], res["reachable"] = wait_reachable(servers, BASE_PORT, t0)
        log(f"scale: {res['reachable']}/{servers} reachable after {res['all_reachable_s']:.1f} s")
        per_unit = [procs(i) for i in range(servers)]
        # Each unit holds exactly its server: the launcher is gone after exec.
        res["units_with_only_the_server"] = sum(
            1 for i, p in enumerate(per_unit) if p == [pids[i]])
        listed = json.loads(run_checked([CGSPAWN, "list", "--cgroup-root", D, "--json"]).stdout)
        mine = {u["unit"]: u for u in listed if u["unit"].startswith("bench-srv-")}
        res["list_running"] = sum(
            1 for i in range(servers)
            if mine.get(unit(i), {}).get("state") == "running"
            and mine[unit(i)].get("pids") == [pids[i]])
        res["list_extra"] = len(mine) - res["list_running"]
        memory = [u.get("memory_current") or 0 for u in mine.values()]
        res["memory_current_per_server_mib"] = (sum(memory) / len(memory) / 2**20
                                                if memory else None)
        t1 = time.monotonic()
        list(pool.map(stop, range(servers)))
        res["stop_all_s"] = time.monotonic() - t1
        log(f"scale: all stopped after {res['stop_all_s']:.1f} s")
        res["systemd_run"] = systemd_run_side(servers, pool)
        res["ratio_systemd_vs_cgspawn_spawn_all"] = (res["systemd_run"]["spawn_all_s"] /
                                                      res["spawn_all_s"])
    finally:
        left = [d for d in unit_dirs() if os.path.basename(d).startswith("bench-srv-")]
        for d in left:  # a failed run must not leave servers behind
            run_checked([CGSPAWN, "stop", "--cgroup-root", D, "--timeout", "5",
                         os.path.basename(d)])
        pool.shutdown()
    res["cgroups_left"] = len(left)
    res["cgspawn_resident_after_stop"] = len(cgspawn_processes())
    return res
