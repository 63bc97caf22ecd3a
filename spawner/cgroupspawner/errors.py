"""Errors of a bad configuration (at load) or a refused start; JupyterHub
shows their message (jupyterhub_message) to the user on the spawn page."""

from traitlets import TraitError


class CgroupSpawnerConfigError(TraitError, ValueError):
    """A configuration cgspawn cannot carry out.

    A TraitError, so that a bad option raised by a @validate handler while
    the config loads is rolled back and reported by traitlets like any other
    bad value; a ValueError as it always was."""

    def __init__(self, message):
        super().__init__(message)
        self.jupyterhub_message = message


class PreflightError(CgroupSpawnerConfigError):
    """A start refused because `cgspawn check` says a configured limit or
    isolation cannot work on this host."""
