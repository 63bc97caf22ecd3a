"""Translate SystemdSpawner's ``unit_extra_properties`` into cgroup writes.

``cgspawn`` has no systemd behind it: the only "unit properties" it can apply
are cgroup v2 interface files of the server's cgroup: the typed limits'
files (memory.max, pids.max, ... in limits.py) through their typed flags
(``--memory-max``, ``--tasks-max``, ...), any other through ``--property
FILE=VALUE``. So a key of ``unit_extra_properties`` is either

- a cgroup interface file name (it contains a dot: ``io.weight``,
  ``memory.high``), passed through as it is (a typed limit's file is
  converted to its flag's syntax: ``cpu.max`` ``50000 100000`` is ``0.5``), or
- a systemd resource-control property that has a direct cgroup v2
  equivalent (``MemoryHigh`` -> ``memory.high``), translated here with
  systemd's value syntax (``2G`` is 2 GiB, ``infinity`` is ``max``,
  ``CPUQuota=50%`` is ``--cpu-max 0.5``), or
- a systemd resource limit (``LimitNOFILE=16384``, ``LimitCORE=0:infinity``),
  which becomes ``--rlimit NOFILE=16384`` (setrlimit in the server, before
  it drops to the user; returned as the pair ``('rlimit:NOFILE', '16384')``),
  or
- a systemd accounting switch (``MemoryAccounting`` ...), accepted and
  ignored: cgroup v2 accounts whatever controller is enabled, or
- anything else, which is rejected with :class:`PropertyError` naming the
  property and, where there is one, the CgroupSpawner option to use instead.

As in SystemdSpawner (0.16+), ``{USERNAME}`` and ``{USERID}`` in the values
are expanded per server first (:func:`expand_values`).
"""

import re

from .limits import LIMITS, MAX_CPUS, MAX_TASKS, MAX_WEIGHT, MIN_CPUS, format_cpus

__all__ = [
    "PropertyError",
    "SYSTEMD_TO_CGROUP",
    "IGNORED_SYSTEMD_PROPERTIES",
    "translate_properties",
    "parse_systemd_size",
    "expand_values",
]

class PropertyError(ValueError):
    """A unit_extra_properties entry cgspawn cannot apply."""


_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGTPE]?)B?\s*$")
_SIZE_FACTORS = {
    "": 1,
    "K": 1024,
    "M": 1024**2,
    "G": 1024**3,
    "T": 1024**4,
    "P": 1024**5,
    "E": 1024**6,
}


def parse_systemd_size(text):
    """systemd's size syntax (base 1024) -> bytes as a decimal string, or 'max'.

    ``512M`` -> ``536870912``; ``1.5G`` -> ``1610612736``; ``infinity`` ->
    ``max``. Percentages of physical memory are not supported (the spawner
    does not know the machine's memory the way systemd does).
    """
    text = text.strip()
    if text in ("infinity", "max"):
        return "max"
    m = _SIZE_RE.match(text)
    if not m:
        if text.endswith("%"):
            raise ValueError(
                "percentages of physical memory are not supported: give a size such as 2G"
            )
        raise ValueError("not a size: give bytes or a number with K, M, G, T (x1024), or infinity")
    number, suffix = m.groups()
    return str(int(float(number) * _SIZE_FACTORS[suffix]))


def _uint_or_infinity(low, high):
    def convert(text):
        text = text.strip()
        if text in ("infinity", "max"):
            return "max"
        if text.endswith("%"):
            raise ValueError("percentages are not supported: give a number or infinity")
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(f"not an integer from {low} to {high} or infinity")
        return str(int(text))

    return convert


def _weight(text):
    text = text.strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_WEIGHT:
        raise ValueError(f"not a weight from 1 to {MAX_WEIGHT}")
    return str(int(text))


