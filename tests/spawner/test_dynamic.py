"""dynamic_users (cgspawn --dynamic-user) and slice_limits (cgspawn slice set)."""

import itertools
import re

import pytest

from cgroupspawner import CgroupSpawnerConfigError
from cgroupspawner.dynamic import dynamic_user_name

# cgspawn's rule for a dynamic user's name (launcher/dynamic_users/dynamic_users.cpp)
CGSPAWN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")

# ---- the name mapping ----


@pytest.mark.parametrize("name", ["alice", "_svc", "a.b_c9", "x" * 32])
def test_plain_names_are_kept(name):
    assert dynamic_user_name(name) == name


@pytest.mark.parametrize(
    "hub_name, expected",
    [
        ("first-last", "first-2dlast"),
        ("ann@example.org", "ann-40example.org"),
        ("Bob", "_-42ob"),
        ("1abc", "_-31abc"),
        ("_-x", "_-5f-2dx"),
        ("-x", "_-2dx"),
        ("zoë", "zo-c3-ab"),
    ],
)
def test_escaped_names(hub_name, expected):
    assert dynamic_user_name(hub_name) == expected


def test_long_names_are_hashed_and_fit():
    long1 = "a.very.long.name.of.somebody@some.university.example.org"
    long2 = long1.replace("somebody", "somebodx")
    n1, n2 = dynamic_user_name(long1), dynamic_user_name(long2)
    assert len(n1) == 32 and CGSPAWN_NAME.fullmatch(n1)
    assert n1 != n2 and n1[:14] == n2[:14]
    assert "-H" in n1


def test_mapping_is_injective_and_always_valid():
    # Short names over an alphabet with every kind of character the escaping
    # treats differently, plus names built to look like other names' escapes.
    alphabet = ["a", "Z", "0", "_", ".", "-", "@", "é", "H"]
    names = {"".join(p) for n in range(1, 4) for p in itertools.product(alphabet, repeat=n)}
    names |= {"a-40b", "a@b", "_-40", "@", "x" * 33, "x" * 34, "-H" + "0" * 16, "ab-Hff"}
    seen = {}
    for name in names:
        out = dynamic_user_name(name)
        assert CGSPAWN_NAME.fullmatch(out), (name, out)
        assert out not in seen, f"{name!r} and {seen[out]!r} both map to {out!r}"
        seen[out] = name


# ---- the spawner with dynamic_users ----


async def test_dynamic_user_spawn(make_spawner, launcher):
    # "zed" has no passwd entry (conftest's fake passwd): no lookup happens
    spawner = make_spawner("zed", dynamic_users=True, default_shell="/bin/sh",
                           user_workingdir="/srv/{USERNAME}", username_template="jh-{USERNAME}")
    await spawner.start()
    argv = launcher.spawn_call()["argv"]
    i = argv.index("--user")
    assert argv[i + 1] == "zed"
    assert argv[i + 2:i + 8] == ["--owner", '["zed", ""]', "--dynamic-user", "--dynamic-user-shell",
                                 "/bin/sh", "--env-stdin"]
    # SystemdSpawner's semantics: the state directory is the working directory
    assert "--workdir" not in argv and "--dynamic-user-range" not in argv
    assert "--dynamic-user-state" not in argv
    env = launcher.spawn_env()
    # cgspawn's --setenv-defaults gives HOME and USER of the dynamic user
    assert "HOME" not in env and "USER" not in env
    assert env["SHELL"] == "/bin/sh" and env["JUPYTERHUB_USER"] == "zed"


async def test_dynamic_user_escaped_name_and_range(make_spawner, launcher):
    spawner = make_spawner("ann@example.org", dynamic_users=True, dynamic_user_range="30000-30999",
                           dynamic_user_state="/srv/dyn")
    await spawner.start()
    argv = launcher.spawn_call()["argv"]
    assert argv[argv.index("--user") + 1] == "ann-40example.org"
    assert argv[argv.index("--dynamic-user-range") + 1] == "30000-30999"
    assert argv[argv.index("--dynamic-user-state") + 1] == "/srv/dyn"
    # the unit name is the template's, the hub name escaped (slugs.py)
    assert argv[argv.index("--unit") + 1] == "jupyter-ann_40example_2eorg-singleuser"


async def test_missing_account_points_at_dynamic_users(make_spawner, launcher):
    with pytest.raises(CgroupSpawnerConfigError, match="No Unix user named 'zed'.*dynamic_users = True"):
        await make_spawner("zed").start()
    assert launcher.calls(include_check=True) == []


# ---- slice_limits ----

STUDENTS = {"students": {"mem_limit": "4G", "cpu_limit": 2.5, "tasks_limit": 500}}


async def test_slice_limits_set_before_the_spawn(make_spawner, launcher):
    await make_spawner(slice="students", slice_limits=STUDENTS, cgroup_root="/D").start()
    calls = [c["argv"][1:] for c in launcher.calls()]
    assert calls[0] == ["slice", "set", "--cgroup-root", "/D", "students",
                        "--memory-max", str(4 << 30), "--cpu-max", "2.5", "--tasks-max", "500"]
    assert calls[2][0] == "spawn" and "--slice" in calls[2]


async def test_slice_without_limits_entry(make_spawner, launcher):
    await make_spawner(slice="staff", slice_limits=STUDENTS).start()
    await make_spawner("bob", slice_limits=STUDENTS).start()  # no slice at all
    assert launcher.calls_of("slice") == []


@pytest.mark.parametrize(
    "limits, message",
    [
        ({"memory": "4G"}, r"unknown limit\(s\) 'memory': use mem_limit, "),
        ({"mem_limit": "lots"}, r"\['mem_limit'\] = 'lots' is not a size"),
        ({"cpu_limit": "2"}, r"\['cpu_limit'\] = '2' must be a non-negative number"),
        ({"tasks_limit": 2.5}, r"\['tasks_limit'\] = 2.5 must be a non-negative integer"),
        ({"tasks_limit": True}, r"must be a non-negative integer"),
        ("8G", r"\['students'\] must be a dict of limits"),
    ],
)
def test_bad_slice_limits_refused_at_load(make_spawner, launcher, limits, message):
    with pytest.raises(CgroupSpawnerConfigError, match=message):
        make_spawner(slice="students", slice_limits={"students": limits})
    assert launcher.calls(include_check=True) == []


@pytest.mark.parametrize("value", ["20000", "3-2", "a-b", "20000-29999x"])
def test_bad_dynamic_user_range_refused_at_load(make_spawner, value):
    with pytest.raises(CgroupSpawnerConfigError,
                       match=rf"c.CgroupSpawner.dynamic_user_range = '{value}' is not a uid range"):
        make_spawner(dynamic_users=True, dynamic_user_range=value)


async def test_slice_set_failure_stops_the_start(make_spawner, launcher):
    launcher.behave(slice={"rc": 4, "stderr": "cgspawn: refused by policy (slice memory.max): too big\n"})
    from cgroupspawner import LauncherError

    with pytest.raises(LauncherError, match="refused by policy"):
        await make_spawner(slice="students", slice_limits=STUDENTS).start()
    assert launcher.calls_of("spawn") == []
