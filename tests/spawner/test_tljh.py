"""The Littlest JupyterHub's configuration, switched to CgroupSpawner with
spawner/examples/tljh_cgroupspawner.py (issue 16): TLJH's own settings (its
jupyterhub_config.py and configurer.py, as of 2024) loaded first, then the
drop-in, as TLJH loads jupyterhub_config.d/*.py; the spawn it makes is
planned by the real cgspawn. TLJH itself is not installed here: its `tljh`
modules are stand-ins that record what the drop-in asks of them."""

import sys
import types
from pathlib import Path

import pytest
from conftest import FAKE_USERS
from real_cgspawn import planned
from traitlets.config import Config

DROP_IN = Path(__file__).resolve().parents[2] / "spawner" / "examples" / "tljh_cgroupspawner.py"
HUB_USER = "tljhann"


def tljh_config():
    """What TLJH sets before it loads jupyterhub_config.d/ (limits as an
    admin would set them with `tljh-config set limits.memory 1G`)."""
    c = Config()
    c.SystemdSpawner.extra_paths = ["/opt/tljh/user/bin"]
    c.SystemdSpawner.default_shell = "/bin/bash"
    c.SystemdSpawner.unit_name_template = "jupyter-{USERNAME}"
    c.SystemdSpawner.username_template = "jupyter-{USERNAME}"
    c.Spawner.mem_limit = "1G"
    c.Spawner.cpu_limit = 2.0
    c.Spawner.default_url = "/lab"
    c.UserCreatingSpawner.user_groups = {"teachers": [HUB_USER]}
    return c


@pytest.fixture
def tljh_modules(monkeypatch):
    """Stand-ins for tljh.user and tljh.normalize, recording the calls."""
    calls = []
    user = types.ModuleType("tljh.user")
    for name in ("ensure_user", "ensure_user_group", "remove_user_group"):
        setattr(user, name, lambda *args, _n=name: calls.append((_n, *args)))
    normalize = types.ModuleType("tljh.normalize")
    normalize.generate_system_username = lambda name: name  # short names stay as they are
    package = types.ModuleType("tljh")
    package.user, package.normalize = user, normalize
    for name, module in [("tljh", package), ("tljh.user", user), ("tljh.normalize", normalize)]:
        monkeypatch.setitem(sys.modules, name, module)
    account = f"jupyter-{HUB_USER}"
    monkeypatch.setitem(FAKE_USERS, account,
                        (account, "x", 3003, 3003, "", f"/home/{account}", "/bin/bash"))
    return calls


async def test_tljh_with_the_drop_in_spawns_as_tljh_did(make_spawner, launcher, tljh_modules):
    c = tljh_config()
    exec(compile(DROP_IN.read_text(), str(DROP_IN), "exec"), {"c": c})  # noqa: S102 (our file)
    cls = c.JupyterHub.spawner_class
    spawner = make_spawner(username=HUB_USER, spawner_class=cls, config=c,
                           cgroup_root="/nonexistent/cgspawn-contract-root")
    plan = await planned(spawner, launcher)
    account = f"jupyter-{HUB_USER}"
    assert tljh_modules == [("ensure_user", account),
                            ("ensure_user_group", account, "jupyterhub-users"),
                            ("remove_user_group", account, "jupyterhub-admins"),
                            ("ensure_user_group", account, "teachers")]
    assert (plan["unit"], plan["user"]["name"]) == (account, account)
    assert plan["limits"] == {"memory.max": str(1 << 30), "cpu.max": "200000 100000"}
    assert {"SHELL", "PATH", "MEM_LIMIT", "CPU_LIMIT"} <= set(plan["environment"])
    assert dict(launcher.spawn_env())["PATH"].startswith("/opt/tljh/user/bin:")
    assert spawner.default_url == "/lab"
