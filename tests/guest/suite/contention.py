"""Whether the host is stealing this guest's CPU, for timing checks.

Under TCG the guest cannot see steal time: a vCPU thread the host
descheduled still counts as running, so cpu.stat and /proc/stat look normal
while everything takes longer in wall-clock time. What does show it is the
work done per wall second. `baseline()` measures that once at the suite's
start (conftest); a timing check that failed asks `slowdown()` how much
slower the guest is now, and reports "contended" instead of failing when the
host, not the code under test, is the cause.
"""
import time

import pytest

_WINDOW = 0.3  # seconds of spinning per measurement
_baseline = None


def _rate():
    """Loop iterations per wall second over _WINDOW (pure Python, one CPU)."""
    n, t0 = 0, time.monotonic()
    while (elapsed := time.monotonic() - t0) < _WINDOW:
        for _ in range(1000):
            pass
        n += 1000
    return n / elapsed


def baseline():
    """The rate at the suite's start, measured once (the best of three)."""
    global _baseline
    if _baseline is None:
        _baseline = max(_rate() for _ in range(3))
    return _baseline


def slowdown():
    """How many times slower the guest runs now than at the suite's start."""
    return baseline() / max(_rate(), 1.0)


def check_timing(ok, what, factor=2.0, measured=None):
    """Pass when OK; when not, skip as "contended" if the guest is FACTOR
    times slower than at the start (the host stole the CPU), else fail with
    WHAT. MEASURED: a slowdown() taken right after the timed step, when the
    check is judged later. Only for bounds about speed, never correctness."""
    if ok:
        return
    s = slowdown() if measured is None else measured
    if s >= factor:
        pytest.skip(f"contended: the guest runs {s:.1f}x slower than at the suite's start, "
                    f"so this says nothing about cgspawn: {what}")
    raise AssertionError(f"{what} (the guest is only {s:.1f}x slower than at the start: not contended)")