def _cpu_quota(text):
    """CPUQuota=150% -> '1.5' (--cpu-max takes CPUs; 150 % of one CPU)."""
    text = text.strip()
    m = re.match(r"^([0-9]+(?:\.[0-9]+)?)%$", text)
    if not m or float(m.group(1)) <= 0:
        raise ValueError("not a percentage of one CPU such as 50% or 200%")
    cpus = max(float(m.group(1)) / 100, MIN_CPUS)
    if cpus > MAX_CPUS:
        raise ValueError(f"more than {MAX_CPUS} CPUs")
    return format_cpus(cpus)


def _cpu_max_file(text):
    """cpu.max's own 'QUOTA PERIOD' -> CPUs for --cpu-max."""
    parts = text.split()
    if len(parts) != 2 or not all(p.isdigit() for p in parts) or int(parts[1]) == 0:
        raise ValueError("not 'QUOTA PERIOD' in microseconds such as '50000 100000'")
    cpus = int(parts[0]) / int(parts[1])
    if not MIN_CPUS <= cpus <= MAX_CPUS:
        raise ValueError(f"not from {MIN_CPUS} to {MAX_CPUS} CPUs")
    return format_cpus(cpus)


def _cpu_list(text):
    text = text.strip()
    if not re.fullmatch(r"[0-9]+(-[0-9]+)?([ ,]+[0-9]+(-[0-9]+)?)*", text):
        raise ValueError("not a list of CPUs or nodes such as 0-3,6")
    return ",".join(part for part in re.split(r"[ ,]+", text) if part)


# The typed limits' value syntax: systemd's (CPUQuota= is a percentage), or
# the cgroup file's own when a key names the file (cpu.max is QUOTA PERIOD);
# either way converted to the text of the file's cgspawn flag.
_FROM_SYSTEMD = {
    "size": parse_systemd_size,
    "cpus": _cpu_quota,
    "weight": _weight,
    "count": _uint_or_infinity(1, MAX_TASKS),
}
_FROM_FILE = dict(_FROM_SYSTEMD, cpus=_cpu_max_file)


def _to_flag(limit, convert):
    def to_flag(text):
        value = convert(text)
        if value == "0" and not limit.zero_allowed:
            raise ValueError(f"0 would leave the server no memory ({limit.flag} refuses it)")
        return value

    return to_flag


# systemd property -> (cgroup interface file, value converter).
# Only properties whose cgroup v2 file is exactly what systemd itself writes
# for that property (systemd.resource-control(5)) are translated. The typed
# limits' files (memory.max, pids.max, ...) come from the limits table and
# go to cgspawn as their typed flags (--memory-max, --tasks-max, ...), as
# cgspawn takes them through those flags only.
SYSTEMD_TO_CGROUP = {
    "MemoryMin": ("memory.min", parse_systemd_size),
    "MemoryHigh": ("memory.high", parse_systemd_size),
    "MemoryZSwapMax": ("memory.zswap.max", parse_systemd_size),
    "IOWeight": ("io.weight", _weight),
    "AllowedCPUs": ("cpuset.cpus", _cpu_list),
    "AllowedMemoryNodes": ("cpuset.mems", _cpu_list),
}
SYSTEMD_TO_CGROUP.update(
    (name, (limit.file, _to_flag(limit, _FROM_SYSTEMD[limit.kind])))
    for limit in LIMITS
    for name in limit.systemd
)
_FILE_TO_FLAG = {limit.file: _to_flag(limit, _FROM_FILE[limit.kind]) for limit in LIMITS}

# systemd's Limit*= (systemd.exec(5)) -> cgspawn --rlimit NAME. Values:
# SOFT[:HARD], each a number or infinity; byte limits take K..E (x1024).
# cgspawn parses them (namespaces/rlimits.cpp); this only checks the shape
# at config load, so a typo fails there and not at the first spawn.
RLIMITS = ("CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NOFILE", "AS", "NPROC",
           "MEMLOCK", "LOCKS", "SIGPENDING", "MSGQUEUE", "NICE", "RTPRIO", "RTTIME")
