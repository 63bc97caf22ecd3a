"""The out-of-memory notice (in_server/oom_notice.py) on the host: the
reading of the cgroup files, when a notice is due and what it says, the
state a restarted kernel inherits, and that PYTHONSTARTUP loads it into a
real IPython kernel without touching the user's namespace. That the notice
reaches a notebook cell after a real OOM kill is the guest's test
(test_e2e_singleuser.py)."""

import os
import subprocess
import sys

import pytest

from cgroupspawner.in_server import oom_notice
from cgroupspawner.in_server.oom_notice import OomWatch, own_cgroup_dir, state_path, sweep
from cgroupspawner.request import OOM_NOTICE_STARTUP

EVENTS = "low 0\nhigh 0\nmax 12\noom 3\noom_kill {}\noom_group_kill 0\n"


@pytest.fixture
def cgroup(tmp_path):
    """A cgroup directory with memory.events and memory.max, and a setter."""
    d = tmp_path / "cg"
    d.mkdir()

    def put(kills, limit="536870912"):
        (d / "memory.events").write_text(EVENTS.format(kills))
        (d / "memory.max").write_text(limit + "\n")

    put(0)
    return d, put


@pytest.mark.parametrize("text, expected", [
    ("0::/\n", "/sys/fs/cgroup"),  # the server's own cgroup namespace
    ("0::/system.slice/jupyterhub-servers.service/jupyter-alice\n",
     "/sys/fs/cgroup/system.slice/jupyterhub-servers.service/jupyter-alice"),
    ("12:memory:/x\n1:name=systemd:/y\n0::/z\n", "/sys/fs/cgroup/z"),  # hybrid
    ("12:memory:/x\n", None),  # cgroup v1 only
])
def test_own_cgroup_dir(text, expected):
    assert own_cgroup_dir(text) == expected


def test_reads_oom_kill_and_memory_max(cgroup, tmp_path):
    d, put = cgroup
    put(7, "max")
    assert oom_notice.oom_kills(d) == 7
    assert oom_notice.memory_max(d) is None
    put(7, "268435456")
    assert oom_notice.memory_max(d) == 268435456
    assert oom_notice.oom_kills(tmp_path / "no-memory-controller") is None


def test_a_kill_during_a_cell_is_told_once(cgroup, tmp_path):
    d, put = cgroup
    watch = OomWatch(d, str(tmp_path / ".kernel-1.json.oom-kills"))
    assert watch.take() is None  # nothing happened
    put(1)
    text = watch.take()
    assert text.startswith("Out of memory: A process of this server was stopped")
    assert "its memory limit of 512 MiB" in text
    assert watch.take() is None  # told once
    watch.close()


def test_the_successor_of_a_killed_kernel_tells_why(cgroup, tmp_path):
    d, put = cgroup
    state = str(tmp_path / ".kernel-1.json.oom-kills")
    OomWatch(d, state)  # the first kernel; then the OOM killer takes it
    put(1, "max")
    successor = OomWatch(d, state)  # the restart, same connection file
    text = successor.take()
    assert text.startswith("Out of memory: The previous kernel was stopped")
    assert "this server's group reached its memory limit" in text  # memory.max 'max'
    assert "Its variables are gone" in text
    assert successor.take() is None
    # A third kernel of the same connection file has nothing to tell.
    assert OomWatch(d, state).take() is None
    successor.close()
    assert not os.path.exists(state)


def test_a_restart_after_a_normal_exit_blames_nobody(cgroup, tmp_path):
    """A kill elsewhere in the server, then the user restarts this kernel:
    the kernel exited normally (its state went with it), so its successor
    does not claim the OOM killer stopped it."""
    d, put = cgroup
    state = str(tmp_path / ".kernel-1.json.oom-kills")
    first = OomWatch(d, state)
    put(1)  # another kernel's process
    first.close()  # atexit of a normal exit
    assert OomWatch(d, state).take() is None


def test_a_new_kernel_does_not_report_old_kills(cgroup, tmp_path):
    d, put = cgroup
    put(4)
    assert OomWatch(d, str(tmp_path / ".kernel-2.json.oom-kills")).take() is None


def test_sweep_removes_only_the_state_of_gone_kernels(tmp_path):
    (tmp_path / "kernel-a.json").write_text("{}")
    kept = state_path(str(tmp_path / "kernel-a.json"))
    gone = state_path(str(tmp_path / "kernel-b.json"))
    for path in (kept, gone):
        with open(path, "w") as f:
            f.write("0\n")
    sweep(str(tmp_path))
    assert os.path.exists(kept) and not os.path.exists(gone)


def test_startup_in_a_plain_python_does_nothing():
    """A terminal's python3 in the server runs PYTHONSTARTUP too."""
    code = f"exec(open({OOM_NOTICE_STARTUP!r}).read()); print(sorted(k for k in dir() if not k.startswith('__')))"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONSTARTUP": OOM_NOTICE_STARTUP},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]" and out.stderr == ""


def test_startup_loads_into_a_real_ipython_kernel(tmp_path):
    """Debian's ipykernel runs the file as PYTHONSTARTUP: the module loads
    under its private name, without an error, and leaves no name in the
    user's namespace. (This host's cgroup2 has no memory controller, so the
    watch itself stays off here.)"""
    manager = pytest.importorskip("jupyter_client.manager")
    env = {**os.environ, "PYTHONSTARTUP": OOM_NOTICE_STARTUP, "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    with open(tmp_path / "kernel.err", "w") as err:
        km, kc = manager.start_new_kernel(kernel_name="python3", env=env, stderr=err)
    try:
        outputs = []
        reply = kc.execute_interactive(
            "import sys; print(sorted(k for k in dir() if 'cgroupspawner' in k),"
            " '_cgroupspawner_in_server.oom_notice' in sys.modules)",
            timeout=60, output_hook=outputs.append)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reply["content"]["status"] == "ok"
    text = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
    assert text.strip() == "[] True"
    assert "cgroupspawner" not in (tmp_path / "kernel.err").read_text()
