"""The server's environment goes to cgspawn on stdin, never in argv."""

import pytest

from cgroupspawner import CgroupSpawnerConfigError
from cgroupspawner.launcher import LAUNCHER_ENV, decode_env_records, encode_env_records
from cgroupspawner.launcher import DEFAULT_PATH


async def test_stdin_records_are_the_env(make_spawner, launcher):
    spawner = make_spawner(mem_limit="1G", cpu_limit=2.0, env_keep=["LANG"])
    ip, port = await spawner.start()
    call = launcher.spawn_call()
    data = call["stdin"]
    # NUL-separated KEY=VALUE records, NUL-terminated
    assert data.endswith(b"\0")
    env = decode_env_records(data)

    # the API token, from JupyterHub's own get_env()
    assert env["JUPYTERHUB_API_TOKEN"] == spawner.api_token
    assert spawner.api_token.startswith("secret-token-alice-")
    assert env["JUPYTERHUB_USER"] == "alice"
    assert env["JUPYTERHUB_CLIENT_ID"] == "jupyterhub-user-alice"
    assert env["JUPYTERHUB_SERVER_NAME"] == ""
    assert env["JUPYTERHUB_SERVICE_URL"].endswith(f":{port}/")
    assert "JUPYTERHUB_API_URL" in env and "JUPYTERHUB_OAUTH_CALLBACK_URL" in env
    # limits exported as JupyterHub does
    assert env["MEM_LIMIT"] == str(1024**3)
    assert env["CPU_LIMIT"] == "2.0"
    # set by the spawner itself (the base Spawner stops keeping PATH in 5.2)
    assert env["PATH"] == DEFAULT_PATH
    assert env["HOME"] == "/home/alice"
    assert env["USER"] == "alice"
    assert env["SHELL"] == spawner.default_shell

    # exactly what the spawner computed, nothing more
    expected = spawner.get_env()
    expected.update(PATH=DEFAULT_PATH, HOME="/home/alice", USER="alice", SHELL=spawner.default_shell)
    assert env == expected
    assert (ip, port) == ("127.0.0.1", spawner.port)


async def test_token_never_in_argv_or_launcher_env(make_spawner, launcher):
    spawner = make_spawner(environment={"MY_SECRET": "hunter2-value"})
    await spawner.start()
    await spawner.poll()
    await spawner.stop()
    calls = launcher.calls()
    assert {c["argv"][1] for c in calls} >= {"status", "spawn", "stop"}
    for call in calls:
        text = " ".join(call["argv"])
        assert spawner.api_token not in text
        assert "hunter2-value" not in text
        # the launcher's own environment is a fixed minimal one, not the hub's
        assert set(call["env"]) <= set(LAUNCHER_ENV) | {"PWD", "SHLVL", "_", "LC_CTYPE"}
        assert spawner.api_token not in " ".join(call["env"].values())
    # only spawn gets the environment, on stdin
    assert spawner.api_token.encode() in launcher.spawn_call()["stdin"]
    for call in calls:
        if call["argv"][1] != "spawn":
            assert call["stdin"] == b""


async def test_extra_paths_and_hub_path(make_spawner, launcher):
    spawner = make_spawner(
        extra_paths=["/opt/{USERNAME}/bin", "/srv/u{USERID}/bin"],
        environment={"PATH": "/opt/conda/bin:/usr/bin:/bin"},
    )
    await spawner.start()
    assert launcher.spawn_env()["PATH"] == (
        f"/opt/alice/bin:/srv/u{spawner.user.id}/bin:/opt/conda/bin:/usr/bin:/bin"
    )


async def test_path_kept_from_hub_like_systemdspawner(make_spawner, launcher, monkeypatch):
    # JupyterHub < 5.2 keeps the hub's PATH (env_keep); it is the base extra_paths extend
    monkeypatch.setenv("PATH", "/venv/bin:/usr/bin:/bin")
    spawner = make_spawner(extra_paths=["/x"])
    await spawner.start()
    assert launcher.spawn_env()["PATH"] == "/x:/venv/bin:/usr/bin:/bin"


async def test_no_path_in_base_env_gets_default(make_spawner, launcher):
    # JupyterHub >= 5.2: PATH is no longer in env_keep
    spawner = make_spawner(env_keep=[], extra_paths=["/x"])
    await spawner.start()
    assert launcher.spawn_env()["PATH"] == "/x:" + DEFAULT_PATH


async def test_configured_environment_wins(make_spawner, launcher):
    spawner = make_spawner(
        default_shell="/bin/zsh",
        environment={"HOME": "/scratch/alice", "SHELL": "/bin/fish", "LANG": "de_DE.UTF-8"},
    )
    await spawner.start()
    env = launcher.spawn_env()
    assert env["HOME"] == "/scratch/alice"
    assert env["SHELL"] == "/bin/fish"
    assert env["USER"] == "alice"
    assert env["LANG"] == "de_DE.UTF-8"


async def test_default_shell(make_spawner, launcher):
    spawner = make_spawner(default_shell="/bin/zsh")
    await spawner.start()
    assert launcher.spawn_env()["SHELL"] == "/bin/zsh"


async def test_bad_env_key_rejected_without_value(make_spawner, launcher):
    spawner = make_spawner(environment={"BAD-KEY": "the-secret-value"})
    with pytest.raises(CgroupSpawnerConfigError) as info:
        await spawner.start()
    assert "BAD-KEY" in str(info.value)
    assert "the-secret-value" not in str(info.value)
    assert launcher.calls() == []  # refused before running anything


def test_records_round_trip():
    env = {"A": "1", "EMPTY": "", "EQ": "a=b=c", "NL": "line1\nline2", "U": "äöü €"}
    data = encode_env_records(env)
    assert data == b"A=1\0EMPTY=\0EQ=a=b=c\0NL=line1\nline2\0U=" + "äöü €".encode() + b"\0"
    assert decode_env_records(data) == env


@pytest.mark.parametrize("key", ["", "1ABC", "A-B", "A B", "A=B", "Ä"])
def test_records_reject_bad_keys(key):
    with pytest.raises(ValueError):
        encode_env_records({key: "v"})


def test_records_reject_nul_value():
    with pytest.raises(ValueError, match="K contains a NUL") as info:
        encode_env_records({"K": "sec\0ret"})
    assert "sec" not in str(info.value).replace("K contains", "")
