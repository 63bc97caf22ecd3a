"""Who a unit belongs to, as cgspawn records it (`spawn --owner`).

cgspawn writes the text as root onto the unit's cgroup (a trusted.* xattr:
the hub user who owns the delegated subtree cannot forge it) and shows it
in `status --json` as "owner"; `stop --owner` leaves a unit that records
another owner running. The text is JSON ["hub user", "server name"], ASCII
only (json.dumps escapes the rest), so every name JupyterHub allows fits
and no two (user, server) pairs share it.

A unit could record someone else after an upgrade: a name kept in the
hub's state from before unit names were escaped can equal another server's
escaped one (`ann_2elee`, once user ann_2elee's, now also ann.lee's).
"""

import json


class UnitOwnedError(RuntimeError):
    """A running unit of this server's name belongs to another server."""

    def __init__(self, message):
        super().__init__(message)
        self.jupyterhub_message = message


def owner_text(user_name, server_name):
    return json.dumps([user_name, server_name or ""])


def describe(text):
    """'user 'alice', server 'lab'' (or 'default server') for an owner text;
    the text itself if it is not ours."""
    try:
        user, server = json.loads(text)
    except (ValueError, TypeError):
        return repr(text)
    return f"user {user!r}, " + (f"server {server!r}" if server else "default server")


def foreign_owner(status, ours):
    """The owner STATUS records when it is not OURS; None for ours or none."""
    owner = status.get("owner")
    return owner if owner is not None and owner != ours else None


def refusal(unit, recorded, ours):
    """One line naming the unit, both owners and the way out."""
    return (
        f"unit {unit} belongs to {describe(recorded)}, not to {describe(ours)}: CgroupSpawner"
        f" neither stops nor adopts it; an admin who knows it is a remnant stops it with"
        f" `cgspawn stop {unit}`"
    )


def is_owner_refusal(error):
    """A LauncherError from `cgspawn stop --owner` that left another's unit."""
    return getattr(error, "returncode", None) == 2 and "belongs to" in (getattr(error, "stderr", "") or "")
