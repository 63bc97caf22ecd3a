"""Spawn progress (progress.py, Spawner.progress): the limits in words, and
the events a start records, against a fake cgspawn: order, percentages that
only grow, the host check on the first spawn only, the failure event."""

import asyncio

import pytest
from conftest import check_json, status_json

from cgroupspawner import LauncherError
from cgroupspawner.progress import (SpawnProgress, bytes_in_words, limits_in_words,
                                    slice_limits_in_words, status_limits_in_words, waiting_event)

UNIT = "jupyter-alice-singleuser"
LIMITED = status_json("running", memory_max="536870912", cpu_max="100000 100000", pids_max="256")


# ---- the pure part ----


@pytest.mark.parametrize("n, words", [
    (536870912, "512 MiB"), (1610612736, "1.5 GiB"), (1000, "1000 bytes"), (1024, "1 KiB"),
    (2 << 40, "2 TiB"), (123456789, "117.7 MiB"),
])
def test_bytes_in_words(n, words):
    assert bytes_in_words(n) == words


def test_limits_in_words():
    assert limits_in_words(536870912, 1, 256) == "512 MiB, 1 CPU, 256 tasks"
    assert limits_in_words(2 << 30, 1.5, None) == "2 GiB, 1.5 CPUs"
    assert limits_in_words("max", "max", "max") == "no memory limit, no CPU limit, no task limit"
    assert limits_in_words() == "no limits"


def test_status_limits_in_words():
    doc = {"memory_max": "536870912", "cpu_max": "100000 100000", "pids_max": "256"}
    assert status_limits_in_words(doc) == "512 MiB, 1 CPU, 256 tasks"
    doc = {"memory_max": "max", "cpu_max": "max 100000", "pids_max": "max"}
    assert status_limits_in_words(doc) == "no memory limit, no CPU limit, no task limit"
    # a controller not enabled (null) is left out, never called a limit
    doc = {"memory_max": "268435456", "cpu_max": "25000 100000", "pids_max": None}
    assert status_limits_in_words(doc) == "256 MiB, 0.25 CPUs"
    # words only: what they cannot read is shown as it is, never an error
    doc = {"memory_max": "lots", "cpu_max": "1 0", "pids_max": 5}
    assert status_limits_in_words(doc) == "limits memory.max=lots cpu.max=1 0 pids.max=5"


def test_slice_limits_in_words():
    args = ["students", "--memory-max", str(16 << 30), "--cpu-max", "4", "--tasks-max", "2000"]
    assert slice_limits_in_words(args) == "16 GiB, 4 CPUs, 2000 tasks"
    assert slice_limits_in_words(["s", "--cpu-weight", "200"]) == "no limits"


def test_waiting_event_grows_and_stays_below_100():
    seen = [waiting_event("127.0.0.1:1", t, 30)["progress"] for t in (0, 5, 15, 30, 300)]
    assert seen == sorted(seen) and seen[0] == 70 and seen[-1] == 95
    assert "10 s so far" in waiting_event("127.0.0.1:1", 10.4, 30)["message"]


# ---- the recorder ----


async def collect(progress, timeout=5):
    out = []

    async def run():
        async for item in progress.follow():
            out.append(item)

    try:
        await asyncio.wait_for(run(), timeout)
    except asyncio.TimeoutError:
        pass
    return out


async def test_follow_reports_the_wait_with_a_clock():
    now = [100.0]
    progress = SpawnProgress(clock=lambda: now[0], update_seconds=0.01)
    progress.step("s", 30, "Starting")
    progress.waiting("127.0.0.1:8888", 60)
    seen = []

    async def consume():
        async for item in progress.follow():
            seen.append(item)
            now[0] += 6
            if len(seen) == 5:
                return

    await asyncio.wait_for(consume(), 5)
    assert [e["message"] for e in seen[:2]] == [
        "Starting", "Waiting for the server to answer at 127.0.0.1:8888"]
    assert [e["message"].rsplit(": ", 1)[1] for e in seen[2:]] == [
        "12 s so far", "18 s so far", "24 s so far"]  # the clock moves 6 s per event
    assert_growing(seen)


async def test_a_consumer_that_came_first_sees_every_event_as_it_happens():
    progress = SpawnProgress()
    consumer = asyncio.ensure_future(collect(progress))
    await asyncio.sleep(0.05)
    progress.step("a", 10, "one")
    await asyncio.sleep(0.05)
    progress.step("b", 20, "two")
    progress.fail(RuntimeError("boom"))
    seen = await consumer
    assert [e["message"] for e in seen] == ["one", "two", "Spawn failed at b: boom"]


