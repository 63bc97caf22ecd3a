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


def unit_absent(root, name):
    """True when the delegated root ROOT holds no cgroup named NAME, neither
    D/users/NAME nor D/users/SLICE/NAME: where `cgspawn status NAME` looks,
    so it would say "not found". A start then needs no `status` process
    before its spawn. False when one may be there or D/users cannot be read
    (the caller then asks `cgspawn status`). A unit made just after this
    look is no risk: `cgspawn spawn` itself refuses a running one."""
    if not name or "/" in name or name in (".", ".."):
        return False
    users = os.path.join(root, "users")
    try:
        with os.scandir(users) as entries:
            for entry in entries:
                if not entry.is_dir(follow_symlinks=False):
                    continue
                if entry.name == name or os.path.lexists(os.path.join(entry.path, name)):
                    return False
    except OSError:
        return False
    return True


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


def _optional(dir_fd, name):
    """NAME's text, or None when its controller is not enabled (no file)."""
    try:
        return _read(dir_fd, name)
    except FileNotFoundError:
        return None


def _in_pinned(path, pinned_inode, read):
    """READ(dir_fd) of the cgroup directory at PATH if it is still the one
    whose inode is PINNED_INODE; None when it is not or cannot be read. Every
    file is read through that one fd, the one whose inode was checked."""
    try:
        dir_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return read(dir_fd) if os.fstat(dir_fd).st_ino == pinned_inode else None
    except (OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(dir_fd)


def read_unit(path, pinned_inode):
    """(populated, oom_kill) of the cgroup at PATH if it is still the one
    whose inode is PINNED_INODE; None when it is not, or a file cannot be
    read (then the caller asks `cgspawn status`). oom_kill is None without
    the memory controller."""
    def read(dir_fd):
        events = _keyed(_read(dir_fd, "cgroup.events"))
        if "populated" not in events:
            return None
        memory = _optional(dir_fd, "memory.events")
        oom = None if memory is None else _keyed(memory).get("oom_kill")
        return events["populated"] == 1, oom

    return _in_pinned(path, pinned_inode, read)


def read_limits(path, pinned_inode):
    """The limits in force of the cgroup at PATH (still PINNED_INODE's), as
    `cgspawn status --json` names them: memory_max, cpu_max, pids_max (the
    kernel's strings; None where the controller is not enabled). None when
    it is not that cgroup or cannot be read. For the progress event that
    says what the server got (progress.py), without another launcher run."""
    def read(dir_fd):
        texts = {key: _optional(dir_fd, name) for key, name in
                 (("memory_max", "memory.max"), ("cpu_max", "cpu.max"), ("pids_max", "pids.max"))}
        return {key: None if text is None else text.strip() for key, text in texts.items()}

    return _in_pinned(path, pinned_inode, read)
