"""Translate SystemdSpawner's ``unit_extra_properties`` into cgroup writes.

``cgspawn`` has no systemd behind it: the only "unit properties" it can apply
are cgroup v2 interface files of the server's cgroup (``--property
FILE=VALUE``). So a key of ``unit_extra_properties`` is either

- a cgroup interface file name (it contains a dot: ``io.weight``,
  ``memory.high``), passed through as it is, or
- a systemd resource-control property that has a direct cgroup v2
  equivalent (``MemoryHigh`` -> ``memory.high``), translated here with
  systemd's value syntax (``2G`` is 2 GiB, ``infinity`` is ``max``,
  ``CPUQuota=50%`` is ``cpu.max 50000 100000``), or
- a systemd accounting switch (``MemoryAccounting`` ...), accepted and
  ignored: cgroup v2 accounts whatever controller is enabled, or
- anything else, which is rejected with :class:`PropertyError` naming the
  property and, where there is one, the CgroupSpawner option to use instead.
"""

import re

__all__ = [
    "PropertyError",
    "SYSTEMD_TO_CGROUP",
    "IGNORED_SYSTEMD_PROPERTIES",
    "translate_properties",
    "parse_systemd_size",
]

# cpu.max period, as cgspawn --cpu-max and systemd's CPUQuota= use it.
CPU_PERIOD_USEC = 100000


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
    if not text.isdigit() or not 1 <= int(text) <= 10000:
        raise ValueError("not a weight from 1 to 10000")
    return str(int(text))


def _cpu_quota(text):
    """CPUQuota=150% -> '150000 100000' (150 % of one CPU per 100 ms)."""
    text = text.strip()
    m = re.match(r"^([0-9]+(?:\.[0-9]+)?)%$", text)
    if not m or float(m.group(1)) <= 0:
        raise ValueError("not a percentage of one CPU such as 50% or 200%")
    quota = round(float(m.group(1)) / 100 * CPU_PERIOD_USEC)
    return f"{max(quota, 1000)} {CPU_PERIOD_USEC}"


def _cpu_list(text):
    text = text.strip()
    if not re.fullmatch(r"[0-9]+(-[0-9]+)?([ ,]+[0-9]+(-[0-9]+)?)*", text):
        raise ValueError("not a list of CPUs or nodes such as 0-3,6")
    return ",".join(part for part in re.split(r"[ ,]+", text) if part)


# systemd property -> (cgroup interface file, value converter).
# Only properties whose cgroup v2 file is exactly what systemd itself writes
# for that property (systemd.resource-control(5)) are translated.
SYSTEMD_TO_CGROUP = {
    "MemoryMin": ("memory.min", parse_systemd_size),
    "MemoryLow": ("memory.low", parse_systemd_size),
    "MemoryHigh": ("memory.high", parse_systemd_size),
    "MemoryMax": ("memory.max", parse_systemd_size),
    # cgroup v1 name; systemd applies it as MemoryMax= on the unified hierarchy
    "MemoryLimit": ("memory.max", parse_systemd_size),
    "MemorySwapMax": ("memory.swap.max", parse_systemd_size),
    "MemoryZSwapMax": ("memory.zswap.max", parse_systemd_size),
    "TasksMax": ("pids.max", _uint_or_infinity(1, 4194304)),
    "CPUWeight": ("cpu.weight", _weight),
    "CPUQuota": ("cpu.max", _cpu_quota),
    "IOWeight": ("io.weight", _weight),
    "AllowedCPUs": ("cpuset.cpus", _cpu_list),
    "AllowedMemoryNodes": ("cpuset.mems", _cpu_list),
}

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
    "DynamicUser": "use c.CgroupSpawner.dynamic_users (not supported yet)",
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


def translate_properties(properties, typed_files=None):
    """``unit_extra_properties`` -> ordered list of (cgroup file, value).

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
            cgroup_file, value = key, _single_value(key, raw)
        elif key in SYSTEMD_TO_CGROUP:
            cgroup_file, convert = SYSTEMD_TO_CGROUP[key]
            text = _single_value(key, raw)
            try:
                value = convert(text)
            except ValueError as e:
                raise PropertyError(f"unit_extra_properties[{key!r}] = {text!r}: {e}") from None
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
