"""Statistics for the benchmark figures: medians, spread and ratios.

Times are compared as ratios of medians within one guest run (absolute times
under emulation mean little); the spread is the interquartile range.
"""


def quantile(values, q):
    """The q-quantile (0..1) of VALUES, linear between order statistics."""
    if not values:
        raise ValueError("quantile of no values")
    if not 0 <= q <= 1:
        raise ValueError(f"quantile {q} is outside 0..1")
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def median(values):
    return quantile(values, 0.5)


def summary(values):
    """n, median, p25, p75, min, max of VALUES (seconds stay seconds)."""
    return {
        "n": len(values),
        "median": median(values),
        "p25": quantile(values, 0.25),
        "p75": quantile(values, 0.75),
        "min": min(values),
        "max": max(values),
    }


def ratio(a, b):
    """median(A) / median(B) for two summaries; None when B's median is 0."""
    return a["median"] / b["median"] if b["median"] else None


def check(name, value, op, target):
    """A target line: NAME value OP target, and whether it is met."""
    if value is None:
        met = False
    elif op == "<=":
        met = value <= target
    elif op == ">=":
        met = value >= target
    else:
        raise ValueError(f"unknown comparison {op}")
    return {"name": name, "value": value, "op": op, "target": target, "met": met}
