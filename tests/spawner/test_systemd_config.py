"""c.SystemdSpawner.* settings apply to CgroupSpawner (issue 16): the
one-line switch keeps a SystemdSpawner config's limits and isolation, and
c.CgroupSpawner.* wins where both sections set an option."""

import logging
import os
import pwd

import pytest
from conftest import FAKE_USERS
from real_cgspawn import mounts, planned
from traitlets.config import Config

from cgroupspawner import CgroupSpawner

# SystemdSpawner's README settings (and The Littlest JupyterHub's template).
SYSTEMD_SETTINGS = dict(
    mem_limit="4G", cpu_limit=2.0, user_workingdir="/home/{USERNAME}", default_shell="/bin/bash",
    extra_paths=["/home/{USERNAME}/conda/bin"], unit_name_template="jupyter-{USERNAME}",
    isolate_tmp=True, isolate_devices=True, disable_user_sudo=True, readonly_paths=["/"],
    readwrite_paths=["/home/{USERNAME}"],
    unit_extra_properties={"TasksMax": "200", "LimitNOFILE": "16384"},
)
PW = pwd.struct_passwd(("alice", "x", 1001, 1001, "Alice", "/home/alice", "/bin/zsh"))


def spawner_from(make_spawner, sections):
    config = Config()
    for section, settings in sections.items():
        for name, value in settings.items():
            setattr(config[section], name, value)
    return make_spawner(config=config)


def test_a_systemdspawner_section_gives_the_same_argv_as_our_own(make_spawner):
    theirs = spawner_from(make_spawner, {"SystemdSpawner": SYSTEMD_SETTINGS})
    ours = spawner_from(make_spawner, {"CgroupSpawner": SYSTEMD_SETTINGS})
    argv = theirs.build_spawn_argv(PW)
    assert argv == ours.build_spawn_argv(PW)
    for flag, value in [("--memory-max", "4294967296"), ("--cpu-max", "2"), ("--tasks-max", "200"),
                        ("--unit", "jupyter-alice"), ("--read-only", "/"),
                        ("--rlimit", "NOFILE=16384")]:
        assert argv[argv.index(flag) + 1] == value, (flag, argv)
    assert "--private-tmp" in argv and "--private-devices" in argv


ANN = "cgspawnann"  # plain a-z: kept as it is in the unit name


@pytest.fixture
def ann_home(monkeypatch):
    """A hub user whose /home/NAME exists for the test (cgspawn resolves
    --read-write paths when it plans): made here, removed after."""
    home = f"/home/{ANN}"
    if os.geteuid() != 0:
        pytest.skip("needs root to make /home/" + ANN)
    monkeypatch.setitem(FAKE_USERS, ANN, (ANN, "x", 3001, 3001, "", home, "/bin/bash"))
    monkeypatch.setitem(FAKE_USERS, f"jupyter-{ANN}", (f"jupyter-{ANN}", "x", 3002, 3002, "",
                                                       f"/home/jupyter-{ANN}", "/bin/bash"))
    os.makedirs(home, exist_ok=False)
    try:
        yield ANN
    finally:
        os.rmdir(home)


async def test_the_real_cgspawn_plans_that_config(make_spawner, launcher, ann_home):
    config = Config()
    for name, value in SYSTEMD_SETTINGS.items():
        setattr(config.SystemdSpawner, name, value)
    config.SystemdSpawner.cgroup_root = "/nonexistent/cgspawn-contract-root"
    plan = await planned(make_spawner(username=ann_home, config=config), launcher)
    assert plan["unit"] == f"jupyter-{ann_home}"
    assert plan["limits"] == {"memory.max": str(4 << 30), "cpu.max": "200000 100000",
                              "pids.max": "200"}
    assert plan["rlimits"] == {"NOFILE": {"soft": 16384, "hard": 16384}}
    assert mounts(plan)[:2] == [("PrivateTmp", "/tmp"), ("PrivateDevices", "/dev")]
    assert mounts(plan)[-2:] == [("ReadWritePaths", f"/home/{ann_home}"), ("ReadOnlyPaths", "/")]
    assert plan["no_new_privs"] and plan["workdir"] == f"/home/{ann_home}"


def test_our_own_section_wins_where_both_set_an_option(make_spawner):
    spawner = spawner_from(make_spawner, {
        "SystemdSpawner": {"mem_limit": "4G", "isolate_tmp": True},
        "CgroupSpawner": {"mem_limit": "1G"},
    })
    assert spawner.mem_limit == 1 << 30
    assert spawner.isolate_tmp is True


def test_reading_the_systemdspawner_section_is_said_once(make_spawner, caplog, monkeypatch):
    monkeypatch.setattr(CgroupSpawner, "_said_systemd_section", False)
    caplog.set_level(logging.INFO)
    for _ in range(2):
        spawner_from(make_spawner, {"SystemdSpawner": {"isolate_tmp": True}})
    assert caplog.text.count("CgroupSpawner reads c.SystemdSpawner.*") == 1


def test_the_readme_worked_example_maps_as_it_says(make_spawner):
    """The migration section's example config, run as a config file is."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("A worked example:", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    config = Config()
    exec(block, {"c": config})  # noqa: S102 (the project's own README)
    assert config.JupyterHub.spawner_class == "cgroup"
    argv = make_spawner(config=config).build_spawn_argv(PW)
    for flag, value in [("--memory-max", str(1 << 30)), ("--cpu-max", "1"), ("--read-only", "/"),
                        ("--read-write", "/home/alice"), ("--rlimit", "NOFILE=16384")]:
        assert argv[argv.index(flag) + 1] == value, (flag, argv)
    assert "--private-tmp" in argv and "--private-devices" in argv
    assert "--allow-new-privileges" not in argv
