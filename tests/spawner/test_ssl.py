"""internal_ssl: move_certs() hands the server's key, certificate and CA to
cgspawn on stdin (never argv, never a file of ours) and returns where cgspawn
installs them inside the server's mount namespace; JupyterHub then exports
those paths as JUPYTERHUB_SSL_*. The guest proves the installed files
(tests/guest/suite/test_e2e_ssl.py); the real cgspawn here proves it reads
the stdin the spawner writes."""

import os
import pwd

import pytest
from real_cgspawn import cgroup2_child, run  # noqa: F401 (a fixture)

from cgroupspawner import CgroupSpawnerConfigError
from cgroupspawner.launcher import decode_env_records
from cgroupspawner.tls import SERVER_TLS_PATHS

KEY = b"-----BEGIN PRIVATE KEY-----\nS3CRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n"
CERT = b"-----BEGIN CERTIFICATE-----\nSERVER-CERT\n-----END CERTIFICATE-----\n"
CA = b"-----BEGIN CERTIFICATE-----\nNOTEBOOKS-CA\n-----END CERTIFICATE-----\n"


@pytest.fixture
def hub_certs(tmp_path):
    """The files create_certs() makes, where the hub reads them."""
    d = tmp_path / "internal-ssl"
    d.mkdir()
    paths = {}
    for what, name, data in (("keyfile", "user-alice.key", KEY), ("certfile", "user-alice.crt", CERT),
                             ("cafile", "notebooks-ca_trust.crt", CA)):
        (d / name).write_bytes(data)
        (d / name).chmod(0o600)
        paths[what] = str(d / name)
    return paths


async def ssl_spawner(make_spawner, hub_certs, **traits):
    """A spawner after what JupyterHub does before start() with internal_ssl."""
    spawner = make_spawner(internal_ssl=True, **traits)
    spawner.cert_paths = await spawner.move_certs(hub_certs)
    return spawner


async def test_move_certs_returns_the_in_namespace_paths(make_spawner, hub_certs):
    spawner = await ssl_spawner(make_spawner, hub_certs)
    assert spawner.cert_paths == {
        "keyfile": "/run/cgspawn/ssl/server.key",
        "certfile": "/run/cgspawn/ssl/server.crt",
        "cafile": "/run/cgspawn/ssl/ca.crt",
    }
    # moved, as LocalProcessSpawner moves them: the hub keeps no copy of the
    # server's key; the CA bundle is every server's and stays
    assert not os.path.exists(hub_certs["keyfile"]) and not os.path.exists(hub_certs["certfile"])
    assert os.path.exists(hub_certs["cafile"])


async def test_the_key_goes_on_stdin_not_argv(make_spawner, launcher, hub_certs):
    spawner = await ssl_spawner(make_spawner, hub_certs)
    await spawner.start()
    call = launcher.spawn_call()
    argv = call["argv"]
    assert "--internal-ssl" in argv and argv.index("--internal-ssl") < argv.index("--")
    for secret in (KEY, b"S3CRET-KEY-MATERIAL", CERT):
        assert secret.decode() not in " ".join(argv)
        assert secret.decode() not in " ".join(call["env"].values())
    stdin = call["stdin"]
    material = b"@ssl-key=" + KEY + b"\0@ssl-cert=" + CERT + b"\0@ssl-ca=" + CA + b"\0"
    assert stdin.startswith(material)
    env = decode_env_records(stdin[len(material):])
    assert env["JUPYTERHUB_SSL_KEYFILE"] == SERVER_TLS_PATHS["keyfile"]
    assert env["JUPYTERHUB_SSL_CERTFILE"] == SERVER_TLS_PATHS["certfile"]
    assert env["JUPYTERHUB_SSL_CLIENT_CA"] == SERVER_TLS_PATHS["cafile"]
    assert not any(v.startswith("-----BEGIN") for v in env.values()), "material in the environment"
    # handed over: the hub process no longer holds it
    assert spawner._tls_material is None


async def test_without_internal_ssl_nothing_changes(make_spawner, launcher):
    spawner = make_spawner()
    await spawner.start()
    call = launcher.spawn_call()
    assert "--internal-ssl" not in call["argv"]
    assert not call["stdin"].startswith(b"@")


async def test_internal_ssl_without_move_certs_is_refused(make_spawner, launcher):
    spawner = make_spawner(internal_ssl=True)
    with pytest.raises(CgroupSpawnerConfigError, match="move_certs"):
        await spawner.start()
    assert launcher.calls_of("spawn") == []


async def test_an_unreadable_or_oversized_file_is_named_without_its_contents(make_spawner, hub_certs):
    spawner = make_spawner(internal_ssl=True)
    with open(hub_certs["keyfile"], "ab") as f:
        f.write(b"x" * (64 * 1024))
    with pytest.raises(CgroupSpawnerConfigError, match="keyfile .* 64 KiB") as e:
        await spawner.move_certs(hub_certs)
    assert "S3CRET" not in str(e.value)
    os.unlink(hub_certs["certfile"])
    with pytest.raises(CgroupSpawnerConfigError, match="cannot read the certfile"):
        await spawner.move_certs({**hub_certs, "keyfile": hub_certs["cafile"]})


# ---- the real cgspawn reads what the spawner writes ----

def real_spawn(spawner, cgroup_root, stdin):
    pw = pwd.getpwuid(65534)  # nobody, from the real passwd (getpwnam is faked here)
    spawner.cgroup_root = cgroup_root
    argv = spawner.build_spawn_argv(pw)
    return run(*argv[1:], stdin=stdin)


async def test_real_cgspawn_takes_the_material_from_stdin(make_spawner, launcher, hub_certs,
                                                          cgroup2_child):
    """A real user and a real (not initialised) cgroup: cgspawn parses
    argv and stdin in full and stops at the missing D/users, after the
    stdin step; a broken @ssl-key record stops it at that step instead."""
    spawner = await ssl_spawner(make_spawner, hub_certs)
    await spawner.start()  # the fake launcher records what the spawner sends
    stdin = launcher.spawn_call()["stdin"]
    rc, _, err = real_spawn(spawner, cgroup2_child, stdin)
    assert rc != 0 and "internal-ssl" not in err and "users" in err, err
    broken = stdin.replace(b"PRIVATE KEY", b"PUBLIC KEY")
    rc, _, err = real_spawn(spawner, cgroup2_child, broken)
    assert rc == 2 and "@ssl-key record is not a PEM private key" in err, err
    assert "S3CRET" not in err
