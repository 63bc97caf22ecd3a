# The Littlest JupyterHub (TLJH) on CgroupSpawner: copy to
# /opt/tljh/config/jupyterhub_config.d/cgroupspawner.py ("TLJH" in the
# README says what else to do). TLJH loads this file after its own config,
# so the class below replaces TLJH's UserCreatingSpawner (a SystemdSpawner
# that creates the jupyter-NAME accounts) with a CgroupSpawner that creates
# them the same way, under the same class name: TLJH's c.SystemdSpawner.*,
# c.Spawner.* (limits from config.yaml) and c.UserCreatingSpawner.user_groups
# settings all apply as they are.
from traitlets import Dict, List, Unicode

from cgroupspawner import CgroupSpawner
from tljh import user
from tljh.normalize import generate_system_username


class UserCreatingSpawner(CgroupSpawner):
    """CgroupSpawner that makes the hub user's jupyter-NAME account and its
    groups before each start, as TLJH's own spawner does."""

    user_groups = Dict(key_trait=Unicode(), value_trait=List(Unicode()), config=True)

    async def start(self):
        name = generate_system_username("jupyter-" + self.user.name)
        self.username_template = name  # the account the server runs as
        user.ensure_user(name)
        user.ensure_user_group(name, "jupyterhub-users")
        if self.user.admin:
            user.ensure_user_group(name, "jupyterhub-admins")
        else:
            user.remove_user_group(name, "jupyterhub-admins")
        for group, members in self.user_groups.items():
            if self.user.name in members:
                user.ensure_user_group(name, group)
        return await super().start()


c.JupyterHub.spawner_class = UserCreatingSpawner  # noqa: F821 (c: the config being loaded)
