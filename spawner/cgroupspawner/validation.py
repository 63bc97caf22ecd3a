"""The options, validated when the config loads.

A bad value raises CgroupSpawnerConfigError (a TraitError) naming the
option and the fix while traitlets sets it, so a bad config fails once, at
load, instead of at every start(). traitlets holds the cross-checks (devices
need isolate_devices; a property must not write a typed limit's file) until
every option of the config is set, so their order does not matter.
"""

import re

from traitlets import TraitError, validate

from .errors import CgroupSpawnerConfigError
from .limits import BY_OPTION, OPTIONS, slice_set_args
from .options import CgroupSpawnerOptions
from .profiles import ProfileError, check_profiles
from .properties import PropertyError, expand_values, translate_properties
from .slugs import problem as unit_name_template_problem

_RANGE_RE = re.compile(r"^([0-9]{1,10})-([0-9]{1,10})$")
# At load there is no user yet: a property value's placeholders are checked
# with these stand-ins (a value that cannot parse with them cannot with a
# real user either); start() expands them for its own user.
_LOAD_TIME_VALUES = {"{USERNAME}": "user", "{USERID}": "1", "{SERVERNAME}": ""}


def _load_time_expand(text):
    for placeholder, value in _LOAD_TIME_VALUES.items():
        text = text.replace(placeholder, value)
    return text


class ValidatedOptions(CgroupSpawnerOptions):
    def _typed_files(self, limits):
        """{cgroup file: option} of the typed limits set in LIMITS."""
        return {BY_OPTION[o].file: o for o, v in limits.items() if v is not None}

    def _checked_properties(self, properties, limits, expand=_load_time_expand):
        """translate_properties' pairs, after EXPAND ({USERNAME}, {USERID})."""
        try:
            return translate_properties(expand_values(properties, expand), self._typed_files(limits))
        except PropertyError as e:
            raise CgroupSpawnerConfigError(f"c.CgroupSpawner.{e}") from None

    def limit_values(self):
        """{limit option: value or None}."""
        return {name: getattr(self, name) for name in OPTIONS}

    @validate(*OPTIONS)
    def _valid_limit(self, proposal):
        name, value = proposal.trait.name, proposal.value
        if value is not None:
            problem = BY_OPTION[name].problem(value)
            if problem:
                raise CgroupSpawnerConfigError(f"c.CgroupSpawner.{name} = {value!r} {problem}")
            self._checked_properties(self.unit_extra_properties, {**self.limit_values(), name: value})
        return value

    @validate("unit_extra_properties")
    def _valid_properties(self, proposal):
        self._checked_properties(proposal.value, self.limit_values())
        return proposal.value

    @validate("unit_name_template")
    def _valid_unit_name_template(self, proposal):
        problem = unit_name_template_problem(proposal.value)
        if problem:
            raise CgroupSpawnerConfigError(f"c.CgroupSpawner.unit_name_template = {proposal.value!r} {problem}")
        return proposal.value

    @validate("devices", "isolate_devices")
    def _valid_devices(self, proposal):
        devices = proposal.value if proposal.trait.name == "devices" else self.devices
        isolate = proposal.value if proposal.trait.name == "isolate_devices" else self.isolate_devices
        if devices and not isolate:
            raise CgroupSpawnerConfigError(
                "c.CgroupSpawner.devices needs c.CgroupSpawner.isolate_devices = True"
                " (devices are added to the private /dev)"
            )
        return proposal.value

    @validate("slice_limits")
    def _valid_slice_limits(self, proposal):
        for slice_name, limits in proposal.value.items():
            slice_set_args(slice_name, limits)
        return proposal.value

    @validate("profiles")
    def _valid_profiles(self, proposal):
        try:
            profiles = check_profiles(proposal.value)
        except ProfileError as e:
            raise CgroupSpawnerConfigError(f"c.CgroupSpawner.{e}") from None
        for profile in profiles:
            for name, value in profile["options"].items():
                self._check_profile_value(profile["name"], name, value)
        return profiles

    def _check_profile_value(self, profile, name, value):
        """A profile's option value, as the option itself would take it (the
        combination with the other options is checked when it is applied)."""
        where = f"c.CgroupSpawner.profiles ({profile!r}) {name} = {value!r}"
        try:
            value = self.traits()[name].validate(self, value)
        except TraitError as e:
            raise CgroupSpawnerConfigError(f"{where}: {e}") from None
        problem = BY_OPTION[name].problem(value) if name in BY_OPTION and value is not None else None
        if problem:
            raise CgroupSpawnerConfigError(f"{where} {problem}")

    @validate("dynamic_user_range")
    def _valid_dynamic_user_range(self, proposal):
        text = proposal.value
        m = _RANGE_RE.match(text) if text is not None else None
        if text is not None and (not m or int(m.group(1)) > int(m.group(2))):
            # Its bounds are cgspawn's (and through sudo the policy's) to judge.
            raise CgroupSpawnerConfigError(
                f"c.CgroupSpawner.dynamic_user_range = {text!r} is not a uid range"
                " 'MIN-MAX' with MIN <= MAX, e.g. '20000-29999'"
            )
        return text
