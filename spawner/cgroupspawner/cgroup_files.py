"""poll() without a process (issue 17): a running unit's state read from its
cgroup's own files, which the kernel makes world-readable (cgroup.events,
memory.events), so a root hub and a sudo hub alike can read them.

Which cgroup: the path and inode `cgspawn spawn --json` reported for the
cgroup it just made with our owner record, or else the path `cgspawn
status` reported, pinned to the cgroup's inode. A cgroup's inode on cgroup2
is its kernfs id, 64 bits and never reused, so a unit that exited and was
created again under the same path (possibly for another server:
ownership.py) has another inode and is never taken for ours. A pin from
status is taken only when it reported our owner and a running unit, with
the same inode before and after it (spawner.py), so it names the cgroup
that status judged.
"""
import os


def _read(dir_fd, name):
    fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    with os.fdopen(fd, "r", encoding="ascii") as f:
        return f.read()


def _keyed(text):
    """'key value' lines -> {key: int}."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            out[key] = int(value)
    return out


def inode(path):
    """The inode of the cgroup directory PATH, or None if it cannot be read."""
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def read_unit(path, pinned_inode):
    """(populated, oom_kill) of the cgroup at PATH if it is still the one
    whose inode is PINNED_INODE; None when it is not, or a file cannot be
    read (then the caller asks `cgspawn status`). oom_kill is None without
    the memory controller. Both files are read through one directory fd,
    the one whose inode was checked."""
    try:
        dir_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if os.fstat(dir_fd).st_ino != pinned_inode:
            return None
        events = _keyed(_read(dir_fd, "cgroup.events"))
        if "populated" not in events:
            return None
        try:
            oom = _keyed(_read(dir_fd, "memory.events")).get("oom_kill")
        except FileNotFoundError:
            oom = None
        return events["populated"] == 1, oom
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(dir_fd)


def read_limits(path, pinned_inode):
    """The limits in force of the cgroup at PATH (still PINNED_INODE's), as
    `cgspawn status --json` names them: memory_max, cpu_max, pids_max (the
    kernel's strings; None where the controller is not enabled). None when
    it is not that cgroup or cannot be read. For the progress event that
    says what the server got (progress.py), without another launcher run."""
    try:
        dir_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        if os.fstat(dir_fd).st_ino != pinned_inode:
            return None
        limits = {}
        for key, name in (("memory_max", "memory.max"), ("cpu_max", "cpu.max"),
                          ("pids_max", "pids.max")):
            try:
                limits[key] = _read(dir_fd, name).strip()
            except FileNotFoundError:
                limits[key] = None
        return limits
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(dir_fd)
