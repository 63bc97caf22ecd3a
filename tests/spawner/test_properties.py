"""unit_extra_properties: cgroup files, systemd translations, rejections."""

import pytest

from cgroupspawner import CgroupSpawnerConfigError
from cgroupspawner.properties import (
    PropertyError,
    expand_values,
    parse_systemd_size,
    translate_properties,
)


@pytest.mark.parametrize(
    "props, expected",
    [
        ({"MemoryHigh": "2G"}, [("memory.high", "2147483648")]),
        ({"MemoryHigh": "infinity"}, [("memory.high", "max")]),
        ({"MemoryMax": "512M"}, [("memory.max", "536870912")]),
        ({"MemoryLimit": "1.5G"}, [("memory.max", "1610612736")]),
        ({"MemoryLow": "100K"}, [("memory.low", "102400")]),
        ({"MemoryMin": "1024"}, [("memory.min", "1024")]),
        ({"MemorySwapMax": "0"}, [("memory.swap.max", "0")]),
        ({"MemoryZSwapMax": "1G"}, [("memory.zswap.max", "1073741824")]),
        ({"TasksMax": "512"}, [("pids.max", "512")]),
        ({"TasksMax": 64}, [("pids.max", "64")]),
        ({"TasksMax": "infinity"}, [("pids.max", "max")]),
        ({"CPUWeight": "500"}, [("cpu.weight", "500")]),
        ({"IOWeight": "200"}, [("io.weight", "200")]),
        # a typed limit's file comes in its flag's syntax (--cpu-max: CPUs)
        ({"CPUQuota": "50%"}, [("cpu.max", "0.5")]),
        ({"CPUQuota": "200%"}, [("cpu.max", "2")]),
        ({"CPUQuota": "12.5%"}, [("cpu.max", "0.125")]),
        ({"CPUQuota": "0.5%"}, [("cpu.max", "0.01")]),
        ({"cpu.max": "50000 100000"}, [("cpu.max", "0.5")]),
        ({"memory.max": "max"}, [("memory.max", "max")]),
        ({"pids.max": "max"}, [("pids.max", "max")]),
        ({"AllowedCPUs": "0-3 6"}, [("cpuset.cpus", "0-3,6")]),
        ({"AllowedMemoryNodes": "0"}, [("cpuset.mems", "0")]),
        # cgroup interface files pass through
        ({"io.max": "8:0 rbps=1048576"}, [("io.max", "8:0 rbps=1048576")]),
        ({"memory.oom.group": "1"}, [("memory.oom.group", "1")]),
        ({"io.weight": ["300"]}, [("io.weight", "300")]),
        # accounting switches are accepted and ignored
        ({"MemoryAccounting": "yes", "CPUAccounting": "yes", "TasksAccounting": "no"}, []),
        # order is the dict's
        (
            {"pids.max": "10", "MemoryHigh": "1K", "io.weight": "5"},
            [("pids.max", "10"), ("memory.high", "1024"), ("io.weight", "5")],
        ),
    ],
)
def test_translation(props, expected):
    assert translate_properties(props) == expected


@pytest.mark.parametrize(
    "props, expected",
    [
        ({"LimitNOFILE": "16384"}, [("rlimit:NOFILE", "16384")]),  # SystemdSpawner's README
        ({"LimitCORE": "0:infinity", "LimitAS": "2G"}, [("rlimit:CORE", "0:infinity"), ("rlimit:AS", "2G")]),
        ({"LimitNPROC": 512}, [("rlimit:NPROC", "512")]),
        ({"LimitNICE": "40"}, [("rlimit:NICE", "40")]),
    ],
)
def test_resource_limits(props, expected):
    assert translate_properties(props) == expected


@pytest.mark.parametrize(
    "props, message",
    [
        ({"PrivateNetwork": "yes"}, r"'PrivateNetwork' has no cgroup equivalent.*supported are"),
        ({"PrivateTmp": "yes"}, r"'PrivateTmp'.*isolate_tmp"),
        ({"NoNewPrivileges": "yes"}, r"disable_user_sudo"),
        ({"ReadOnlyDirectories": ["/"]}, r"readonly_paths"),
        ({"IOReadBandwidthMax": "/dev/sda 1M"}, r"io\.max"),
        ({"CPUShares": "1024"}, r"CPUWeight"),
        ({"MemoryMax": "50%"}, r"'MemoryMax'.*percentages"),
        ({"MemoryHigh": "lots"}, r"'MemoryHigh'\] = 'lots': not a size"),
        ({"TasksMax": "0"}, r"'TasksMax'.*integer from 1"),
        ({"CPUWeight": "20000"}, r"weight from 1 to 10000"),
        ({"CPUQuota": "50"}, r"percentage"),
        ({"AllowedCPUs": "all"}, r"list of CPUs"),
        ({"MemoryMax": "0"}, r"'MemoryMax'\] = '0': 0 would leave the server no memory \(--memory-max"),
        ({"CPUQuota": "500000%"}, r"more than 4096 CPUs"),
        ({"cpu.max": "max 100000"}, r"'cpu.max'\] = 'max 100000': not 'QUOTA PERIOD'"),
        ({"cgroup.procs": "1"}, r"'cgroup.procs' is not a cgroup interface file this spawner may write"),
        ({"Memory.Max": "1"}, r"not a cgroup interface file"),
        ({"io.weight": "1\n2"}, r"one non-empty line"),
        ({"io.weight": ["1", "2"]}, r"give one value, not a list of 2"),
        ({"io.weight": True}, r"must be a string"),
        ({"LimitNOFILE": "lots"}, r"'LimitNOFILE'\] = 'lots': not SOFT\[:HARD\]"),
        ({"LimitNOFILE": "16K"}, r"not SOFT\[:HARD\] \(a number or infinity\)"),
        ({"LimitNICE": "41"}, r"out of range: 0 to 40"),
        ({"LimitRTPRIO": "infinity"}, r"out of range: 0 to 99"),
        ({"ProtectProc": "hidden"}, r"'ProtectProc'\] = 'hidden': not one of default, noaccess"),
        ({"LimitFILES": "10"}, r"'LimitFILES' has no cgroup equivalent.*LimitCPU/FSIZE"),
        ({"MemoryMax": "1G", "memory.max": "2G"}, r"memory.max, which unit_extra_properties\['MemoryMax'\]"),
    ],
)
def test_rejection(props, message):
    with pytest.raises(PropertyError, match=message):
        translate_properties(props)


