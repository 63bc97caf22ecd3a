"""c.SystemdSpawner.* settings apply to CgroupSpawner (issue 16): the
one-line switch keeps a SystemdSpawner config's limits and isolation, and
c.CgroupSpawner.* wins where both sections set an option."""

import logging
import pwd

from real_cgspawn import run
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


def test_the_real_cgspawn_takes_that_argv(make_spawner, tmp_path):
    root = str(tmp_path / "no-such-cgroup")
    theirs = spawner_from(make_spawner, {"SystemdSpawner": {**SYSTEMD_SETTINGS, "cgroup_root": root}})
    rc, _, err = run(*theirs.build_spawn_argv(PW)[1:])
    assert rc == 2 and f"resolve --cgroup-root: {root}" in err, err


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
