"""The spawner's side of resource profiles (profiles.py): the spawn form,
reading the choice from the form or the REST API's user_options, and, at
each start, the chosen profile's options applied over the configured ones
(and the last start's undone first: one spawner serves every start of its
server)."""

from traitlets import HasTraits, TraitError, default

from .errors import CgroupSpawnerConfigError
from .profiles import ProfileError, available, choose, form_html, label


def _profile_form(spawner):
    return form_html(available(spawner.profiles, spawner.user_group_names()))


def _profile_from_form(form_data, spawner):
    """The form's one field, checked now: a bad choice shows the form again
    with the message (JupyterHub's SpawnHandler)."""
    picked = (form_data.get("profile") or [None])[0]
    choose(spawner.profiles, spawner.user_group_names(), picked)
    return {} if picked is None else {"profile": picked}


class ProfileChoice(HasTraits):
    @default("options_form")
    def _default_profile_form(self):
        return _profile_form  # JupyterHub calls it per user: "" (no form) with < 2 choices

    @default("options_from_form")
    def _default_profile_from_form(self):
        return _profile_from_form

    def user_group_names(self):
        return [g.name for g in self.user.groups]

    def _apply_profile(self):
        """The profile this start runs with (None: none configured), its
        options set on this spawner. CgroupSpawnerConfigError for a choice
        the user may not make or options that do not fit together."""
        for name, value in getattr(self, "_profile_saved", {}).items():
            setattr(self, name, value)
        self._profile_saved = {}
        requested = (self.user_options or {}).get("profile")
        try:
            profile = choose(self.profiles, self.user_group_names(), requested)
        except ProfileError as e:
            raise CgroupSpawnerConfigError(str(e)) from None
        if profile is None:
            return None
        saved = {name: getattr(self, name) for name in profile["options"]}
        try:
            for name, value in profile["options"].items():
                setattr(self, name, value)
        except (TraitError, CgroupSpawnerConfigError) as e:
            for name, value in saved.items():
                setattr(self, name, value)
            raise CgroupSpawnerConfigError(f"profile {profile['name']!r}: {e}") from None
        self._profile_saved = saved
        self.log.info("user:%s starts with profile %r (%s)", self._log_name, profile["name"],
                      label(profile))
        return profile
