"""Resource profiles (issue 18): named choices of limits and isolation that
an admin lists in ``c.CgroupSpawner.profiles``, each optionally for some
JupyterHub groups only. A user picks one by name, on the spawn form or in
the REST API's body (``{"profile": "large"}``), and never sends a value:
only names they may use are accepted. Pure functions (validation, a user's
choices, the form), apart from the spawner (profile_choice.py applies one).
"""

import html

from .limits import BY_OPTION

# What a profile may set: the options of one server's limits and isolation.
PROFILE_OPTIONS = tuple(BY_OPTION) + (
    "slice", "devices", "isolate_tmp", "isolate_devices", "readonly_paths", "readwrite_paths",
    "protect_proc", "cgroup_namespace", "unit_extra_properties",
)
PROFILE_KEYS = ("name", "display_name", "description", "groups", "default", "options")


class ProfileError(ValueError):
    """A profiles entry that cannot be used, or a choice a user may not make."""


def _check_one(i, profile):
    where = f"profiles[{i}]"
    if not isinstance(profile, dict):
        raise ProfileError(f"{where} must be a dict with keys {', '.join(PROFILE_KEYS)}")
    name = profile.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ProfileError(f"{where} needs a 'name': the word users choose it by")
    where = f"{where} ({name!r})"
    unknown = sorted(set(profile) - set(PROFILE_KEYS))
    if unknown:
        raise ProfileError(f"{where} has unknown key {unknown[0]!r}: keys are {', '.join(PROFILE_KEYS)}")
    groups = profile.get("groups", [])
    if not isinstance(groups, (list, tuple)) or not all(isinstance(g, str) for g in groups):
        raise ProfileError(f"{where} 'groups' must be a list of JupyterHub group names")
    options = profile.get("options", {})
    if not isinstance(options, dict):
        raise ProfileError(f"{where} 'options' must be a dict of option: value")
    bad = sorted(set(options) - set(PROFILE_OPTIONS))
    if bad:
        raise ProfileError(f"{where} cannot set {bad[0]!r}: a profile sets {', '.join(PROFILE_OPTIONS)}")
    return dict(profile, groups=list(groups), options=dict(options))


def check_profiles(profiles):
    """PROFILES as configured -> the same, checked (ProfileError naming the
    entry and the problem): unique names, known keys and options."""
    checked = [_check_one(i, p) for i, p in enumerate(profiles)]
    names = [p["name"] for p in checked]
    for name in names:
        if names.count(name) > 1:
            raise ProfileError(f"profiles: the name {name!r} is used twice: names must be unique")
    return checked


def available(profiles, groups):
    """The profiles a member of GROUPS (names) may choose, in order: those
    with no 'groups', and those naming one of GROUPS."""
    mine = set(groups)
    return [p for p in profiles if not p["groups"] or mine & set(p["groups"])]


def choose(profiles, groups, requested):
    """The profile to start with: REQUESTED (a name, or None for the
    default: the first marked 'default', else the first) among those the
    user may choose. None when no profiles are configured. ProfileError,
    naming the choices, for any other name."""
    if not profiles:
        return None
    choices = available(profiles, groups)
    if not choices:
        raise ProfileError("no profile is available to your groups: ask the hub's admin")
    if requested is None:
        return next((p for p in choices if p.get("default")), choices[0])
    for profile in choices:
        if profile["name"] == requested:
            return profile
    names = ", ".join(repr(p["name"]) for p in choices)
    shown = repr(requested)[:80]  # what was sent: a name, or anything else a client put there
    raise ProfileError(f"profile {shown} is not one you may use: choose one of {names}")


def label(profile):
    return profile.get("display_name") or profile["name"]


def form_html(choices):
    """The spawn form: one radio button per profile (the default checked),
    every text escaped. Empty (no form) with fewer than two choices."""
    if len(choices) < 2:
        return ""
    default = next((p for p in choices if p.get("default")), choices[0])
    rows = []
    for p in choices:
        checked = " checked" if p is default else ""
        value = html.escape(p["name"], quote=True)
        rows.append(
            f'<label class="cgspawn-profile"><input type="radio" name="profile" value="{value}"'
            f"{checked}> <strong>{html.escape(label(p))}</strong>"
            f" <span>{html.escape(p.get('description', ''))}</span></label><br>")
    return '<div class="form-group">\n' + "\n".join(rows) + "\n</div>"
