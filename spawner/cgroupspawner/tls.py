"""JupyterHub's internal_ssl: the server's key, certificate and CA.

JupyterHub creates them where the hub can read them and calls move_certs()
to make them the server's. LocalProcessSpawner copies them into the user's
home and chowns them; that needs a root hub and an existing uid, and a
CgroupSpawner hub may be neither (sudo mode; dynamic users get their uid
inside cgspawn). So the material goes to ``cgspawn spawn --internal-ssl`` on
stdin, ahead of the environment records (never argv, never a file), and
cgspawn installs it at a fixed place inside the server's own mount
namespace, readable by the server's uid alone. move_certs returns those
in-namespace paths, which JupyterHub passes as JUPYTERHUB_SSL_*.
"""

import os

from .errors import CgroupSpawnerConfigError

__all__ = ["SERVER_TLS_DIR", "SERVER_TLS_PATHS", "read_tls_material", "encode_tls_records"]

# Where cgspawn installs them (namespaces/server_tls.hpp; its own choice,
# not the caller's).
SERVER_TLS_DIR = "/run/cgspawn/ssl"
SERVER_TLS_PATHS = {
    "keyfile": f"{SERVER_TLS_DIR}/server.key",
    "certfile": f"{SERVER_TLS_DIR}/server.crt",
    "cafile": f"{SERVER_TLS_DIR}/ca.crt",
}
# The records, in the order cgspawn reads them.
RECORDS = (("ssl-key", "keyfile"), ("ssl-cert", "certfile"), ("ssl-ca", "cafile"))
# cgspawn refuses a PEM over 64 KiB.
MAX_PEM_BYTES = 64 * 1024


def read_tls_material(paths):
    """{'keyfile': bytes, ...} from JupyterHub's PATHS (hub-readable files).

    Errors name the file and the problem, never its contents."""
    material = {}
    for _, what in RECORDS:
        path = paths.get(what)
        if not path:
            raise CgroupSpawnerConfigError(f"internal_ssl: JupyterHub gave no {what}")
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_PEM_BYTES + 1)
        except OSError as e:
            raise CgroupSpawnerConfigError(
                f"internal_ssl: cannot read the {what} {path}: {e.strerror}") from None
        if len(data) > MAX_PEM_BYTES or b"\0" in data:
            raise CgroupSpawnerConfigError(
                f"internal_ssl: the {what} {path} is not a PEM file of at most 64 KiB")
        material[what] = data
    return material


def forget_hub_copies(paths, log):
    """The hub's copies of the server's own key and certificate are not
    needed once read (LocalProcessSpawner moves them away too); the CA
    bundle is shared by every server and stays."""
    for what in ("keyfile", "certfile"):
        try:
            os.unlink(paths[what])
        except FileNotFoundError:
            pass
        except OSError as e:
            log.warning("internal_ssl: cannot remove the hub's copy of the %s %s: %s",
                        what, paths[what], e.strerror)


def encode_tls_records(material):
    """b'@ssl-key=PEM\\0@ssl-cert=PEM\\0@ssl-ca=PEM\\0', what cgspawn reads
    first on stdin with --internal-ssl."""
    out = bytearray()
    for record, what in RECORDS:
        out += b"@" + record.encode() + b"=" + material[what] + b"\0"
    return bytes(out)
