"""The preflight: `cgspawn check` once per hub, and starts judged against it."""

import asyncio
import logging

import pytest
from conftest import check_json

from cgroupspawner import CgroupSpawnerConfigError

# The spawner judges a finding by its id; check, message and fix are only
# shown (the message names no spawner option: cgspawn does not know them).
MEM_FAIL = {"limit.memory.max": ("limit memory.max", "not offered by the kernel for units",
                                 "run kernel-check/check-kernel.sh for the cause")}
DELEGATION_FAIL = {
    "delegation": ("delegation",
                   "/sys/fs/cgroup/x is not delegated by systemd (no trusted.delegate xattr)",
                   "add Delegate=yes to the unit that owns it")
}


def subcommands(launcher):
    return [c["argv"][1] for c in launcher.calls(include_check=True)]


async def test_check_runs_once_before_the_first_spawn(make_spawner, launcher, caplog):
    with caplog.at_level(logging.INFO):
        await make_spawner("alice").start()
        await make_spawner("bob").start()
    subs = subcommands(launcher)
    assert subs[0] == "check" and subs.count("check") == 1, subs
    check = launcher.calls_of("check")[0]["argv"]
    assert check[1:] == ["check", "--json"]
    assert "cgspawn check: ok limit memory.max written and read back" in caplog.text
    assert "every check passed" in caplog.text


async def test_check_gets_the_cgroup_root(make_spawner, launcher):
    await make_spawner(cgroup_root="/sys/fs/cgroup/x").start()
    assert launcher.calls_of("check")[0]["argv"][1:] == [
        "check", "--cgroup-root", "/sys/fs/cgroup/x", "--json"]


async def test_concurrent_first_starts_share_one_check(make_spawner, launcher):
    await asyncio.gather(*(make_spawner(n).start() for n in ("alice", "bob", "jh-alice")))
    assert subcommands(launcher).count("check") == 1
    assert subcommands(launcher).count("spawn") == 3


async def test_unenforceable_limit_refused(make_spawner, launcher, caplog):
    launcher.behave(check=check_json(MEM_FAIL))
    spawner = make_spawner(mem_limit="1G", cpu_limit=1)
    with caplog.at_level(logging.WARNING):
        with pytest.raises(CgroupSpawnerConfigError) as e:
            await spawner.start()
    msg = str(e.value)
    assert msg.startswith("mem_limit cannot work on this host: cgspawn check: FAIL limit memory.max")
    assert "require_enforced_limits = False" in msg and "kernel-check" in msg
    assert e.value.jupyterhub_message == msg
    assert subcommands(launcher) == ["check"]  # nothing ran unlimited
    assert "cgspawn check: FAIL limit memory.max" in caplog.text


async def test_failure_of_an_unused_feature_does_not_refuse(make_spawner, launcher):
    launcher.behave(check=check_json(MEM_FAIL))
    await make_spawner(cpu_limit=1).start()
    assert "--cpu-max" in launcher.spawn_call()["argv"]


async def test_opt_out_drops_only_what_cannot_work(make_spawner, launcher, caplog):
    launcher.behave(check=check_json(MEM_FAIL))
    spawner = make_spawner(mem_limit="1G", cpu_limit=1, require_enforced_limits=False)
    with caplog.at_level(logging.WARNING):
        await spawner.start()
    argv = launcher.spawn_call()["argv"]
    assert "--memory-max" not in argv
    assert argv[argv.index("--cpu-max") + 1] == "1"
    assert "starting without mem_limit (require_enforced_limits = False)" in caplog.text


@pytest.mark.parametrize(
    "finding, traits, flag, kept",
    [
        ("isolation.mount_namespace", {"isolate_tmp": True}, "--private-tmp", None),
        ("isolation.mount_namespace", {"readonly_paths": ["/"]}, "--read-only", None),
        ("isolation.seccomp", {}, "default", "none"),
    ],
)
async def test_isolation_failures(make_spawner, launcher, finding, traits, flag, kept):
    failed = {finding: (finding, "failed", "")}
    launcher.behave(check=check_json(failed))
    with pytest.raises(CgroupSpawnerConfigError, match="cannot work on this host"):
        await make_spawner(**traits).start()
    assert launcher.calls_of("spawn") == []

    launcher.behave(check=check_json(failed))
    await make_spawner(require_enforced_limits=False, **traits).start()
    argv = launcher.spawn_call()["argv"]
    assert flag not in argv
    if kept:
        assert argv[argv.index("--seccomp") + 1] == kept


async def test_base_failure_refuses_any_start(make_spawner, launcher):
    launcher.behave(check=check_json(DELEGATION_FAIL))
    with pytest.raises(CgroupSpawnerConfigError, match="the spawn cannot work.*no trusted.delegate xattr\); add Delegate=yes"):
        await make_spawner().start()
    assert launcher.calls_of("spawn") == []


async def test_base_failure_with_opt_out_tries_the_spawn(make_spawner, launcher, caplog):
    launcher.behave(check=check_json(DELEGATION_FAIL))
    with caplog.at_level(logging.WARNING):
        await make_spawner(require_enforced_limits=False).start()
    assert len(launcher.calls_of("spawn")) == 1
    assert "starting anyway (require_enforced_limits = False): cgspawn check: FAIL delegation" in caplog.text