# ---- the spawner ----


def messages(events):
    return [e["message"] for e in events]


def assert_growing(events):
    values = [e["progress"] for e in events]
    assert values == sorted(values), values
    assert all(0 < v < 100 for v in values), values


async def events_of_start(spawner):
    """start(), with a consumer that came before it (as the spawn page
    does), then what it was shown until the wait began."""
    consumer = asyncio.ensure_future(collect(spawner._progress, timeout=2))
    result = await spawner.start()
    return result, await consumer


async def test_first_start_reports_each_step_in_order(make_spawner, launcher):
    launcher.behave(status=[status_json("absent"), LIMITED])
    spawner = make_spawner(mem_limit="512M", cpu_limit=1.0, tasks_limit=256)
    (ip, port), events = await events_of_start(spawner)
    assert messages(events)[:5] == [
        "Checking that this host can enforce the limits (cgspawn check, once per hub)",
        f"Creating cgroup {UNIT} and starting the server in it",
        f"Cgroup {UNIT} created: 512 MiB, 1 CPU, 256 tasks",
        "Server started (pid 4242)",
        f"Waiting for the server to answer at {ip}:{port}",
    ]
    assert_growing(events)
    # what a second consumer, coming later, is shown: the same, from the first
    assert messages(await collect(spawner._progress, timeout=0.5))[:5] == messages(events)[:5]


async def test_the_host_check_is_shown_on_the_first_spawn_only(make_spawner, launcher):
    spawner = make_spawner()
    await spawner.start()
    await spawner.stop()
    launcher.behave(status=[status_json("absent"), LIMITED])
    _, events = await events_of_start(spawner)
    assert not [m for m in messages(events) if "cgspawn check" in m]
    assert messages(events)[0] == f"Creating cgroup {UNIT} and starting the server in it"
    assert len(launcher.calls_of("check")) == 1


async def test_a_slice_with_limits_is_a_step(make_spawner, launcher):
    launcher.behave(status=[status_json("absent"), LIMITED])
    spawner = make_spawner(slice="students", slice_limits={
        "students": {"mem_limit": "4G", "cpu_limit": 2, "tasks_limit": 1000}})
    _, events = await events_of_start(spawner)
    assert messages(events)[1:3] == [
        "Setting the limits of slice students: 4 GiB, 2 CPUs, 1000 tasks",
        f"Creating cgroup students/{UNIT} and starting the server in it",
    ]
    assert_growing(events)


async def test_a_failed_spawn_ends_with_the_step_that_failed(make_spawner, launcher):
    launcher.behave(spawn={"rc": 127, "stderr": "cgspawn: error: exec nope: not found in PATH\n"})
    spawner = make_spawner()
    consumer = asyncio.ensure_future(collect(spawner._progress))
    with pytest.raises(LauncherError):
        await spawner.start()
    events = await consumer  # ends by itself: a failure is the last event
    assert messages(events)[-2] == f"Creating cgroup {UNIT} and starting the server in it"
    last = messages(events)[-1]
    assert last.startswith("Spawn failed at starting the server in its cgroup: ")
    assert "exec nope: not found in PATH" in last
    assert_growing(events)


async def test_a_host_check_refusal_names_the_host_check(make_spawner, launcher):
    launcher.behave(check=check_json({"controller.memory": (
        "memory controller enabled for units", "not enabled", "cgspawn init")}))
    spawner = make_spawner(mem_limit="512M")
    consumer = asyncio.ensure_future(collect(spawner._progress))
    with pytest.raises(Exception):
        await spawner.start()
    events = await consumer
    assert messages(events)[-1].startswith("Spawn failed at the host check: mem_limit cannot work")
    assert not launcher.calls_of("spawn")


async def test_progress_is_the_spawners_async_generator(make_spawner, launcher):
    launcher.behave(status=[status_json("absent"), LIMITED])
    spawner = make_spawner()
    await spawner.start()
    seen = []
    async for item in spawner.progress():
        seen.append(item)
        if len(seen) == 4:
            break
    assert messages(seen)[-1] == "Server started (pid 4242)"
    await spawner.stop()
    spawner.clear_state()  # as JupyterHub does after a stop
    assert spawner._progress.events == []  # clear_state forgets the last start
