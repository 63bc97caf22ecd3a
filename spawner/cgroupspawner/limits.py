"""The typed limits: the one table of what the spawner knows about them.

Each row says which spawner option sets a cgroup file, through which cgspawn
flag, under which controller, within which bounds, and which systemd
properties mean the same file. Everything else is generated from it: the
argv flags (argv.py), slice_limits (`cgspawn slice set`), the systemd
property translation (properties.py), the preflight's check ids
(preflight.py) and the load-time validation of the options (validation.py).
`cgspawn limits --json` prints cgspawn's own table, and
tests/spawner/test_limit_table_contract.py holds the two against each other.
"""

from dataclasses import dataclass

from jupyterhub.traitlets import ByteSpecification
from traitlets import TraitError

from .errors import CgroupSpawnerConfigError

# cgspawn's bounds (cgroup/values.cpp): --cpu-max takes 0.01..4096 CPUs;
# cpu.weight is 1..10000; pids.max 1..PID_MAX_LIMIT.
MIN_CPUS, MAX_CPUS = 0.01, 4096
MAX_WEIGHT = 10000
MAX_TASKS = 4194304


def format_cpus(value):
    """1.5 -> '1.5', 2.0 -> '2', 0.25 -> '0.25' (fixed notation for cgspawn)."""
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


def cpu_weight_for(cpu_guarantee):
    """cpu_guarantee (CPUs) -> cpu.weight: round(100 x CPUs), 1..10000.

    cpu.weight is a share, not a reservation: 100 is the default weight of
    every cgroup, so a server guaranteed 2 CPUs gets twice the CPU time of a
    default sibling when the CPUs are contended.
    """
    return max(1, min(MAX_WEIGHT, round(100 * cpu_guarantee)))


@dataclass(frozen=True)
class Limit:
    option: str  # the spawner's trait (and slice_limits key)
    file: str  # the cgroup interface file cgspawn writes
    flag: str  # cgspawn's flag for it (spawn and slice set)
    controller: str
    kind: str  # "size" (bytes), "cpus", "weight", "count"
    systemd: tuple  # systemd properties that write this file
    zero_allowed: bool = True  # whether the flag takes 0
    accepts_max: bool = False  # whether the flag takes "max" (no limit)

    @property
    def check_id(self):
        """The id of `cgspawn check`'s probe of this file."""
        return "limit." + self.file

    def flag_text(self, value):
        """An option value (already validated) -> the flag's text."""
        if self.kind == "cpus":
            return format_cpus(value)
        if self.kind == "weight":
            return str(cpu_weight_for(value))
        return str(value)

    def problem(self, value):
        """Why an option value cannot be used (None: it can); the value is
        already of the option's type (bytes, CPUs, a count)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            return "must be a non-negative " + ("integer" if self.kind == "count" else "number")
        if self.kind == "count" and value != int(value):
            return "must be a non-negative integer"
        if self.kind == "size" and value == 0 and not self.zero_allowed:
            return f"0 would leave the server no memory ({self.flag} refuses it): give a size such as 512M"
        if self.kind == "cpus" and not MIN_CPUS <= value <= MAX_CPUS:
            return f"must be from {MIN_CPUS} to {MAX_CPUS} CPUs ({self.flag})"
        if self.kind == "count" and not 1 <= value <= MAX_TASKS:
            return f"must be from 1 to {MAX_TASKS} ({self.flag})"
        return None


LIMITS = (
    Limit("mem_limit", "memory.max", "--memory-max", "memory", "size",
          ("MemoryMax", "MemoryLimit"), zero_allowed=False, accepts_max=True),
    Limit("mem_guarantee", "memory.low", "--memory-low", "memory", "size",
          ("MemoryLow",), accepts_max=True),
    Limit("mem_swap_limit", "memory.swap.max", "--memory-swap-max", "memory", "size",
          ("MemorySwapMax",), accepts_max=True),
    Limit("cpu_limit", "cpu.max", "--cpu-max", "cpu", "cpus", ("CPUQuota",), zero_allowed=False),
    Limit("cpu_guarantee", "cpu.weight", "--cpu-weight", "cpu", "weight", ("CPUWeight",),
          zero_allowed=False),
    Limit("tasks_limit", "pids.max", "--tasks-max", "pids", "count", ("TasksMax",),
          zero_allowed=False, accepts_max=True),
)
BY_OPTION = {lim.option: lim for lim in LIMITS}
BY_FILE = {lim.file: lim for lim in LIMITS}
OPTIONS = tuple(BY_OPTION)


def _slice_value(slice_name, option, value):
    """A slice_limits value, converted as the spawner's own trait would."""
    where = f"c.CgroupSpawner.slice_limits[{slice_name!r}][{option!r}]"
    limit = BY_OPTION[option]
    if limit.kind == "size":
        try:
            value = ByteSpecification().validate(None, value)
        except TraitError:
            raise CgroupSpawnerConfigError(
                f"{where} = {value!r} is not a size: use bytes or a number with K, M, G or T"
            ) from None
    problem = limit.problem(value)
    if problem:
        raise CgroupSpawnerConfigError(f"{where} = {value!r} {problem}")
    return int(value) if limit.kind in ("size", "count") else float(value)


def slice_set_args(slice_name, limits):
    """The `slice set` arguments after the subcommand for SLICE_NAME's
    entry of slice_limits, validated: unknown option names and bad values
    raise CgroupSpawnerConfigError naming them."""
    if not isinstance(limits, dict):
        raise CgroupSpawnerConfigError(
            f"c.CgroupSpawner.slice_limits[{slice_name!r}] must be a dict of limits,"
            f" e.g. {{'mem_limit': '8G', 'cpu_limit': 4}}"
        )
    unknown = sorted(set(limits) - set(OPTIONS))
    if unknown:
        raise CgroupSpawnerConfigError(
            f"c.CgroupSpawner.slice_limits[{slice_name!r}] has unknown limit(s)"
            f" {', '.join(map(repr, unknown))}: use {', '.join(OPTIONS)}"
        )
    args = [slice_name]
    for limit in LIMITS:
        if limits.get(limit.option) is not None:
            value = _slice_value(slice_name, limit.option, limits[limit.option])
            args += [limit.flag, limit.flag_text(value)]
    return args


# The variables JupyterHub exports for its own limit options (Spawner.get_env),
# which tools inside the server (jupyter-resource-usage) read.
LIMIT_ENV = {"mem_limit": "MEM_LIMIT", "mem_guarantee": "MEM_GUARANTEE",
             "cpu_limit": "CPU_LIMIT", "cpu_guarantee": "CPU_GUARANTEE"}


def limit_env(properties):
    """MEM_LIMIT, CPU_LIMIT and the guarantees for limits set through
    unit_extra_properties (MemoryMax=, CPUQuota=, MemoryLow=, CPUWeight=,
    or their cgroup files): the same figures JupyterHub exports for
    mem_limit and the others, so the server sees the effective limit
    whichever option set it. PROPERTIES: translate_properties() pairs, whose
    typed ones carry their flag's text ("max": no limit, nothing exported)."""
    env = {}
    for cgroup_file, value in properties:
        limit = BY_FILE.get(cgroup_file)
        if limit is None or limit.option not in LIMIT_ENV or value == "max":
            continue
        # cpu.weight's text is the weight: 100 per CPU of guarantee (cpu_weight_for)
        figure = int(value) / 100 if limit.kind == "weight" else value
        env[LIMIT_ENV[limit.option]] = str(figure)
    return env
