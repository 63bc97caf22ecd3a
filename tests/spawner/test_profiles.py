"""Resource profiles (issue 18): checked at load, offered per group, chosen
only by name (form or REST body), applied for one start and undone for the
next, and planned by the real cgspawn."""

import logging

import pytest
from jupyterhub import orm
from real_cgspawn import planned

from cgroupspawner import CgroupSpawnerConfigError
from cgroupspawner.profiles import ProfileError, available, check_profiles, choose, form_html

PROFILES = [
    {"name": "small", "display_name": "Small", "description": "1 GiB, 1 CPU", "default": True,
     "options": {"mem_limit": "1G", "cpu_limit": 1}},
    {"name": "large", "display_name": "Large", "groups": ["staff"],
     "options": {"mem_limit": "8G", "cpu_limit": 4, "tasks_limit": 500}},
    {"name": "gpu", "groups": ["gpu-users"], "options": {"isolate_devices": True,
                                                          "devices": ["/dev/null"]}},
]


@pytest.fixture
def in_groups(db):
    """in_groups(spawner, *names): its hub user joins those groups, until
    the test ends (the database is the session's)."""
    members = []

    def join(spawner, *names):
        for name in names:
            group = orm.Group.find(db, name) or orm.Group(name=name)
            db.add(group)
            spawner.user.orm_user.groups.append(group)
        db.commit()
        members.append(spawner.user.orm_user)
        return spawner

    yield join
    for user in members:
        user.groups = []
    db.commit()


def flag(argv, name):
    return argv[argv.index(name) + 1] if name in argv else None


@pytest.mark.parametrize("bad, says", [
    ([{"display_name": "x"}], "needs a 'name'"),
    ([{"name": "a", "cpu": 2}], "unknown key 'cpu'"),
    ([{"name": "a", "options": {"cmd": ["/bin/sh"]}}], "cannot set 'cmd'"),
    ([{"name": "a"}, {"name": "a"}], "used twice"),
    ([{"name": "a", "groups": "staff"}], "'groups' must be a list"),
])
def test_a_bad_profile_list_is_refused_naming_the_entry(bad, says):
    with pytest.raises(ProfileError, match=says):
        check_profiles(bad)


def test_a_bad_value_fails_at_load(make_spawner):
    with pytest.raises(CgroupSpawnerConfigError, match=r"profiles \('big'\) mem_limit"):
        make_spawner(profiles=[{"name": "big", "options": {"mem_limit": "lots"}}])
    with pytest.raises(CgroupSpawnerConfigError, match=r"profiles\[0\] \('x'\) cannot set 'cmd'"):
        make_spawner(profiles=[{"name": "x", "options": {"cmd": ["sh"]}}])


def test_choices_follow_the_groups():
    profiles = check_profiles(PROFILES)
    assert [p["name"] for p in available(profiles, [])] == ["small"]
    assert [p["name"] for p in available(profiles, ["staff"])] == ["small", "large"]
    assert choose(profiles, ["staff"], None)["name"] == "small"  # the default
    assert choose(profiles, ["staff"], "large")["name"] == "large"
    assert choose([], ["staff"], "large") is None  # no profiles: nothing to choose


@pytest.mark.parametrize("requested", ["large", "LARGE", "../small", {"mem_limit": "100G"}, 7])
def test_only_a_name_the_user_may_use_is_accepted(requested):
    with pytest.raises(ProfileError, match="is not one you may use: choose one of 'small'$"):
        choose(check_profiles(PROFILES), ["students"], requested)


def test_the_form_lists_the_choices_escaped():
    hostile = [{"name": 'x"><script>', "display_name": "<b>X</b>", "groups": [], "options": {}},
               {"name": "y", "groups": [], "options": {}, "default": True}]
    form = form_html(hostile)
    assert "<script>" not in form and "&lt;b&gt;X&lt;/b&gt;" in form
    assert 'value="x&quot;&gt;&lt;script&gt;"' in form
    assert 'value="y" checked' in form
    assert form_html(hostile[:1]) == ""  # one choice: no form


async def test_the_spawn_form_shows_the_users_profiles(make_spawner, in_groups):
    alice = in_groups(make_spawner(profiles=PROFILES), "staff")
    form = await alice.get_options_form()
    assert 'value="small" checked' in form and 'value="large"' in form and "gpu" not in form
    bob = make_spawner(username="bob", profiles=PROFILES)
    assert await bob.get_options_form() == ""  # only "small": started without a form


def test_the_form_answer_is_checked_at_once(make_spawner, in_groups):
    alice = in_groups(make_spawner(profiles=PROFILES), "staff")
    assert alice.run_options_from_form({"profile": ["large"]}) == {"profile": "large"}
    with pytest.raises(ProfileError, match="'gpu' is not one you may use"):
        alice.run_options_from_form({"profile": ["gpu"]})


async def test_a_profile_applies_for_its_start_only(make_spawner, launcher, in_groups, caplog):
    caplog.set_level(logging.INFO)
    spawner = in_groups(make_spawner(profiles=PROFILES, tasks_limit=100), "staff")
    spawner.user_options = {"profile": "large", "mem_limit": "100G"}  # a raw value is ignored
    await spawner.start()
    await spawner.stop()
    spawner.user_options = {}
    await spawner.start()
    await spawner.stop()
    large, small = [c["argv"] for c in launcher.calls_of("spawn")]
    assert (flag(large, "--memory-max"), flag(large, "--cpu-max")) == (str(8 << 30), "4")
    assert flag(large, "--tasks-max") == "500"
    assert (flag(small, "--memory-max"), flag(small, "--cpu-max")) == (str(1 << 30), "1")
    assert flag(small, "--tasks-max") == "100"  # the configured value again
    assert "starts with profile 'large' (Large)" in caplog.text


async def test_a_forbidden_choice_fails_the_start_naming_the_choices(make_spawner, launcher):
    spawner = make_spawner(profiles=PROFILES)
    spawner.user_options = {"profile": "large"}
    with pytest.raises(CgroupSpawnerConfigError, match="'large' is not one you may use"):
        await spawner.start()
    assert not launcher.calls_of("spawn")


async def test_the_real_cgspawn_plans_the_chosen_profile(make_spawner, launcher, in_groups):
    spawner = in_groups(make_spawner(profiles=PROFILES,
                                             cgroup_root="/nonexistent/x"), "staff")
    spawner.user_options = {"profile": "large"}
    plan = await planned(spawner, launcher)
    assert plan["limits"] == {"memory.max": str(8 << 30), "cpu.max": "400000 100000",
                              "pids.max": "500"}


async def test_the_progress_names_the_profile_and_a_refused_choice(make_spawner, launcher,
                                                                    in_groups):
    spawner = in_groups(make_spawner(profiles=PROFILES), "staff")
    spawner.user_options = {"profile": "large"}
    await spawner.start()
    await spawner.stop()
    assert "Profile Large (large)" in [e["message"] for e in spawner._progress.events]
    spawner.user_options = {"profile": "gpu"}
    with pytest.raises(CgroupSpawnerConfigError):
        await spawner.start()
    last = spawner._progress.events[-1]["message"]
    assert last.startswith("Spawn failed at choosing the profile: profile 'gpu'"), last
