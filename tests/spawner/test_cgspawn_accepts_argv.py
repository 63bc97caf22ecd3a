"""The argv the spawner builds, parsed by the real `cgspawn spawn`.

The spawn must stop before it creates anything, so it is steered into a bad
request after the step under test:
- everywhere: a --cgroup-root that does not exist, refused after the command
  line parsed, so CLI11 took every flag the builder emits;
- where a cgroup2 filesystem is mounted (CI hosts, the guest): a real cgroup
  directory and a user that does not exist, refused at the user lookup,
  which comes after the limit plan, so cgspawn also took every limit value
  (and no typed limit's file arrived as --property, which it refuses).
"""

import os
import pwd

import pytest
from real_cgspawn import cgroup2_child, run  # noqa: F401 (a fixture)

NO_USER = "cgspawn-contract-nobody"
EVERYTHING = dict(
    mem_limit="1G", mem_guarantee="256M", mem_swap_limit=0, cpu_limit=1.5, cpu_guarantee=0.5,
    tasks_limit=200, isolate_tmp=True, isolate_devices=True, devices=["/dev/fuse"],
    readonly_paths=["/usr"], readwrite_paths=["/tmp"], disable_user_sudo=False,
    user_workingdir="/tmp", log_target="stderr", slice="students", seccomp_profile="none",
    internal_ssl=True,
    unit_extra_properties={"io.weight": "200", "MemoryHigh": "2G"},
)
BY_PROPERTY = dict(
    unit_extra_properties={"MemoryMax": "1G", "MemoryLow": "1M", "MemorySwapMax": "infinity",
                           "CPUQuota": "50%", "CPUWeight": "300", "TasksMax": "100",
                           "LimitNOFILE": "16384", "LimitCORE": "0:infinity", "LimitAS": "2G",
                           "ProtectProc": "ptraceable"},
)
DYNAMIC = dict(dynamic_users=True, dynamic_user_range="20000-29999", dynamic_user_state="/var/lib/x")


def real_argv(make_spawner, cgroup_root, traits):
    spawner = make_spawner(cgroup_root=cgroup_root, **traits)
    pw = pwd.struct_passwd((NO_USER, "x", 4000, 4000, "", "/nonexistent", "/bin/sh"))
    argv = spawner.build_spawn_argv(pw)
    assert argv[1] == "spawn"
    return argv[1:]  # the real binary instead of the fake launcher


@pytest.mark.parametrize("traits", [EVERYTHING, BY_PROPERTY, DYNAMIC], ids=["all", "props", "dynamic"])
def test_every_flag_parses(make_spawner, traits, tmp_path):
    root = str(tmp_path / "no-such-cgroup")
    rc, _, err = run(*real_argv(make_spawner, root, traits))
    assert rc == 2 and f"resolve --cgroup-root: {root}" in err, err


@pytest.mark.parametrize("traits", [EVERYTHING, BY_PROPERTY], ids=["all", "props"])
def test_every_limit_value_is_planned(make_spawner, traits, cgroup2_child):
    rc, _, err = run(*real_argv(make_spawner, cgroup2_child, traits))
    assert rc == 2 and "user lookup" in err and NO_USER in err, err


async def test_the_stop_argv_parses(make_spawner, launcher, tmp_path):
    """`stop UNIT --timeout T --owner TEXT` as the spawner sends it (through
    the fake launcher, whose record is replayed into the real binary)."""
    root = str(tmp_path / "no-such-cgroup")
    spawner = make_spawner(username="Zoë", cgroup_root=root, dynamic_users=True)
    await spawner.start()
    await spawner.stop()
    [stop] = launcher.calls_of("stop")
    assert "--owner" in stop["argv"]
    rc, _, err = run(*stop["argv"][1:])
    assert rc == 2 and f"resolve --cgroup-root: {root}" in err, err
