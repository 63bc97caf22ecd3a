"""The typed limits: one table from option name to cgspawn flag and cgroup
file, shared by a server's spawn and a slice's `cgspawn slice set`."""

from jupyterhub.traitlets import ByteSpecification
from traitlets import TraitError

from .errors import CgroupSpawnerConfigError


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
    return max(1, min(10000, round(100 * cpu_guarantee)))


# option name -> (cgspawn flag, cgroup file, value -> flag text)
LIMITS = {
    "mem_limit": ("--memory-max", "memory.max", str),
    "mem_guarantee": ("--memory-low", "memory.low", str),
    "mem_swap_limit": ("--memory-swap-max", "memory.swap.max", str),
    "cpu_limit": ("--cpu-max", "cpu.max", format_cpus),
    "cpu_guarantee": ("--cpu-weight", "cpu.weight", lambda v: str(cpu_weight_for(v))),
    "tasks_limit": ("--tasks-max", "pids.max", str),
}


def limit_args(values, drop=()):
    """(argv, {cgroup file: option name}) for VALUES {option: value or None},
    leaving out the options in DROP."""
    args, files = [], {}
    for option, (flag, cgroup_file, text) in LIMITS.items():
        value = values.get(option)
        if value is None or option in drop:
            continue
        args += [flag, text(value)]
        files[cgroup_file] = option
    return args, files


def _slice_value(slice_name, option, value):
    """A slice_limits value, converted as the spawner's own trait would."""
    where = f"c.CgroupSpawner.slice_limits[{slice_name!r}][{option!r}]"
    if option in ("mem_limit", "mem_guarantee", "mem_swap_limit"):
        try:
            return ByteSpecification().validate(None, value)
        except TraitError:
            raise CgroupSpawnerConfigError(
                f"{where} = {value!r} is not a size: use bytes or a number with K, M, G or T"
            ) from None
    kind = int if option == "tasks_limit" else float
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (
        kind is int and value != int(value)
    ):
        raise CgroupSpawnerConfigError(
            f"{where} = {value!r} must be a non-negative {'integer' if kind is int else 'number'}"
        )
    return kind(value)


def slice_set_args(slice_name, limits):
    """The `slice set` arguments after the subcommand for SLICE_NAME's
    entry of slice_limits, validated: unknown option names and bad values
    raise CgroupSpawnerConfigError naming them."""
    if not isinstance(limits, dict):
        raise CgroupSpawnerConfigError(
            f"c.CgroupSpawner.slice_limits[{slice_name!r}] must be a dict of limits,"
            f" e.g. {{'mem_limit': '8G', 'cpu_limit': 4}}"
        )
    unknown = sorted(set(limits) - set(LIMITS))
    if unknown:
        raise CgroupSpawnerConfigError(
            f"c.CgroupSpawner.slice_limits[{slice_name!r}] has unknown limit(s)"
            f" {', '.join(map(repr, unknown))}: use {', '.join(LIMITS)}"
        )
    values = {k: _slice_value(slice_name, k, v) for k, v in limits.items()}
    return [slice_name] + limit_args(values)[0]
