"""Each option -> the exact `cgspawn spawn` argv."""

import pytest

from cgroupspawner import CgroupSpawner, CgroupSpawnerConfigError

UNIT = "jupyter-alice-singleuser"
OWNER = '["alice", ""]'  # ownership.owner_text: recorded on the unit


def spawn_argv(launcher, mid=(), *, seccomp="default", post=(), slice_=None,
               protect_proc="invisible"):
    """The exact argv of `cgspawn spawn`: mid = the options between
    --setenv-defaults and --protect-proc/--seccomp, post = those after --seccomp."""
    proc = ["--protect-proc", protect_proc] if protect_proc != "default" else []
    return (
        [str(launcher.path), "spawn", "--unit", UNIT, "--user", "alice", "--owner", OWNER]
        + (["--slice", slice_] if slice_ else [])
        + ["--env-stdin", "--setenv-defaults", "--json", *mid, *proc, "--seccomp", seccomp, *post]
        + ["--", "jupyterhub-singleuser"]
    )


async def started(make_spawner, launcher, **traits):
    spawner = make_spawner(**traits)
    await spawner.start()
    return spawner, launcher.spawn_call()["argv"]


async def test_defaults(make_spawner, launcher):
    spawner, argv = await started(make_spawner, launcher)
    assert argv == [
        str(launcher.path), "spawn", "--unit", UNIT, "--user", "alice", "--owner", OWNER,
        "--env-stdin", "--setenv-defaults", "--json", "--protect-proc", "invisible", "--seccomp",
        "default",
        "--", "jupyterhub-singleuser",
    ]
    # SystemdSpawner's defaults, except disable_user_sudo (True here)
    assert spawner.unit_name_template == "jupyter-{USERNAME}-singleuser"
    assert spawner.username_template == "{USERNAME}"
    assert spawner.user_workingdir is None
    assert spawner.extra_paths == []
    assert spawner.isolate_tmp is False
    assert spawner.isolate_devices is False
    assert spawner.protect_proc == "invisible"  # not SystemdSpawner's: README says why
    assert spawner.disable_user_sudo is True
    # declared as SystemdSpawner does (List(None, allow_none=True)), which
    # traitlets turns into an empty list: no paths either way
    assert not spawner.readonly_paths
    assert not spawner.readwrite_paths
    assert spawner.unit_extra_properties == {}
    assert spawner.dynamic_users is False
    assert spawner.slice is None
    assert spawner.mem_limit is None and spawner.cpu_limit is None


