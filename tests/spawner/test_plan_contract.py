"""The spawner's requests, planned by the real `cgspawn spawn --dry-run`
(issue 16's contract). Each test starts a spawner through the fake
launcher, replays the spawn call it recorded (argv and stdin, as sent) into
the real binary, and reads the plan cgspawn would carry out: a flag either
side renames, or a value either side reads differently, fails here. A dry
run lists the refusals that come from this host's state (no delegated
root, no such account, a controller not enabled) instead of stopping at
them, so every value is checked on any machine."""

import pytest
from real_cgspawn import mounts, planned, run

ROOT = "/nonexistent/cgspawn-contract-root"
EVERYTHING = dict(
    mem_limit="1G", mem_guarantee="256M", mem_swap_limit=0, cpu_limit=1.5, cpu_guarantee=0.5,
    tasks_limit=200, isolate_tmp=True, isolate_devices=True, devices=["/dev/null"],
    readonly_paths=["/usr"], readwrite_paths=["/usr/local"], disable_user_sudo=False,
    user_workingdir="/tmp", log_target="stderr", slice="students", seccomp_profile="none",
    unit_extra_properties={"io.weight": "200", "MemoryHigh": "2G"},
)
BY_PROPERTY = dict(
    unit_extra_properties={"MemoryMax": "1G", "MemoryLow": "1M", "MemorySwapMax": "infinity",
                           "CPUQuota": "50%", "CPUWeight": "300", "TasksMax": "100",
                           "LimitNOFILE": "16384", "LimitCORE": "0:infinity", "LimitAS": "2G",
                           "ProtectProc": "ptraceable"},
)


async def test_every_option_is_planned_as_meant(make_spawner, launcher):
    plan = await planned(make_spawner(cgroup_root=ROOT, **EVERYTHING), launcher)
    assert plan["limits"] == {
        "memory.max": "1073741824", "memory.low": "268435456", "memory.swap.max": "0",
        "cpu.max": "150000 100000", "cpu.weight": "50", "pids.max": "200",
        "io.weight": "200", "memory.high": "2147483648"}
    assert mounts(plan) == [("PrivateTmp", "/tmp"), ("PrivateDevices", "/dev"),
                            ("ProtectProc", "/proc"), ("CgroupNamespace", "/sys/fs/cgroup"),
                            ("ReadWritePaths", "/usr/local"),
                            ("ReadOnlyPaths", "/usr")]
    assert plan["devices"] == ["/dev/null"]
    assert (plan["slice"], plan["cgroup"]) == ("students", f"{ROOT}/users/students/{plan['unit']}")
    assert plan["user"]["name"] == "alice" and plan["workdir"] == "/tmp"
    assert (plan["seccomp"], plan["no_new_privs"], plan["output"]) == ("none", False, "stderr")
    assert plan["owner"] == '["alice", ""]'
    assert {"JUPYTERHUB_API_TOKEN", "MEM_LIMIT", "CPU_LIMIT"} <= set(plan["environment"])
    assert plan["command"][0].endswith("jupyterhub-singleuser")


async def test_every_property_form_is_planned_as_meant(make_spawner, launcher):
    plan = await planned(make_spawner(cgroup_root=ROOT, **BY_PROPERTY), launcher)
    assert plan["limits"] == {
        "memory.max": "1073741824", "memory.low": "1048576", "memory.swap.max": "max",
        "cpu.max": "50000 100000", "cpu.weight": "300", "pids.max": "100"}
    assert plan["rlimits"] == {
        "NOFILE": {"soft": 16384, "hard": 16384}, "CORE": {"soft": 0, "hard": "infinity"},
        "AS": {"soft": 2 << 30, "hard": 2 << 30}}
    assert plan["protect_proc"] == "ptraceable" and ("ProtectProc", "/proc") in mounts(plan)


async def test_the_cgroup_namespace_can_be_switched_off(make_spawner, launcher):
    plan = await planned(make_spawner(cgroup_root=ROOT, cgroup_namespace=False), launcher)
    assert ("CgroupNamespace", "/sys/fs/cgroup") not in mounts(plan)
    assert ("ProtectProc", "/proc") in mounts(plan)  # the rest as before