_BYTE_RLIMITS = {"FSIZE", "DATA", "STACK", "CORE", "RSS", "AS", "MEMLOCK", "MSGQUEUE"}
RLIMIT_PREFIX = "rlimit:"
# ProtectProc= (systemd.exec(5)) -> cgspawn --protect-proc; the pair's first
# item has no dot, so it is never a cgroup file.
PROTECT_PROC = "protect_proc"
PROTECT_PROC_VALUES = ("default", "noaccess", "invisible", "ptraceable")


def _protect_proc(text):
    text = text.strip()
    if text not in PROTECT_PROC_VALUES:
        raise ValueError("not one of " + ", ".join(PROTECT_PROC_VALUES))
    return text
_RLIMIT_MAX = {"NICE": 40, "RTPRIO": 99}  # NICE is the raw rlimit: 20 - nice value


def _rlimit(name):
    one = r"(?:infinity|[0-9]+[KMGTPE]?)" if name in _BYTE_RLIMITS else r"(?:infinity|[0-9]+)"
    shape = re.compile(rf"^{one}(?::{one})?$")

    def convert(text):
        text = text.strip()
        if not shape.match(text):
            raise ValueError(
                "not SOFT[:HARD] (a number or infinity"
                + (", K/M/G/T/P/E for bytes" if name in _BYTE_RLIMITS else "")
                + "), e.g. 16384 or 1024:65536"
            )
        top = _RLIMIT_MAX.get(name)
        if top is not None and any(v == "infinity" or int(v) > top for v in text.split(":")):
            raise ValueError(f"out of range: 0 to {top}")
        return text

    return convert


# Accounting switches: cgroup v2 accounts every enabled controller, and
# SystemdSpawner itself sets some of these, so copied configs keep working.
IGNORED_SYSTEMD_PROPERTIES = frozenset(
    {"MemoryAccounting", "CPUAccounting", "TasksAccounting", "IOAccounting", "IPAccounting"}
)

# Properties with no cgroup equivalent that a CgroupSpawner option covers.
_HINTS = {
    "PrivateTmp": "set c.CgroupSpawner.isolate_tmp = True",
    "PrivateDevices": "set c.CgroupSpawner.isolate_devices = True",
    "DeviceAllow": "list the device nodes in c.CgroupSpawner.devices (with isolate_devices)",
    "NoNewPrivileges": "use c.CgroupSpawner.disable_user_sudo (True by default)",
    "ReadOnlyPaths": "use c.CgroupSpawner.readonly_paths",
    "ReadOnlyDirectories": "use c.CgroupSpawner.readonly_paths",
    "ReadWritePaths": "use c.CgroupSpawner.readwrite_paths",
    "ReadWriteDirectories": "use c.CgroupSpawner.readwrite_paths",
    "WorkingDirectory": "use c.CgroupSpawner.user_workingdir",
    "Slice": "use c.CgroupSpawner.slice",
    "DynamicUser": "use c.CgroupSpawner.dynamic_users",
    "SystemCallFilter": "use c.CgroupSpawner.seccomp_profile",
    "CPUShares": "use CPUWeight (1-10000) or c.CgroupSpawner.cpu_guarantee",
    "StartupCPUShares": "use CPUWeight (1-10000)",
    "BlockIOWeight": "use IOWeight (1-10000)",
    "IODeviceWeight": "write io.weight directly, e.g. {'io.weight': '8:0 200'}",
    "IOReadBandwidthMax": "write io.max directly, e.g. {'io.max': '8:0 rbps=1048576'}",
    "IOWriteBandwidthMax": "write io.max directly, e.g. {'io.max': '8:0 wbps=1048576'}",
    "IOReadIOPSMax": "write io.max directly, e.g. {'io.max': '8:0 riops=100'}",
    "IOWriteIOPSMax": "write io.max directly, e.g. {'io.max': '8:0 wiops=100'}",
}

_CGROUP_FILE_RE = re.compile(r"^[a-z0-9_]+\.[a-z0-9_.]*[a-z0-9_]$")


