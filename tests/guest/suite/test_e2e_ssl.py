"""End to end, c.JupyterHub.internal_ssl = True with CgroupSpawner (issue 15),
on whatever JupyterHub the guest has (Debian 12: 3.0; Debian 13: 5.2):

- a sudo hub (jhub, the shipped example config and policy) and a regular
  user; a root hub and a dynamic user;
- the server answers through the proxy, which reaches it over TLS with the
  hub's client certificate (so the server found its key and certificate);
- its key is at /run/cgspawn/ssl/server.key inside its own mount namespace,
  0600 and owned by the server's uid, in a 0700 directory of that uid on a
  read-only tmpfs; another uid cannot read it there; the guest's own
  /run/cgspawn has no ssl/; the hub keeps no copy of the server's key and
  never logged it.
"""
import glob
import os
import stat
import subprocess

import pytest

from e2e.hub import EXAMPLES, HUB_UNIT, alive, proc_uid, sh, unit_props, wait_for
from test_e2e_dynamic import dyn_state  # noqa: F401 (a fixture)
from test_e2e_hub import TIMEOUT, check_reachable, environ, hubs  # noqa: F401 (a fixture)

pytestmark = pytest.mark.timeout(TIMEOUT)

TLS_DIR = "/run/cgspawn/ssl"
NOBODY = 65534


# Test-only, in the hub's process: Debian 13's certipy 0.1.3 signs the
# servers', proxy's and hub's certificates without an Authority Key
# Identifier, which Python 3.13's default VERIFY_X509_STRICT rejects, so
# JupyterHub 5.2.1's internal_ssl fails there for every spawner (the hub
# cannot even reach its proxy's API). certipy's fix (llnl/certipy#23, in
# certipy 0.2.x) adds the extension; this adds it the same way, and makes
# the certificates X.509 v3, where the installed certipy lacks it. A no-op on Debian 12 (Python 3.11).
CERTIPY_AKI = """
import inspect as _inspect, sys as _sys
import certipy.certipy as _certipy
if _sys.version_info >= (3, 13) and "authorityKeyIdentifier" not in _inspect.getsource(
        _certipy.Certipy.create_signed_pair):
    _sign = _certipy.Certipy.sign
    def _sign_with_aki(self, req, issuer_cert_key, *args, extensions=None, **kwargs):
        extensions = list(extensions or [])
        if not any(callable(e) for e in extensions):  # a signed pair, not a CA (create_ca has its own)
            extensions.append(lambda cert: _certipy.crypto.X509Extension(
                b"authorityKeyIdentifier", False, b"keyid:always", issuer=issuer_cert_key[0]))
        return _sign(self, req, issuer_cert_key, *args, extensions=extensions, **kwargs)
    _certipy.Certipy.sign = _sign_with_aki
    # and X.509 v3, which extensions need (certipy 0.1.3 leaves v1)
    class _V3Crypto:
        def __getattr__(self, name, _real=_certipy.crypto):
            return getattr(_real, name)
        @staticmethod
        def X509(_real=_certipy.crypto):
            cert = _real.X509()
            cert.set_version(2)
            return cert
    _certipy.crypto = _V3Crypto()
"""


def ssl_config(state, *lines):
    """The config's extra lines (unindented: hub_config dedents them)."""
    return "\n".join([*lines, CERTIPY_AKI, "c.JupyterHub.internal_ssl = True",
                      f'c.JupyterHub.internal_certs_location = "{state}/internal-ssl"',
                      # hub.py's http:// proxy API: with internal_ssl it speaks TLS
                      'c.ConfigurableHTTPProxy.api_url = "https://127.0.0.1:8001"', ""])


def as_uid_in_namespace(pid, uid, *argv):
    """Run ARGV in PID's mount namespace as UID (gid = UID)."""
    return subprocess.run(["nsenter", "-t", str(pid), "-m", "-S", str(uid), "-G", str(uid), *argv],
                          capture_output=True, text=True, timeout=120)