# (traits, the options they add to argv in their place)
CASES = {
    "mem_limit": ({"mem_limit": "1G"}, ["--memory-max", "1073741824"]),
    "mem_limit_bytes": ({"mem_limit": 536870912}, ["--memory-max", "536870912"]),
    "mem_guarantee": ({"mem_guarantee": "512M"}, ["--memory-low", "536870912"]),
    "mem_swap_limit": ({"mem_swap_limit": 0}, ["--memory-swap-max", "0"]),
    "cpu_limit": ({"cpu_limit": 1.5}, ["--cpu-max", "1.5"]),
    "cpu_limit_int": ({"cpu_limit": 2}, ["--cpu-max", "2"]),
    "cpu_limit_small": ({"cpu_limit": 0.05}, ["--cpu-max", "0.05"]),
    "cpu_guarantee": ({"cpu_guarantee": 0.5}, ["--cpu-weight", "50"]),
    "cpu_guarantee_max": ({"cpu_guarantee": 500}, ["--cpu-weight", "10000"]),
    "cpu_guarantee_min": ({"cpu_guarantee": 0.001}, ["--cpu-weight", "1"]),
    "tasks_limit": ({"tasks_limit": 256}, ["--tasks-max", "256"]),
    "isolate_tmp": ({"isolate_tmp": True}, ["--private-tmp"]),
    "isolate_devices": ({"isolate_devices": True}, ["--private-devices"]),
    "devices": (
        {"isolate_devices": True, "devices": ["/dev/fuse", "/dev/nvidia0"]},
        ["--private-devices", "--device", "/dev/fuse", "--device", "/dev/nvidia0"],
    ),
    "readonly_paths": (
        {"readonly_paths": ["/", "/srv/{USERNAME}/ro"]},
        ["--read-only", "/", "--read-only", "/srv/alice/ro"],
    ),
    "readwrite_paths": (
        {"readwrite_paths": ["/home/{USERNAME}", "/scratch"]},
        ["--read-write", "/home/alice", "--read-write", "/scratch"],
    ),
    "unit_extra_properties": (
        {"unit_extra_properties": {"io.weight": "200", "MemoryHigh": "2G"}},
        ["--property", "io.weight=200", "--property", "memory.high=2147483648"],
    ),
    # systemd properties of the typed limits become the typed flags (cgspawn
    # refuses --property for their files), in the properties' order
    "typed_properties": (
        {"unit_extra_properties": {"TasksMax": "100", "MemoryMax": "1G", "CPUQuota": "50%",
                                   "io.weight": "5", "CPUWeight": "200", "MemoryLow": "1M",
                                   "MemorySwapMax": "0"}},
        ["--tasks-max", "100", "--memory-max", "1073741824", "--cpu-max", "0.5",
         "--cpu-weight", "200", "--memory-low", "1048576", "--memory-swap-max", "0",
         "--property", "io.weight=5"],
    ),
    "all_limits": (
        {"mem_limit": "2G", "mem_guarantee": "1G", "mem_swap_limit": "1G", "cpu_limit": 1,
         "cpu_guarantee": 1, "tasks_limit": 100},
        ["--memory-max", "2147483648", "--memory-low", "1073741824",
         "--memory-swap-max", "1073741824", "--cpu-max", "1", "--cpu-weight", "100",
         "--tasks-max", "100"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_option_maps_to_flag(make_spawner, launcher, case):
    traits, options = CASES[case]
    _, argv = await started(make_spawner, launcher, **traits)
    assert argv == spawn_argv(launcher, options)


# options placed after --seccomp
POST_CASES = {
    "seccomp_none": ({"seccomp_profile": "none"}, "none", []),
    "seccomp_caseless": ({"seccomp_profile": "None"}, "none", []),
    "disable_user_sudo_false": ({"disable_user_sudo": False}, "default", ["--allow-new-privileges"]),
    "user_workingdir": ({"user_workingdir": "/srv/{USERNAME}"}, "default", ["--workdir", "/srv/alice"]),
    "both": (
        {"disable_user_sudo": False, "user_workingdir": "/w/{USERID}x"},
        "default",
        ["--allow-new-privileges", "--workdir", "/w/{USERID}x"],
    ),
}


@pytest.mark.parametrize("case", sorted(POST_CASES))
async def test_option_maps_to_flag_after_seccomp(make_spawner, launcher, case):
    traits, seccomp, post = POST_CASES[case]
    spawner, argv = await started(make_spawner, launcher, **traits)
    post = [p.replace("{USERID}", str(spawner.user.id)) for p in post]
    assert argv == spawn_argv(launcher, seccomp=seccomp, post=post)


async def test_slice(make_spawner, launcher):
    _, argv = await started(make_spawner, launcher, slice="students")
    assert argv == spawn_argv(launcher, slice_="students")


async def test_cgroup_root_on_every_call(make_spawner, launcher):
    spawner, argv = await started(make_spawner, launcher, cgroup_root="/sys/fs/cgroup/hub.service")
    assert argv[:4] == [str(launcher.path), "spawn", "--cgroup-root", "/sys/fs/cgroup/hub.service"]
    launcher.behave(status=[{"rc": 0, **_running()}])
    await spawner.poll()
    await spawner.stop()
    for call in launcher.calls():
        assert call["argv"][2:4] == ["--cgroup-root", "/sys/fs/cgroup/hub.service"], call["argv"]


def _running():
    from conftest import status_json

    return status_json("running")


async def test_cmd_and_args_expanded(make_spawner, launcher):
    _, argv = await started(
        make_spawner,
        launcher,
        cmd=["/opt/jh/bin/jupyterhub-singleuser"],
        args=["--debug", "--notebook-dir=/data/{USERNAME}", '--config={"a": {"b": 1}}'],
    )
    assert argv[argv.index("--") + 1 :] == [
        "/opt/jh/bin/jupyterhub-singleuser",
        "--debug",
        "--notebook-dir=/data/alice",
        '--config={"a": {"b": 1}}',
    ]


async def test_username_template(make_spawner, launcher, db):
    spawner, argv = await started(make_spawner, launcher, username_template="jh-{USERNAME}")
    assert argv[argv.index("--user") + 1] == "jh-alice"
    env = launcher.spawn_env()
    assert (env["USER"], env["HOME"]) == ("jh-alice", "/srv/jh-alice")


async def test_unknown_unix_user(make_spawner, launcher):
    spawner = make_spawner(username="carol")
    with pytest.raises(CgroupSpawnerConfigError, match="No Unix user named 'carol'"):
        await spawner.start()
    assert launcher.calls() == []  # refused before running anything


# ---- unit names ----


async def test_unit_name_default_and_named_server(make_spawner, launcher):
    default = make_spawner()
    named = make_spawner(server_name="gpu")
    assert default.unit_name == "jupyter-alice-singleuser"
    assert named.unit_name == "jupyter-alice-singleuser-gpu"
    await named.start()
    argv = launcher.spawn_call()["argv"]
    assert argv[argv.index("--unit") + 1] == "jupyter-alice-singleuser-gpu"
    assert launcher.spawn_env()["JUPYTERHUB_SERVER_NAME"] == "gpu"


async def test_unit_name_userid(make_spawner, launcher):
    spawner = make_spawner(username="bob", unit_name_template="srv-{USERID}-{USERNAME}")
    assert spawner.user.id > 0
    assert spawner.unit_name == f"srv-{spawner.user.id}-bob"
    await spawner.start()
    argv = launcher.spawn_call()["argv"]
    assert argv[argv.index("--unit") + 1] == f"srv-{spawner.user.id}-bob"


def test_unit_name_servername_placeholder(make_spawner):
    spawner = make_spawner(server_name="big", unit_name_template="jh-{USERNAME}.{SERVERNAME}")
    assert spawner.unit_name == "jh-alice.big"
    # the default server of the same template
    assert make_spawner(unit_name_template="jh-{USERNAME}.{SERVERNAME}").unit_name == "jh-alice."


def test_named_servers_never_collide(make_spawner):
    names = {make_spawner(server_name=n).unit_name for n in ("", "a", "b", "gpu")}
    assert len(names) == 4


# ---- refusals when the config loads ----


def test_devices_need_isolate_devices(make_spawner, launcher):
    with pytest.raises(CgroupSpawnerConfigError, match="devices needs c.CgroupSpawner.isolate_devices = True"):
        make_spawner(devices=["/dev/fuse"])
    spawner = make_spawner(devices=["/dev/fuse"], isolate_devices=True)  # either order
    with pytest.raises(CgroupSpawnerConfigError, match="isolate_devices"):
        spawner.isolate_devices = False
    assert spawner.isolate_devices is True  # the bad value was not kept
    assert launcher.calls() == []


@pytest.mark.parametrize(
    "traits, message",
    [
        ({"mem_limit": 0}, r"mem_limit = 0 0 would leave the server no memory \(--memory-max"),
        ({"cpu_limit": 0.001}, r"cpu_limit = 0.001 must be from 0.01 to 4096 CPUs"),
        ({"cpu_limit": 5000}, r"cpu_limit = 5000(.0)? must be from 0.01 to 4096"),
        ({"cpu_guarantee": -1}, r"cpu_guarantee = -1(.0)? must be a non-negative number"),
        ({"tasks_limit": 0}, r"tasks_limit = 0 must be from 1 to 4194304 \(--tasks-max\)"),
    ],
)
def test_bad_limits_refused_at_load(make_spawner, launcher, traits, message):
    with pytest.raises(CgroupSpawnerConfigError, match=r"c\.CgroupSpawner\." + message):
        make_spawner(**traits)
    assert launcher.calls() == []


def test_seccomp_profile_validated(make_spawner):
    from traitlets import TraitError

    with pytest.raises(TraitError):
        make_spawner(seccomp_profile="strict")


def test_cpu_weight_mapping():
    assert CgroupSpawner.cpu_weight_for(1) == 100
    assert CgroupSpawner.cpu_weight_for(2.5) == 250
    assert CgroupSpawner.cpu_weight_for(0) == 1
    assert CgroupSpawner.cpu_weight_for(1000) == 10000


def test_config_file_options_are_validated_as_it_loads(make_spawner):
    """The hub's config (not only keyword arguments), in any order."""
    from traitlets.config import Config

    config = Config()
    config.CgroupSpawner.devices = ["/dev/fuse"]
    config.CgroupSpawner.isolate_devices = True
    config.CgroupSpawner.unit_extra_properties = {"TasksMax": "10"}
    assert make_spawner(config=config).devices == ["/dev/fuse"]
    config.CgroupSpawner.tasks_limit = 5
    with pytest.raises(CgroupSpawnerConfigError, match="pids.max, which c.CgroupSpawner.tasks_limit already sets"):
        make_spawner(config=config)


@pytest.mark.parametrize("traits, flag", [
    ({"protect_proc": "default"}, None),
    ({"protect_proc": "ptraceable"}, "ptraceable"),
    ({"unit_extra_properties": {"ProtectProc": "noaccess"}}, "noaccess"),
    # the property wins over the option, as the README says
    ({"protect_proc": "default", "unit_extra_properties": {"ProtectProc": "invisible"}}, "invisible"),
], ids=["off", "option", "property", "property-wins"])
async def test_protect_proc(make_spawner, launcher, traits, flag):
    _, argv = await started(make_spawner, launcher, **traits)
    if flag is None:
        assert "--protect-proc" not in argv
    else:
        assert argv[argv.index("--protect-proc") + 1] == flag
        assert argv.count("--protect-proc") == 1 and "--property" not in argv
