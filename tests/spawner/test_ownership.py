"""A unit that records another server as its owner (ownership.py) is
neither stopped nor adopted; the fake launcher answers as cgspawn does."""

import json

import pytest
from conftest import status_json

from cgroupspawner.launcher import LauncherError
from cgroupspawner.ownership import UnitOwnedError, describe, is_owner_refusal, owner_text

UNIT = "jupyter-alice-singleuser"
ALICE = owner_text("alice", "")
BOB_LAB = owner_text("bob", "lab")


def test_owner_text_is_ascii_json_of_user_and_server():
    text = owner_text("Zoë +1", "nb ☃")
    assert text.isascii() and json.loads(text) == ["Zoë +1", "nb ☃"]
    assert owner_text("a-b", "") != owner_text("a", "b")
    assert describe(BOB_LAB) == "user 'bob', server 'lab'"
    assert describe(ALICE) == "user 'alice', default server"
    assert describe("not json") == "'not json'"


async def test_start_refuses_a_running_unit_of_another_server(make_spawner, launcher):
    launcher.behave(status=status_json("running", owner=BOB_LAB))
    spawner = make_spawner()
    with pytest.raises(UnitOwnedError) as info:
        await spawner.start()
    message = info.value.jupyterhub_message
    assert message.startswith(f"unit {UNIT} belongs to user 'bob', server 'lab', not to user"
                              " 'alice', default server")
    assert f"cgspawn stop {UNIT}" in message
    assert [c["argv"][1] for c in launcher.calls()] == ["status"], "it stopped or spawned"


@pytest.mark.parametrize("owner", [ALICE, None], ids=["its-own", "unrecorded"])
async def test_start_stops_a_lost_unit_of_its_own_or_without_a_record(make_spawner, launcher, owner):
    launcher.behave(status=[status_json("running", owner=owner), status_json("running", owner=ALICE)])
    await make_spawner().start()
    assert [c["argv"][1:] for c in launcher.calls_of("stop")] == [
        ["stop", UNIT, "--timeout", "10", "--owner", ALICE]]
    assert len(launcher.calls_of("spawn")) == 1


async def test_poll_does_not_adopt_a_unit_of_another_server(make_spawner, launcher, caplog):
    spawner = make_spawner()
    await spawner.start()
    launcher.behave(status=status_json("running", owner=BOB_LAB))
    assert await spawner.poll() == 0
    assert "belongs to user 'bob', server 'lab'" in caplog.text
    assert launcher.calls_of("cleanup") == [] and launcher.calls_of("stop") == []


async def test_stop_leaves_a_unit_cgspawn_says_is_another_servers(make_spawner, launcher, caplog):
    spawner = make_spawner()
    await spawner.start()
    refused = f"cgspawn: stop unit: unit {UNIT} belongs to {BOB_LAB}, not to {ALICE}: not stopped\n"
    launcher.behave(stop={"rc": 2, "stderr": refused})
    await spawner.stop()  # no exception: this server is not running
    assert "belongs to" in caplog.text
    assert await spawner.poll() == 0
    error = LauncherError("x", returncode=2, stderr=refused)
    assert is_owner_refusal(error)
    assert not is_owner_refusal(LauncherError("x", returncode=1, stderr=refused))
