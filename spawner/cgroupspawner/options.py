"""CgroupSpawner's options: SystemdSpawner's, same names, types, defaults and
meaning, then ours. A mixin, so spawner.py holds only behaviour."""

import functools
import os
import shutil

from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.traitlets import ByteSpecification
from traitlets import Bool, CaselessStrEnum, Dict, Float, HasTraits, Integer, List, Unicode, default

DEFAULT_LAUNCHER = "/usr/sbin/cgspawn"


@functools.lru_cache(maxsize=1)
def local_process_env_keep():
    """What LocalProcessSpawner of the running JupyterHub keeps of the hub's
    environment by default. Up to 5.1 that is the base Spawner's env_keep
    (PATH, PYTHONPATH, CONDA_ROOT, CONDA_DEFAULT_ENV, VIRTUAL_ENV, LANG,
    LC_ALL, JUPYTERHUB_SINGLEUSER_APP); from 5.2 the base keeps only
    JUPYTERHUB_SINGLEUSER_APP and LocalProcessSpawner's own default adds the
    rest and LD_LIBRARY_PATH. Asked of the class itself, so a later change
    there is followed, not restated."""
    return tuple(LocalProcessSpawner().env_keep)


class CgroupSpawnerOptions(HasTraits):
    @classmethod
    def section_names(cls):
        """The config sections read, lowest priority first: SystemdSpawner's
        just below CgroupSpawner's, so c.SystemdSpawner.* settings (its
        README's, The Littlest JupyterHub's) apply after the one-line switch,
        and c.CgroupSpawner.* wins where both set an option. (traitlets reads
        only the sections of classes in the spawner's own hierarchy.)"""
        names = super().section_names()
        if "SystemdSpawner" not in names and "CgroupSpawner" in names:
            names.insert(names.index("CgroupSpawner"), "SystemdSpawner")
        return names

    # ---- SystemdSpawner's options: same names, types, defaults, meaning ----

    user_workingdir = Unicode(
        None,
        allow_none=True,
        help="""
        Path to start each notebook user on.

        {USERNAME} and {USERID} are expanded.

        Defaults to the home directory of the user (cgspawn's default, or /
        when the home directory does not exist). Maps to `cgspawn --workdir`.
        """,
    ).tag(config=True)

    username_template = Unicode(
        "{USERNAME}",
        help="""
        Template for unix username each user should be spawned as.

        {USERNAME} and {USERID} are expanded.

        This user should already exist in the system. Maps to `cgspawn --user`.
        """,
    ).tag(config=True)

    default_shell = Unicode(
        os.environ.get("SHELL", "/bin/bash"),
        help="Default shell for users on the notebook terminal ($SHELL of the server).",
    ).tag(config=True)

    extra_paths = List(
        [],
        help="""
        Extra paths to prepend to the $PATH environment variable.

        {USERNAME} and {USERID} are expanded.
        """,
    ).tag(config=True)

    unit_name_template = Unicode(
        "jupyter-{USERNAME}-singleuser",
        help="""
        Template for the unit name: the server's cgroup D/users/[SLICE/]NAME
        and its journal tag.

        {USERNAME}, {USERID} and {SERVERNAME} are expanded, the names escaped
        (every UTF-8 byte outside a-z 0-9 becomes _ and two hex digits:
        "ann.lee" -> "ann_2elee"). A named server gets "-{servername}"
        appended unless the template uses {SERVERNAME}. No two (user,
        server) pairs share a unit (slugs.py): the template must name the
        user, and the text after each placeholder must start with "-", "."
        or an upper-case letter. A name over 200 characters ends in a hash.
        A running server keeps the name it was started with; the next start
        uses the template.
        """,
    ).tag(config=True)

    isolate_tmp = Bool(
        False,
        help="""
        Give each notebook user their own /tmp (and /var/tmp), isolated from the
        system & each other. Maps to `cgspawn --private-tmp`.
        """,
    ).tag(config=True)

    isolate_devices = Bool(
        False,
        help="""
        Give each notebook user their own /dev, with a very limited set of
        devices. Maps to `cgspawn --private-devices`.
        """,
    ).tag(config=True)

    disable_user_sudo = Bool(
        True,
        help="""
        Disallow becoming root (or any other user) via sudo or other setuid
        means from inside the notebook (no_new_privs).

        True by default, as in SystemdSpawner since 1.0 (False before). Set
        to False to pass `cgspawn --allow-new-privileges`.
        """,
    ).tag(config=True)

    readonly_paths = List(
        None,
        allow_none=True,
        help="""
        List of paths that should be marked readonly from the user notebook.

        Subpaths may be made writeable by setting readwrite_paths.
        {USERNAME} and {USERID} are expanded. Each maps to `cgspawn --read-only`.
        """,
    ).tag(config=True)

    readwrite_paths = List(
        None,
        allow_none=True,
        help="""
        List of paths that should be marked read-write from the user notebook.

        Used to make a subpath of a readonly path writeable.
        {USERNAME} and {USERID} are expanded. Each maps to `cgspawn --read-write`.
        """,
    ).tag(config=True)

    unit_extra_properties = Dict(
        {},
        help="""
        Extra properties of each server's cgroup.

        Keys are cgroup v2 interface files (e.g. "io.weight", "memory.high"),
        written as they are (`cgspawn --property FILE=VALUE`), or systemd
        resource-control property names that have a direct cgroup equivalent
        (MemoryMin, MemoryLow, MemoryHigh, MemoryMax, MemoryLimit,
        MemorySwapMax, MemoryZSwapMax, TasksMax, CPUWeight, CPUQuota,
        IOWeight, AllowedCPUs, AllowedMemoryNodes), translated with systemd's
        value syntax; those of the typed limits (MemoryMax, MemoryLimit,
        MemoryLow, MemorySwapMax, CPUQuota, CPUWeight, TasksMax, and the files
        memory.max, ...) become their flags (--memory-max, ...). *Accounting
        switches are accepted and ignored. Any other systemd property is
        refused with an error naming it when the config loads.
        """,
    ).tag(config=True)

    dynamic_users = Bool(
        False,
        help="""
        Allocate system users dynamically for each user (systemd's DynamicUser=),
        for hub users without a Unix account (tmpauthenticator, OAuth).

        Maps to `cgspawn spawn --dynamic-user`: the hub user's name (escaped
        to [a-z0-9_.-], see cgroupspawner/dynamic.py) gets a uid/gid that is
        kept forever (default range 20000-29999) and a home in
        /var/lib/cgspawn/home/NAME, which is also the working directory;
        /etc/passwd and /etc/group show the user inside the server only.
        As in SystemdSpawner, username_template and user_workingdir are
        ignored.
        """,
    ).tag(config=True)

    dynamic_user_range = Unicode(
        None,
        allow_none=True,
        help="""
        uids for new dynamic users, "MIN-MAX" (`cgspawn --dynamic-user-range`).
        Default: cgspawn's, 20000-29999. Through sudo the policy's "dynamic_user_range"
        applies and this must be unset or equal to it.
        """,
    ).tag(config=True)

    dynamic_user_state = Unicode(
        None,
        allow_none=True,
        help="""
        Where dynamic users' uid mapping (dynamic-users/) and homes (home/)
        live (`cgspawn --dynamic-user-state`). Default: cgspawn's, /var/lib/cgspawn.
        """,
    ).tag(config=True)

    slice = Unicode(
        None,
        allow_none=True,
        help="""
        Run every server in this slice: D/users/SLICE/NAME, whose cgroup can
        carry aggregate limits for all of them. Maps to `cgspawn --slice`.
        """,
    ).tag(config=True)

    @default("env_keep")
    def _default_env_keep(self):
        # The server is a local process, as LocalProcessSpawner's: it keeps
        # by default what that keeps (JupyterHub 5.2 moved the list there).
        # c.Spawner.env_keep / c.CgroupSpawner.env_keep still replace it.
        return list(local_process_env_keep())

    # ---- beyond SystemdSpawner ----

    profiles = List(
        Dict(),
        [],
        help="""
        Resource profiles users choose from: [{"name": "large",
        "display_name": "Large: 8 GiB, 4 CPUs", "description": "...",
        "groups": ["staff"], "default": False, "options": {"mem_limit": "8G",
        "cpu_limit": 4}}, ...]. A profile without "groups" is for everyone.
        With two or more available to a user, the spawn page offers them
        (options_form); the REST API takes {"profile": NAME} as the server's
        body. Only names the user may use are accepted; the options (limits,
        isolation, slice, devices, unit_extra_properties) apply on top of the
        configured ones for that start. See README, "Profiles".
        """,
    ).tag(config=True)

    slice_limits = Dict(
        {},
        help="""
        Aggregate limits per slice: {"students": {"mem_limit": "16G",
        "cpu_limit": 4, "tasks_limit": 2000}}. Keys inside are the spawner's
        own limit options (mem_limit, mem_guarantee, mem_swap_limit,
        cpu_limit, cpu_guarantee, tasks_limit), meaning all servers of the
        slice together. Written with `cgspawn slice set` before each spawn
        into that slice (see `slice`).
        """,
    ).tag(config=True)

    require_enforced_limits = Bool(
        True,
        help="""
        Before its first spawn the spawner runs `cgspawn check` (once per hub)
        and logs the result. True: a start whose configured limits or
        isolation that check found cannot work on this host is refused, with
        the failed check in the message, rather than run unlimited. False:
        such servers start without what cannot work, with a warning.
        """,
    ).tag(config=True)

    tasks_limit = Integer(
        None,
        allow_none=True,
        help="Maximum number of processes and threads of a server (pids.max; `cgspawn --tasks-max`).",
    ).tag(config=True)

    mem_swap_limit = ByteSpecification(
        None,
        help="""
        Maximum swap a server may use (memory.swap.max; `cgspawn --memory-swap-max`).
        Bytes or a number with K, M, G, T (x1024); 0 forbids swap.
        """,
    ).tag(config=True)

    devices = List(
        Unicode(),
        [],
        help="""
        Device nodes to expose in the private /dev (`cgspawn --device` each).
        Needs isolate_devices = True.
        """,
    ).tag(config=True)

    protect_proc = CaselessStrEnum(
        ["invisible", "ptraceable", "noaccess", "default"],
        "invisible",
        help="""
        The server's view of other processes (systemd's ProtectProc=). With
        "invisible" (the default) each server gets a /proc of its own with
        hidepid=invisible: its user sees only their own processes, not the
        other users' kernels, command lines and paths. "default" keeps the
        host's /proc (everyone's processes listed, as under SystemdSpawner
        unless it sets ProtectProc). Maps to `cgspawn spawn --protect-proc`;
        needs kernel 5.8. `unit_extra_properties = {"ProtectProc": ...}`
        sets it too (and wins).
        """,
    ).tag(config=True)

    cgroup_namespace = Bool(
        True,
        help="""
        Give each server a cgroup namespace rooted at its own cgroup, with
        that cgroup mounted read-only at /sys/fs/cgroup (as container
        runtimes do on cgroup v2): inside, `cat /sys/fs/cgroup/memory.max`
        prints the server's own limit (cpu.max, pids.max, memory.events
        likewise), and the other servers' and the hub's cgroups are not
        visible. False leaves the host's /sys/fs/cgroup (`cgspawn spawn
        --no-cgroup-namespace`). SystemdSpawner has no such option.
        """,
    ).tag(config=True)

    oom_notice = Bool(
        True,
        help="""
        Tell the user in the notebook when the memory limit killed their
        kernel or one of its processes: the server's IPython kernels load a
        small watcher of the server's memory.events (through PYTHONSTARTUP),
        which prints the reason and the limit into the next cell's output
        (the hub logs each OOM kill for the admin). False leaves PYTHONSTARTUP
        unset; a PYTHONSTARTUP set in c.Spawner.environment is kept and wins.
        """,
    ).tag(config=True)

    seccomp_profile = CaselessStrEnum(
        ["default", "none"],
        "default",
        help="""
        Syscall filter of the server: "default" or "none". Maps to
        `cgspawn spawn --seccomp`; `cgspawn spawn --help` lists what the
        default filter denies, from the filter itself.
        """,
    ).tag(config=True)

    launcher_path = Unicode(
        help="""
        Path of the cgspawn launcher. Default: /usr/sbin/cgspawn if it exists,
        else cgspawn found on the hub's $PATH, else /usr/sbin/cgspawn.
        """,
    ).tag(config=True)

    @default("launcher_path")
    def _default_launcher_path(self):
        if os.path.exists(DEFAULT_LAUNCHER):
            return DEFAULT_LAUNCHER
        return shutil.which("cgspawn") or DEFAULT_LAUNCHER

    sudo = Bool(
        False,
        help="""
        Run the launcher through `sudo -n`, so the hub itself needs no root
        (see examples/sudoers in the spawner's source).
        """,
    ).tag(config=True)

    cgroup_root = Unicode(
        None,
        allow_none=True,
        help="""
        The delegated cgroup directory D (`cgspawn --cgroup-root`). Default:
        cgspawn finds it from its own cgroup (the hub's, minus a trailing /hub).
        """,
    ).tag(config=True)

    log_target = CaselessStrEnum(
        ["auto", "journal", "stderr"],
        "auto",
        help="""
        Where the server's stdout/stderr go (`cgspawn --log-target`, passed
        when not "auto"): "journal" - a journald stream tagged with the unit
        name (`journalctl -t jupyter-NAME-singleuser`); "stderr" - back to the
        hub, which logs each line; "auto" - journal when journald runs.
        """,
    ).tag(config=True)

    stop_timeout = Float(
        10,
        help="""
        Seconds stop() lets a server exit after SIGTERM before killing the
        whole cgroup (`cgspawn stop --timeout`). stop(now=True) uses 0.
        """,
    ).tag(config=True)
