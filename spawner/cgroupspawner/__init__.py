"""CgroupSpawner: JupyterHub spawner running each server in a cgroup v2 leaf via cgspawn."""

from .launcher import LauncherError
from .spawner import CgroupSpawner, CgroupSpawnerConfigError

__version__ = "0.1.0"

__all__ = ["CgroupSpawner", "CgroupSpawnerConfigError", "LauncherError", "__version__"]
