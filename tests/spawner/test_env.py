"""The server's environment goes to cgspawn on stdin, never in argv."""

import pytest
from jupyterhub import __version__ as jupyterhub_version
from jupyterhub.spawner import LocalProcessSpawner, Spawner
from traitlets.config import Config

from cgroupspawner import CgroupSpawnerConfigError
from cgroupspawner.launcher import LAUNCHER_ENV, decode_env_records, encode_env_records
from cgroupspawner.launcher import DEFAULT_PATH
from cgroupspawner.request import OOM_NOTICE_STARTUP


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
    expected.update(PATH=DEFAULT_PATH, HOME="/home/alice", USER="alice", SHELL=spawner.default_shell,
                    PYTHONSTARTUP=OOM_NOTICE_STARTUP)
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


# ---- what is kept of the hub's environment (env_keep) ----

# What LocalProcessSpawner keeps by default on every JupyterHub this supports
# (3.0: the base Spawner's list; 5.2: LocalProcessSpawner's own, which adds
# LD_LIBRARY_PATH).
LOCAL_PROCESS_KEEPS = {"PATH", "PYTHONPATH", "CONDA_ROOT", "CONDA_DEFAULT_ENV", "VIRTUAL_ENV",
                       "LANG", "LC_ALL", "JUPYTERHUB_SINGLEUSER_APP"}
HUB_ENV = {
    "PATH": "/opt/venv/bin:/usr/bin:/bin",
    "LANG": "de_DE.UTF-8",
    "LC_ALL": "de_DE.UTF-8",
    "VIRTUAL_ENV": "/opt/venv",
    "CONDA_ROOT": "/opt/conda",
    "CONDA_DEFAULT_ENV": "base",
    "PYTHONPATH": "/opt/site",
    "JUPYTERHUB_SINGLEUSER_APP": "jupyter_server.serverapp.ServerApp",
}


def hub_version():
    return tuple(int(p) for p in jupyterhub_version.split(".")[:2])


def test_env_keep_default_is_local_process_spawners(make_spawner):
    keep = make_spawner().env_keep
    assert keep == list(LocalProcessSpawner().env_keep)
    assert set(keep) >= LOCAL_PROCESS_KEEPS


def test_env_keep_default_follows_local_process_spawner(make_spawner, monkeypatch):
    """On 3.0 the base Spawner and LocalProcessSpawner keep the same list, so
    the test above cannot tell them apart: here LocalProcessSpawner keeps
    5.2.1's list (LocalProcessSpawner._env_keep_default), and so must we."""
    import cgroupspawner.options as options

    five_two = ["CONDA_DEFAULT_ENV", "CONDA_ROOT", "JUPYTERHUB_SINGLEUSER_APP", "LANG", "LC_ALL",
                "LD_LIBRARY_PATH", "PATH", "PYTHONPATH", "VIRTUAL_ENV"]
    monkeypatch.setattr(options, "local_process_env_keep", lambda: tuple(five_two))
    assert make_spawner().env_keep == five_two


async def test_hub_environment_reaches_the_server_as_with_local_process_spawner(
    make_spawner, launcher, monkeypatch
):
    for key, value in HUB_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CONFIGPROXY_AUTH_TOKEN", "proxy-secret-value")
    monkeypatch.setenv("LD_LIBRARY_PATH", "/opt/lib")
    spawner = make_spawner()
    await spawner.start()
    env = launcher.spawn_env()
    for key, value in HUB_ENV.items():
        assert env.get(key) == value, key
    # the hub's secrets stay with the hub
    assert "CONFIGPROXY_AUTH_TOKEN" not in env
    assert "proxy-secret-value" not in launcher.spawn_call()["stdin"].decode()
    # LD_LIBRARY_PATH exactly when this hub's LocalProcessSpawner keeps it (5.2+)
    assert ("LD_LIBRARY_PATH" in env) == ("LD_LIBRARY_PATH" in LocalProcessSpawner().env_keep)


@pytest.mark.parametrize("where", ["Spawner", "CgroupSpawner"])
async def test_env_keep_configured_replaces_the_default(make_spawner, launcher, monkeypatch, where):
    for key, value in HUB_ENV.items():
        monkeypatch.setenv(key, value)
    config = Config()
    config[where].env_keep = ["LANG"]
    spawner = make_spawner(config=config)
    assert spawner.env_keep == ["LANG"]
    await spawner.start()
    env = launcher.spawn_env()
    assert env["LANG"] == "de_DE.UTF-8"
    assert "VIRTUAL_ENV" not in env and "LC_ALL" not in env
    # PATH is not kept: the default PATH, as before
    assert env["PATH"] == DEFAULT_PATH


@pytest.mark.skipif(hub_version() < (5, 2), reason=f"JupyterHub {jupyterhub_version}: the base "
                    "Spawner still keeps PATH, LANG, ... itself (moved to LocalProcessSpawner in 5.2)")
def test_jupyterhub_52_base_spawner_keeps_less_than_we_do(make_spawner):
    assert "PATH" not in Spawner().env_keep and "LANG" not in Spawner().env_keep
    assert set(make_spawner().env_keep) >= LOCAL_PROCESS_KEEPS | {"LD_LIBRARY_PATH"}


@pytest.mark.parametrize("props, exported", [
    ({"MemoryMax": "1G", "CPUQuota": "50%", "MemoryLow": "1M", "CPUWeight": "300"},
     {"MEM_LIMIT": str(1 << 30), "CPU_LIMIT": "0.5", "MEM_GUARANTEE": str(1 << 20),
      "CPU_GUARANTEE": "3.0"}),
    ({"memory.max": "512M", "cpu.max": "150000 100000"},
     {"MEM_LIMIT": str(512 << 20), "CPU_LIMIT": "1.5"}),
    ({"MemoryMax": "infinity", "TasksMax": "100"}, {}),  # no limit, no figure
])
async def test_limits_set_as_properties_are_exported_too(make_spawner, launcher, props, exported):
    """MEM_LIMIT and the others carry the effective limit, whichever option
    set it (issue 18): tools inside read them, as for mem_limit."""
    await make_spawner(unit_extra_properties=props).start()
    env = launcher.spawn_env()
    names = ("MEM_LIMIT", "CPU_LIMIT", "MEM_GUARANTEE", "CPU_GUARANTEE")
    assert {k: env[k] for k in names if k in env} == exported


async def test_a_configured_limit_variable_wins(make_spawner, launcher):
    spawner = make_spawner(unit_extra_properties={"MemoryMax": "1G"},
                           environment={"MEM_LIMIT": "42"})
    await spawner.start()
    assert launcher.spawn_env()["MEM_LIMIT"] == "42"