def _supported_summary():
    return (
        "cgroup interface files such as io.weight or memory.high, or one of "
        + ", ".join(sorted(SYSTEMD_TO_CGROUP))
        + ", ProtectProc, or a resource limit Limit"
        + "/".join(RLIMITS)
    )


def _single_value(key, value):
    """A property value as one string: str, int/float, or a 1-element list."""
    if isinstance(value, (list, tuple)):
        if len(value) != 1:
            raise PropertyError(
                f"unit_extra_properties[{key!r}]: give one value, not a list of {len(value)}"
                " (a cgroup file takes one value per server)"
            )
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise PropertyError(f"unit_extra_properties[{key!r}]: the value must be a string")
    text = str(value)
    if not text.strip() or "\n" in text or "\r" in text or "\0" in text:
        raise PropertyError(f"unit_extra_properties[{key!r}]: the value must be one non-empty line")
    return text


def _convert(key, text, convert):
    if convert is None:
        return text
    try:
        return convert(text)
    except ValueError as e:
        raise PropertyError(f"unit_extra_properties[{key!r}] = {text!r}: {e}") from None


def expand_values(properties, expand):
    """PROPERTIES with EXPAND applied to each string value (and each string
    of a list value); keys and other values are left as they are."""

    def one(value):
        if isinstance(value, str):
            return expand(value)
        if isinstance(value, (list, tuple)):
            return [one(v) for v in value]
        return value

    return {key: one(value) for key, value in properties.items()}


def translate_properties(properties, typed_files=None):
    """``unit_extra_properties`` -> ordered list of (cgroup file, value).

    A typed limit's file (limits.BY_FILE) comes with its flag's text
    (``('cpu.max', '0.5')`` for CPUQuota=50%), any other with the file's.

    typed_files maps cgroup files already written through a typed option
    (``{'memory.max': 'mem_limit'}``); a property writing the same file is an
    error, as is two properties writing one file. Raises PropertyError with a
    message meant for the hub page and log.
    """
    typed_files = dict(typed_files or {})
    out = []
    seen = {}
    for key, raw in properties.items():
        if not isinstance(key, str) or not key:
            raise PropertyError(f"unit_extra_properties: {key!r} is not a property name")
        if key in IGNORED_SYSTEMD_PROPERTIES:
            continue
        if "." in key:
            if not _CGROUP_FILE_RE.match(key) or key.startswith("cgroup."):
                raise PropertyError(
                    f"unit_extra_properties: {key!r} is not a cgroup interface file this"
                    " spawner may write (lower-case CONTROLLER.NAME, not cgroup.*)"
                )
            cgroup_file, value = key, _convert(key, _single_value(key, raw), _FILE_TO_FLAG.get(key))
        elif key == "ProtectProc":
            cgroup_file, value = PROTECT_PROC, _convert(key, _single_value(key, raw), _protect_proc)
        elif key.startswith("Limit") and key[5:] in RLIMITS:
            cgroup_file = RLIMIT_PREFIX + key[5:]
            value = _convert(key, _single_value(key, raw), _rlimit(key[5:]))
        elif key in SYSTEMD_TO_CGROUP:
            cgroup_file, convert = SYSTEMD_TO_CGROUP[key]
            value = _convert(key, _single_value(key, raw), convert)
        else:
            hint = _HINTS.get(key)
            why = f"{hint}; " if hint else ""
            raise PropertyError(
                f"unit_extra_properties: systemd property {key!r} has no cgroup equivalent"
                f" in CgroupSpawner: {why}supported are {_supported_summary()}"
            )
        if cgroup_file in typed_files:
            raise PropertyError(
                f"unit_extra_properties[{key!r}] writes {cgroup_file}, which"
                f" c.CgroupSpawner.{typed_files[cgroup_file]} already sets: give it once"
            )
        if cgroup_file in seen:
            raise PropertyError(
                f"unit_extra_properties[{key!r}] writes {cgroup_file}, which"
                f" unit_extra_properties[{seen[cgroup_file]!r}] already sets: give it once"
            )
        seen[cgroup_file] = key
        out.append((cgroup_file, value))
    return out