async def test_a_dynamic_user_is_planned_as_meant(make_spawner, launcher):
    spawner = make_spawner(username="Zoë", cgroup_root=ROOT, dynamic_users=True,
                           dynamic_user_range="21000-21999", dynamic_user_state="/var/lib/x")
    plan = await planned(spawner, launcher)
    user = plan["user"]
    assert user["dynamic"] and user["uid"] is None  # allocated only by a spawn
    assert (user["dynamic_user_range"], user["dynamic_user_state"]) == ("21000-21999", "/var/lib/x")
    assert user["home"] == f"/var/lib/x/home/{user['name']}" == plan["workdir"]
    assert ("AmendFile", "/etc/passwd") in mounts(plan)


async def test_the_stop_argv_parses(make_spawner, launcher, tmp_path):
    """`stop UNIT --timeout T --owner TEXT` as the spawner sends it."""
    root = str(tmp_path / "no-such-cgroup")
    spawner = make_spawner(username="Zoë", cgroup_root=root, dynamic_users=True)
    await spawner.start()
    await spawner.stop()
    [stop] = launcher.calls_of("stop")
    assert "--owner" in stop["argv"]
    rc, _, err = run(*stop["argv"][1:])
    assert rc == 2 and f"resolve --cgroup-root: {root}" in err, err


# Every systemd property the spawner takes (properties.py): a value, and the
# cgroup file and text cgspawn must plan for it.
CGROUP_ROWS = {
    "MemoryMin": ("1K", "memory.min", "1024"),
    "MemoryHigh": ("2G", "memory.high", "2147483648"),
    "MemoryZSwapMax": ("1G", "memory.zswap.max", "1073741824"),
    "IOWeight": ("200", "io.weight", "200"),
    "AllowedCPUs": ("0-1 3", "cpuset.cpus", "0-1,3"),
    "AllowedMemoryNodes": ("0", "cpuset.mems", "0"),
    "MemoryMax": ("512M", "memory.max", "536870912"),
    "MemoryLimit": ("1.5G", "memory.max", "1610612736"),
    "MemoryLow": ("100K", "memory.low", "102400"),
    "MemorySwapMax": ("infinity", "memory.swap.max", "max"),
    "CPUQuota": ("25%", "cpu.max", "25000 100000"),
    "CPUWeight": ("500", "cpu.weight", "500"),
    "TasksMax": ("64", "pids.max", "64"),
}
# ... and every Limit*= one: a value, and the soft and hard limit planned.
RLIMIT_ROWS = {
    "CPU": ("60:120", 60, 120), "FSIZE": ("1G", 1 << 30, 1 << 30),
    "DATA": ("2G:infinity", 2 << 30, "infinity"), "STACK": ("8M", 8 << 20, 8 << 20),
    "CORE": ("0", 0, 0), "RSS": ("infinity", "infinity", "infinity"),
    "NOFILE": ("1024:16384", 1024, 16384), "AS": ("4G", 4 << 30, 4 << 30),
    "NPROC": ("512", 512, 512), "MEMLOCK": ("64K", 64 << 10, 64 << 10),
    "LOCKS": ("100", 100, 100), "SIGPENDING": ("1000", 1000, 1000),
    "MSGQUEUE": ("800K", 800 << 10, 800 << 10), "NICE": ("20:40", 20, 40),
    "RTPRIO": ("0", 0, 0), "RTTIME": ("200000:infinity", 200000, "infinity"),
}


def test_the_rows_cover_every_property_the_spawner_takes():
    from cgroupspawner.properties import RLIMITS, SYSTEMD_TO_CGROUP

    assert set(CGROUP_ROWS) == set(SYSTEMD_TO_CGROUP)
    assert set(RLIMIT_ROWS) == set(RLIMITS)


@pytest.mark.parametrize("name", sorted(CGROUP_ROWS))
async def test_each_cgroup_property_is_planned(make_spawner, launcher, name):
    value, file, text = CGROUP_ROWS[name]
    plan = await planned(make_spawner(cgroup_root=ROOT, unit_extra_properties={name: value}),
                         launcher)
    assert plan["limits"] == {file: text}


@pytest.mark.parametrize("name", sorted(RLIMIT_ROWS))
async def test_each_resource_limit_is_planned(make_spawner, launcher, name):
    value, soft, hard = RLIMIT_ROWS[name]
    props = {f"Limit{name}": value}
    plan = await planned(make_spawner(cgroup_root=ROOT, unit_extra_properties=props), launcher)
    assert plan["rlimits"] == {name: {"soft": soft, "hard": hard}}