def check_server_tls(hub, name, pid):
    """The server of NAME (pid PID) runs with its key where move_certs said,
    readable by its own uid only; returns that uid."""
    uid = proc_uid(pid)
    env = environ(pid)
    assert env.get("JUPYTERHUB_SSL_KEYFILE") == f"{TLS_DIR}/server.key", env.get("JUPYTERHUB_SSL_KEYFILE")
    assert env.get("JUPYTERHUB_SSL_CERTFILE") == f"{TLS_DIR}/server.crt"
    assert env.get("JUPYTERHUB_SSL_CLIENT_CA") == f"{TLS_DIR}/ca.crt"
    assert env.get("JUPYTERHUB_SERVICE_URL", "").startswith("https://"), env.get("JUPYTERHUB_SERVICE_URL")

    inside = f"/proc/{pid}/root{TLS_DIR}"
    d = os.stat(inside)
    assert (d.st_uid, stat.S_IMODE(d.st_mode)) == (uid, 0o700), f"{TLS_DIR}: uid {d.st_uid} mode {oct(d.st_mode)}"
    key = os.stat(f"{inside}/server.key")
    assert (key.st_uid, key.st_gid, stat.S_IMODE(key.st_mode)) == (uid, uid, 0o600), (
        f"server.key: uid {key.st_uid} gid {key.st_gid} mode {oct(key.st_mode)} (server uid {uid})")
    with open(f"/proc/{pid}/mountinfo") as f:
        mounts = {line.split()[4]: line for line in f}
    assert "/run/cgspawn" in mounts and " tmpfs " in mounts["/run/cgspawn"], mounts.get("/run/cgspawn")
    assert mounts["/run/cgspawn"].split()[5].split(",")[0] == "ro", mounts["/run/cgspawn"]

    # the server's uid reads it there; another uid does not
    own = as_uid_in_namespace(pid, uid, "head", "-c", "64", f"{TLS_DIR}/server.key")
    assert own.returncode == 0 and "PRIVATE KEY" in own.stdout, (own.returncode, own.stderr)
    other = as_uid_in_namespace(pid, NOBODY, "cat", f"{TLS_DIR}/server.key")
    assert other.returncode != 0 and "Permission denied" in other.stderr, (
        f"uid {NOBODY} read the server's key: exit {other.returncode}")

    # nothing of it on the guest itself, nor in the hub's store or log
    assert not os.path.exists(TLS_DIR), f"{TLS_DIR} exists outside the server's namespace"
    store = os.path.join(hub.state, "internal-ssl")
    assert os.path.isdir(store), f"the hub made no {store}"
    left = [p for p in glob.glob(f"{store}/**/*", recursive=True) if f"user-{name}" in os.path.basename(p)
            and p.endswith(".key")]
    assert not left, f"the hub kept the server's key: {left}"
    with open(f"{inside}/server.key") as f:
        body = [line for line in f.read().splitlines() if line and not line.startswith("-----")]
    log = hub.journal()
    assert body and body[0] not in log, "the server's key is in the journal"
    check_reachable(hub, name)
    return uid


def test_e2e_ssl_sudo_hub_regular_user(hubs):
    hub = hubs.new(user="jhub")
    with hubs.diagnose():
        with open(os.path.join(EXAMPLES, "policy.json")) as f:
            hub.write_policy(f.read())  # the shipped policy needs nothing for internal_ssl
        hub.write_config(
            users=("alice",), sudo=True, mem_limit=None, cpu_limit=None,
            base=os.path.join(EXAMPLES, "jupyterhub_config.py"),
            extra=ssl_config(hub.state, 'c.Spawner.cmd = ["/usr/bin/jupyterhub-singleuser"]'))
        hub.install_units()
        hub.start()
        hub_pid = int(unit_props(HUB_UNIT, "MainPID")["MainPID"])
        assert proc_uid(hub_pid) != 0, "the hub runs as root"
        _, model = hub.start_server("alice")
        pid = model["servers"][""]["state"]["pid"]
        uid = check_server_tls(hub, "alice", pid)
        assert uid == int(sh("id", "-u", "alice").stdout)
        hub.stop_server("alice")
        wait_for(lambda: not alive(pid), 60, "alice's server to exit")


def test_e2e_ssl_root_hub_dynamic_user(hubs, dyn_state):  # noqa: F811
    hub = hubs.new()
    with hubs.diagnose():
        hub.write_config(users=("dana",), extra=ssl_config(
            hub.state, "c.CgroupSpawner.dynamic_users = True",
            f'c.CgroupSpawner.dynamic_user_state = "{dyn_state}"'))
        hub.install_units()
        hub.start()
        _, model = hub.start_server("dana")
        pid = model["servers"][""]["state"]["pid"]
        uid = check_server_tls(hub, "dana", pid)
        assert 20000 <= uid <= 29999, f"the dynamic user runs as uid {uid}"
        hub.stop_server("dana")
        wait_for(lambda: not alive(pid), 60, "dana's server to exit")
