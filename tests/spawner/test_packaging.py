"""The package installs with Debian's pip/setuptools, offline, and JupyterHub
finds it as spawner_class = "cgroup" / "cgroupspawner"."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

SPAWNER_SRC = Path(__file__).resolve().parents[2] / "spawner"


def test_pyproject_entry_points():
    meta = tomllib.loads((SPAWNER_SRC / "pyproject.toml").read_text())
    eps = meta["project"]["entry-points"]["jupyterhub.spawners"]
    assert eps == {
        "cgroup": "cgroupspawner:CgroupSpawner",
        "cgroupspawner": "cgroupspawner:CgroupSpawner",
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """pip install --no-build-isolation --target DIR (a copy of spawner/, so
    the build leaves nothing in the source tree)."""
    base = tmp_path_factory.mktemp("install")
    src = base / "src"
    shutil.copytree(SPAWNER_SRC, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = base / "target"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps",
         "--no-index", "--quiet", "--target", str(target), str(src)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return target


@pytest.mark.parametrize("name", ["cgroup", "cgroupspawner", "cgroupspawner.CgroupSpawner"])
def test_jupyterhub_resolves_spawner_class(installed, name):
    code = (
        "from jupyterhub.app import JupyterHub\n"
        f"app = JupyterHub(spawner_class={name!r})\n"
        "cls = app.spawner_class\n"
        "print(cls.__module__, cls.__name__, __import__(cls.__module__).__file__)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin"},
        cwd=str(installed.parent),
    )
    assert proc.returncode == 0, proc.stderr
    module, cls, path = proc.stdout.split()
    assert (module, cls) == ("cgroupspawner.spawner", "CgroupSpawner")
    assert path.startswith(str(installed))