async def test_check_that_cannot_run_is_retried(make_spawner, launcher):
    launcher.behave(check=[{"rc": 2, "stderr": "cgspawn: error: find the delegated cgroup: nope\n"},
                           check_json()])
    with pytest.raises(CgroupSpawnerConfigError, match="`cgspawn check` failed.*nope"):
        await make_spawner().start()
    assert launcher.calls_of("spawn") == []
    await make_spawner().start()  # not remembered: the next start checks again
    assert subcommands(launcher).count("check") == 2


async def test_check_exit_2_with_its_verdict(make_spawner, launcher):
    launcher.behave(check=check_json({"root": ("find the delegated cgroup", "/x: no such cgroup", "")}, rc=2))
    with pytest.raises(CgroupSpawnerConfigError,
                       match="the spawn cannot work.*FAIL find the delegated cgroup: /x: no such"):
        await make_spawner().start()


async def test_check_that_cannot_run_with_opt_out(make_spawner, launcher):
    launcher.behave(check={"rc": 0, "stdout": "not json"})
    await make_spawner(mem_limit="1G", require_enforced_limits=False).start()
    assert "--memory-max" in launcher.spawn_call()["argv"]


async def test_a_property_of_a_typed_limit_is_judged_like_its_option(make_spawner, launcher):
    """TasksMax is --tasks-max: a failed limit.pids.max refuses it too, and
    the opt-out drops it."""
    failed = {"limit.pids.max": ("limit pids.max", "wrote '50', read back 'max'", "")}
    launcher.behave(check=check_json(failed))
    with pytest.raises(CgroupSpawnerConfigError, match="^tasks_limit cannot work on this host"):
        await make_spawner(unit_extra_properties={"TasksMax": "100", "io.weight": "5"}).start()
    launcher.behave(check=check_json(failed))
    await make_spawner(require_enforced_limits=False,
                       unit_extra_properties={"TasksMax": "100", "io.weight": "5"}).start()
    argv = launcher.spawn_call()["argv"]
    assert "--tasks-max" not in argv and "io.weight=5" in argv


@pytest.mark.parametrize(
    "finding, refused",
    [("controller.io", False), ("controller.hugetlb", False), ("units", True), ("isolation.move", True),
     ("something.new", True)],
)
async def test_findings_no_option_names(make_spawner, launcher, finding, refused):
    """A controller no limit uses breaks nothing; any other finding the
    table does not name is one every spawn needs."""
    launcher.behave(check=check_json({finding: (finding, "failed", "")}))
    spawner = make_spawner(mem_limit="1G")
    if refused:
        with pytest.raises(CgroupSpawnerConfigError, match=f"^the spawn cannot work.*FAIL {finding}"):
            await spawner.start()
    else:
        await spawner.start()
        assert len(launcher.calls_of("spawn")) == 1


# D delegated (Delegate=yes) but never laid out: the one change a migrating
# admin makes to the hub's unit (issue 16), cgspawn check's "units" finding.
UNITS_FAIL = {"units": ("units directory",
                        "open users cgroup: D/users: No such file or directory (the delegated subtree"
                        " is not initialised: run `cgspawn init` first)",
                        "run `cgspawn init --cgroup-root D` (ExecStartPost= of its unit)")}
INIT_SAYS = "cgspawn: info: initialised D: hub in D/hub, units under D/users, controllers: cpu memory pids\n"


async def test_a_root_hub_initialises_an_uninitialised_delegated_root_once(make_spawner, launcher, caplog):
    launcher.behave(check=[check_json(UNITS_FAIL), check_json()], init={"rc": 0, "stderr": INIT_SAYS})
    with caplog.at_level(logging.INFO):
        await make_spawner("alice", cgroup_root="/sys/fs/cgroup/x").start()
        await make_spawner("bob", cgroup_root="/sys/fs/cgroup/x").start()
    subs = [s for s in subcommands(launcher) if s != "status"]
    assert subs == ["check", "init", "check", "spawn", "spawn"], subcommands(launcher)
    assert launcher.calls_of("init")[0]["argv"][1:] == ["init", "--cgroup-root", "/sys/fs/cgroup/x"]
    assert caplog.text.count("ran `cgspawn init` for this hub") == 1
    assert "initialised D: hub in D/hub" in caplog.text


@pytest.mark.parametrize("failed", [{**UNITS_FAIL, **DELEGATION_FAIL}], ids=["not-delegated"])
async def test_no_init_where_it_cannot_help(make_spawner, launcher, failed):
    launcher.behave(check=check_json(failed))
    with pytest.raises(CgroupSpawnerConfigError, match="the spawn cannot work"):
        await make_spawner().start()
    assert "init" not in subcommands(launcher)


async def test_a_sudo_hub_leaves_init_to_root(make_spawner, launcher, fake_sudo):
    launcher.behave(check=check_json(UNITS_FAIL))
    with pytest.raises(CgroupSpawnerConfigError, match="the spawn cannot work.*run `cgspawn init"):
        await make_spawner(sudo=True).start()
    assert "init" not in subcommands(launcher)


async def test_a_failed_init_leaves_the_checks_verdict(make_spawner, launcher, caplog):
    launcher.behave(check=check_json(UNITS_FAIL),
                    init={"rc": 1, "stderr": "cgspawn: error: check delegation: D/cgroup.procs: denied\n"})
    with caplog.at_level(logging.WARNING):
        with pytest.raises(CgroupSpawnerConfigError, match="the spawn cannot work.*run `cgspawn init"):
            await make_spawner().start()
    assert "`cgspawn init` failed" in caplog.text and "D/cgroup.procs: denied" in caplog.text
    assert launcher.calls_of("spawn") == []
