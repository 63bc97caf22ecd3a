"""Errors a start raises before anything runs; JupyterHub shows their
message (jupyterhub_message) to the user on the spawn page."""


class CgroupSpawnerConfigError(ValueError):
    """A configuration cgspawn cannot carry out; raised by start()."""

    def __init__(self, message):
        super().__init__(message)
        self.jupyterhub_message = message


class PreflightError(CgroupSpawnerConfigError):
    """A start refused because `cgspawn check` says a configured limit or
    isolation cannot work on this host."""
