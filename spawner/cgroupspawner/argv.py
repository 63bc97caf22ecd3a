"""The `cgspawn spawn` arguments as a pure function of plain values.

No I/O and no spawner: the spawner gathers the values once per start
(spawner.py, `_spawn_request`) and this turns them into the arguments after
`spawn` and `--cgroup-root` (KubeSpawner's objects.py pattern). Every value
here was validated when the config loaded (validation.py).
"""

from dataclasses import dataclass, field

from .limits import BY_FILE, LIMITS
from .properties import PROTECT_PROC, RLIMIT_PREFIX


@dataclass
class SpawnRequest:
    unit: str
    user: str
    command: list  # the server's argv, after --
    dynamic_user: bool = False
    dynamic_user_shell: str = ""
    dynamic_user_range: str = None
    dynamic_user_state: str = None
    slice: str = None
    limits: dict = field(default_factory=dict)  # option -> value (None: unset)
    properties: list = field(default_factory=list)  # translate_properties()
    private_tmp: bool = False
    private_devices: bool = False
    devices: list = field(default_factory=list)
    read_only: list = field(default_factory=list)
    read_write: list = field(default_factory=list)
    seccomp: str = "default"
    protect_proc: str = "default"
    cgroup_namespace: bool = True
    allow_new_privileges: bool = False
    workdir: str = None
    log_target: str = "auto"
    internal_ssl: bool = False  # the material itself goes on stdin (tls.py)
    owner: str = None  # ownership.owner_text: recorded on the unit by cgspawn


def limit_args(limits, properties):
    """The typed limits (options, then the properties that write a typed
    file) as their flags, then every other property as --property."""
    args = []
    for limit in LIMITS:
        if limits.get(limit.option) is not None:
            args += [limit.flag, limit.flag_text(limits[limit.option])]
    for cgroup_file, value in properties:
        if cgroup_file in BY_FILE:
            args += [BY_FILE[cgroup_file].flag, value]
    for cgroup_file, value in properties:
        if cgroup_file == PROTECT_PROC:
            continue  # an isolation flag: _isolation_args
        if cgroup_file.startswith(RLIMIT_PREFIX):
            args += ["--rlimit", f"{cgroup_file[len(RLIMIT_PREFIX):]}={value}"]
        elif cgroup_file not in BY_FILE:
            args += ["--property", f"{cgroup_file}={value}"]
    return args


def _identity_args(r):
    args = ["--unit", r.unit, "--user", r.user]
    if r.owner:
        args += ["--owner", r.owner]
    if r.dynamic_user:
        args += ["--dynamic-user", "--dynamic-user-shell", r.dynamic_user_shell]
        if r.dynamic_user_range:
            args += ["--dynamic-user-range", r.dynamic_user_range]
        if r.dynamic_user_state:
            args += ["--dynamic-user-state", r.dynamic_user_state]
    if r.slice:
        args += ["--slice", r.slice]
    return args


def _isolation_args(r):
    args = ["--private-tmp"] if r.private_tmp else []
    if r.private_devices:
        args.append("--private-devices")
        for device in r.devices:
            args += ["--device", device]
    for path in r.read_only:
        args += ["--read-only", path]
    for path in r.read_write:
        args += ["--read-write", path]
    if r.protect_proc != "default":
        args += ["--protect-proc", r.protect_proc]
    if not r.cgroup_namespace:
        args.append("--no-cgroup-namespace")
    args += ["--seccomp", r.seccomp]
    if r.allow_new_privileges:
        args.append("--allow-new-privileges")
    return args


def spawn_args(r):
    """SpawnRequest -> the arguments of `cgspawn spawn` after its root
    arguments. The environment (with the API token) is not here: it goes on
    stdin (--env-stdin). --json: the answer names the unit's cgroup and its
    inode, so no `cgspawn status` follows the start (spawner.py)."""
    args = _identity_args(r) + ["--env-stdin", "--setenv-defaults", "--json"]
    if r.internal_ssl:
        args.append("--internal-ssl")
    args += limit_args(r.limits, r.properties)
    args += _isolation_args(r)
    if r.workdir is not None:
        args += ["--workdir", r.workdir]
    if r.log_target != "auto":
        args += ["--log-target", r.log_target]
    return args + ["--"] + list(r.command)
