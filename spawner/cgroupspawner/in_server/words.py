"""Sizes in words, for the hub's progress events and the kernel's notice."""

_BINARY_UNITS = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")


def bytes_in_words(n):
    """536870912 -> '512 MiB', 1610612736 -> '1.5 GiB', 1000 -> '1000 bytes'."""
    value, unit = float(n), 0
    while value >= 1024 and unit < len(_BINARY_UNITS) - 1:
        value, unit = value / 1024, unit + 1
    text = f"{value:.1f}".rstrip("0").rstrip(".") if unit else str(int(n))
    return f"{text} {_BINARY_UNITS[unit]}"