def test_conflict_with_typed_option():
    with pytest.raises(PropertyError, match=r"memory.max, which c.CgroupSpawner.mem_limit already sets"):
        translate_properties({"MemoryMax": "1G"}, {"memory.max": "mem_limit"})


def test_sizes():
    assert parse_systemd_size("1") == "1"
    assert parse_systemd_size("1K") == "1024"
    assert parse_systemd_size("3T") == str(3 * 1024**4)
    assert parse_systemd_size(" 2G ") == str(2 * 1024**3)
    assert parse_systemd_size("1GB") == str(1024**3)
    with pytest.raises(ValueError):
        parse_systemd_size("1Q")


def test_rejected_at_load_with_clear_error(make_spawner, launcher):
    with pytest.raises(CgroupSpawnerConfigError) as info:
        make_spawner(unit_extra_properties={"RestrictAddressFamilies": "AF_INET"})
    message = str(info.value)
    assert message.startswith("c.CgroupSpawner.unit_extra_properties: ")
    assert "RestrictAddressFamilies" in message
    assert "supported are cgroup interface files" in message and "MemoryHigh" in message
    assert info.value.jupyterhub_message == message
    assert launcher.calls() == []  # refused before running anything


def test_conflict_with_mem_limit_at_load(make_spawner, launcher):
    with pytest.raises(CgroupSpawnerConfigError, match="mem_limit already sets"):
        make_spawner(mem_limit="1G", unit_extra_properties={"MemoryLimit": "2G"})
    spawner = make_spawner(unit_extra_properties={"MemoryLimit": "2G"})
    with pytest.raises(CgroupSpawnerConfigError, match="mem_limit already sets"):
        spawner.mem_limit = "1G"  # set later: the same check
    assert launcher.calls() == []


async def test_systemdspawner_style_config_works(make_spawner, launcher):
    """A SystemdSpawner config's typical unit_extra_properties."""
    spawner = make_spawner(
        unit_extra_properties={"MemoryAccounting": "yes", "TasksMax": "100", "IOWeight": "50"},
    )
    await spawner.start()
    argv = launcher.spawn_call()["argv"]
    # TasksMax goes to cgspawn as --tasks-max: cgspawn refuses
    # --property pids.max ("is set with --tasks-max: use that flag")
    i = argv.index("--tasks-max")
    assert argv[i : i + 4] == ["--tasks-max", "100", "--property", "io.weight=50"]
    assert argv.count("--property") == 1


def test_expand_values_touches_only_string_values():
    expand = lambda text: text.replace("{USERNAME}", "bob")  # noqa: E731
    assert expand_values({"A": "{USERNAME}x", "B": ["{USERNAME}"], "C": 5, "{USERNAME}": "k"}, expand) == {
        "A": "bobx", "B": ["bob"], "C": 5, "{USERNAME}": "k"}


async def test_user_placeholders_expand_per_server(make_spawner, launcher):
    """SystemdSpawner (0.16+) expands {USERNAME}/{USERID} in property values:
    each server gets its own user's, not the stand-ins checked at load."""
    make_spawner(username="alice")  # so bob's hub id is not 1, the load-time stand-in
    spawner = make_spawner(username="bob", unit_extra_properties={
        "MemoryHigh": "{USERID}M", "LimitNOFILE": "{USERID}000"})
    uid = spawner.user.id
    assert uid != 1
    await spawner.start()
    argv = launcher.spawn_call()["argv"]
    assert f"memory.high={uid * 1024**2}" in argv
    assert argv[argv.index("--rlimit") + 1] == f"NOFILE={uid}000"


def test_user_placeholder_that_cannot_parse_is_refused_at_load(make_spawner, launcher):
    with pytest.raises(CgroupSpawnerConfigError, match=r"MemoryHigh.*'user'"):
        make_spawner(unit_extra_properties={"MemoryHigh": "{USERNAME}"})
    assert launcher.calls() == []
