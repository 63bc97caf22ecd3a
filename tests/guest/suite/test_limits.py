"""Resource limits, proven by behaviour: OOM kill, CPU quota, CPU fairness, pids."""
import os
import subprocess
import time

from contention import check_timing, slowdown
from conftest import HELPERS, pid_alive, read, read_kv, wait_for

BUSY = ["/bin/sh", "-c", "while :; do :; done"]


def usage_usec(unit):
    return read_kv(os.path.join(unit.path, "cpu.stat"))["usage_usec"]


def test_memory_oom(cg, record_property):
    # The server is `sleep` (cgspawn's exec target); a subshell runs the hog
    # beside it and reports how the hog ended.
    hog = f"/usr/bin/python3 {HELPERS}/hog.py 200"
    unit = cg.spawn("oom", ["/bin/sh", "-c", f"({hog}; echo \"hog: exit $?\") & exec sleep 3600"],
                    "--memory-max", "64M")
    unit.wait_output(r"^hog: allocating", timeout=60)
    m = unit.wait_output(r"^hog: exit (\d+)", timeout=120)
    assert "hog: survived" not in unit.output(), "the hog touched 200 MB under a 64M limit"
    assert m.group(1) == "137", f"hog should die of SIGKILL (137), ended with {m.group(1)}"

    assert unit.cg("memory.max") == str(64 * 1024 * 1024)
    events = read_kv(os.path.join(unit.path, "memory.events"))
    assert events["oom_kill"] >= 1, f"memory.events: {events}"
    servers = [p for p in unit.pids() if read(f"/proc/{p}/comm").strip() == "sleep"]
    assert servers and all(pid_alive(p) for p in servers), (
        f"the server (sleep) must survive the hog's OOM kill; cgroup.procs={unit.pids()}")
    status = unit.status()
    assert status["state"] == "running", status
    assert status["oom_kill"] >= 1, f"status --json oom_kill: {status['oom_kill']}"
    assert status["memory_events"]["oom_kill"] >= 1, status["memory_events"]
    record_property("memory_peak", status["memory_peak"])
    record_property("oom_kill", status["oom_kill"])
    assert str(status["memory_max"]) == str(64 * 1024 * 1024), status["memory_max"]


def test_cpu_quota(cg, record_property):
    unit = cg.spawn("quota", BUSY, "--cpu-max", "0.25")
    wait_for(lambda: usage_usec(unit) > 0, 30, "the busy loop to start")
    time.sleep(1)
    u0, t0 = usage_usec(unit), time.monotonic()
    time.sleep(4)
    u1, t1 = usage_usec(unit), time.monotonic()
    ratio = (u1 - u0) / 1e6 / (t1 - t0)
    record_property("cpus_used", round(ratio, 3))
    assert 0.15 <= ratio <= 0.35, f"--cpu-max 0.25 but the busy loop used {ratio:.3f} CPUs"
    assert unit.cg("cpu.max") == "25000 100000"
    stat = unit.status()["cpu_stat"]
    record_property("nr_throttled", stat["nr_throttled"])
    assert stat["nr_throttled"] > 0, f"never throttled: {stat}"
    assert stat["usage_usec"] >= u1, stat


def test_cpu_fairness(cg, record_property):
    six = "for i in 1 2 3 4 5 6; do (while :; do :; done) & done; wait"
    a = cg.spawn("fair-a", ["/bin/sh", "-c", six])
    b = cg.spawn("fair-b", BUSY, user="bob")
    for unit in (a, b):
        assert unit.cg("cpu.weight") == "100", f"{unit.name} is not uncapped/default"
        assert unit.cg("cpu.max") == "max 100000"
    wait_for(lambda: len(a.pids()) >= 7, 60, "6 busy processes in unit A")
    wait_for(lambda: usage_usec(b) > 0, 30, "unit B's busy loop")
    time.sleep(1)
    a0, b0, t0 = usage_usec(a), usage_usec(b), time.monotonic()
    time.sleep(6)
    a1, b1, t1 = usage_usec(a), usage_usec(b), time.monotonic()
    da, db, wall = (a1 - a0) / 1e6, (b1 - b0) / 1e6, t1 - t0
    share = db / (da + db)
    record_property("cpus_used_a_6_procs", round(da / wall, 2))
    record_property("cpus_used_b_1_proc", round(db / wall, 2))
    record_property("share_b", round(share, 3))
    assert da + db >= 1.2 * wall, f"the 2 vCPUs were not contended: {da + db:.2f} CPU-s"
    assert share >= 0.4, f"B got {share:.2f} of the CPU time next to 6 busy processes in A"


def test_tasks_max(cg, record_property):
    unit = cg.spawn("tasks", ["/usr/bin/python3", f"{HELPERS}/forkbomb.py", "200"],
                    "--tasks-max", "50")
    m = unit.wait_output(r"^forked=(\d+) eagain=(\d+)", timeout=180)
    forked, eagain = int(m.group(1)), int(m.group(2))
    record_property("forked_eagain", f"{forked}/{eagain}")
    assert eagain > 0, f"fork never failed with EAGAIN ({forked} forks)"
    assert forked <= 49, f"{forked} children next to the parent under --tasks-max 50"
    assert unit.cg("pids.max") == "50"
    current = int(unit.cg("pids.current"))
    assert current <= 50, f"pids.current = {current}"
    assert str(unit.status()["pids_max"]) == "50"

    # With the unit at its limit the rest of the guest is not starved
    # (judged last: a contended host ends the test there, see check_timing).
    t = time.monotonic()
    subprocess.run(["/bin/true"], check=True, timeout=30)
    subprocess.run(["ps", "-e"], check=True, timeout=30, capture_output=True)
    elapsed = time.monotonic() - t
    record_property("true_and_ps_s", round(elapsed, 2))
    speed = slowdown() if elapsed >= 10 else None

    pids = unit.pids()
    assert len(pids) >= 40, f"expected ~50 processes in the unit, found {len(pids)}"
    r = unit.stop(timeout=2)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(unit.path), "the unit's cgroup survived stop"
    wait_for(lambda: not any(pid_alive(p) for p in pids), 10, "every fork-bomb process to die")
    check_timing(elapsed < 10, f"the guest is sluggish: true + ps took {elapsed:.1f} s",
                 measured=speed)
