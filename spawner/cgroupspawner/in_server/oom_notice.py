"""Telling the user why the memory limit stopped their kernel.

When a server reaches its memory.max, Linux's OOM killer kills its largest
process, usually the IPython kernel. The notebook then says only "The kernel
appears to have died" and restarts it. This module, loaded into every IPython
kernel of a server CgroupSpawner started (startup.py, through PYTHONSTARTUP),
watches the oom_kill count of the server's own cgroup (memory.events) and
prints the reason into the output of the next cell the user runs:

- in a restarted kernel, when the count grew while its predecessor ran;
- after a cell during which a process of the server was killed (a
  subprocess, a multiprocessing worker).

It is ordinary cell output (stderr), so JupyterLab 4, Notebook 7, the
classic notebook and the console all show it, with nothing to build in
JavaScript. The admin has the hub's own log line of each OOM kill.

A restarted kernel knows what its predecessor saw through a small state
file next to the kernel's connection file, which JupyterHub's server keeps
across automatic restarts: the count already reported. A normal exit removes
it, and a kernel's start removes those whose connection file is gone.
"""

import atexit
import glob
import os
import sys

from .words import bytes_in_words

CGROUP_MOUNT = "/sys/fs/cgroup"
STATE_SUFFIX = ".oom-kills"


def own_cgroup_dir(proc_self_cgroup, mount=CGROUP_MOUNT):
    """The directory of this process's cgroup v2 ('0::/PATH' in
    /proc/self/cgroup); in the server's own cgroup namespace PATH is '/'."""
    for line in proc_self_cgroup.splitlines():
        if line.startswith("0::"):
            return os.path.normpath(mount + "/" + line[3:].strip())
    return None


def oom_kills(cgroup_dir):
    """memory.events' oom_kill: the processes of this cgroup (and below) the
    OOM killer took, whichever limit ran out. None without the memory
    controller."""
    try:
        with open(os.path.join(cgroup_dir, "memory.events")) as f:
            text = f.read()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill":
            return int(value)
    return None


def memory_max(cgroup_dir):
    """memory.max in bytes, or None for 'max' (a limit above, if any)."""
    try:
        with open(os.path.join(cgroup_dir, "memory.max")) as f:
            text = f.read().strip()
    except OSError:
        return None
    return None if text == "max" else int(text)


def notice(restarted, limit):
    """What the user reads. RESTARTED: the kernel itself was the one killed
    (as far as a successor can tell); LIMIT: memory.max in bytes or None."""
    where = (f"this server reached its memory limit of {bytes_in_words(limit)}" if limit
             else "this server's group reached its memory limit")
    what = ("The previous kernel was stopped by Linux's out-of-memory killer"
            if restarted else "A process of this server was stopped by Linux's out-of-memory killer")
    lost = (" Its variables are gone: run again the cells that made them."
            if restarted else "")
    return (f"Out of memory: {what}, because {where}.{lost} To stay under the limit,"
            " load less data at once or free what is no longer needed (del), or ask your"
            " JupyterHub admin for a larger profile.")


def state_path(connection_file):
    """kernel-ID.json -> .kernel-ID.json.oom-kills, in the same directory."""
    head, tail = os.path.split(connection_file)
    return os.path.join(head, "." + tail + STATE_SUFFIX)


def sweep(runtime_dir):
    """Remove state files whose kernel is gone (its last process killed
    and not restarted, so no exit removed the file)."""
    for path in glob.glob(os.path.join(runtime_dir, ".*" + STATE_SUFFIX)):
        connection = os.path.join(runtime_dir, os.path.basename(path)[1:-len(STATE_SUFFIX)])
        if not os.path.exists(connection):
            _remove(path)


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


class OomWatch:
    """The count this kernel has accounted for, kept in the state file."""

    def __init__(self, cgroup_dir, state):
        self.cgroup_dir = cgroup_dir
        self.state = state
        now = oom_kills(cgroup_dir)
        before = self._read_state()
        self.seen = now
        # The successor of a killed kernel: its predecessor saw fewer kills.
        self.pending = before is not None and now > before
        self._write_state()

    def _read_state(self):
        try:
            with open(self.state) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _write_state(self):
        tmp = self.state + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{self.seen}\n")
        os.replace(tmp, self.state)

    def take(self):
        """The notice due now, once, or None."""
        now = oom_kills(self.cgroup_dir)
        restarted, self.pending = self.pending, False
        if now is None or (now <= self.seen and not restarted):
            return None
        self.seen = max(now, self.seen)
        self._write_state()
        return notice(restarted, memory_max(self.cgroup_dir))

    def close(self):
        _remove(self.state)


def _say(watch, *_):
    """Into the running cell's output only. (Not also to sys.__stderr__ for
    the server's log: ipykernel 6 forwards fd 2 to the frontend as well, so
    the cell would show it twice. The hub logs each OOM kill already.)"""
    text = watch.take()
    if text:
        print(text, file=sys.stderr, flush=True)


def start(shell=None):
    """Load into the running IPython kernel; anything else (a plain Python
    REPL started with this PYTHONSTARTUP, no memory controller) is left as
    it is. Returns the watch, or None."""
    shell = shell or _running_kernel_shell()
    if shell is None:
        return None
    with open("/proc/self/cgroup") as f:
        cgroup_dir = own_cgroup_dir(f.read())
    if cgroup_dir is None or oom_kills(cgroup_dir) is None:
        return None
    from ipykernel.connect import get_connection_file

    connection_file = get_connection_file()
    sweep(os.path.dirname(connection_file))
    watch = OomWatch(cgroup_dir, state_path(connection_file))
    atexit.register(watch.close)
    shell.events.register("pre_run_cell", lambda *a: _say(watch))
    shell.events.register("post_run_cell", lambda *a: _say(watch))
    return watch


def _running_kernel_shell():
    """The IPython shell when this process is an IPython kernel, else None."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython else None
    return shell if getattr(shell, "kernel", None) is not None else None
