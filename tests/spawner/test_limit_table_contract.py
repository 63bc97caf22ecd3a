"""The spawner's limits table (cgroupspawner/limits.py) against cgspawn's
(`cgspawn limits --json`): every typed limit the spawner emits is one
cgspawn has, under the same flag, file and controller, and vice versa."""

import json

from real_cgspawn import run

from cgroupspawner.limits import LIMITS


def cgspawn_limits():
    rc, out, err = run("limits", "--json")
    assert rc == 0, (
        f"`cgspawn limits --json` failed (exit {rc}): {err.strip()[:300]}"
        " -- this cgspawn has no `limits` subcommand, so the tables cannot be compared"
    )
    table = json.loads(out)
    assert isinstance(table, list) and table, f"not a list of limits: {out[:300]!r}"
    return {row["file"]: row for row in table}


def test_same_limits_under_the_same_flags_files_and_controllers():
    theirs = cgspawn_limits()
    ours = {limit.file: limit for limit in LIMITS}
    assert sorted(ours) == sorted(theirs), "the two tables cover different cgroup files"
    for file, limit in ours.items():
        row = theirs[file]
        assert (limit.flag, limit.controller) == (row["flag"], row["controller"]), (
            f"{file}: the spawner has {limit.flag} ({limit.controller}), cgspawn {row}")


def test_same_value_rules():
    """What the spawner refuses at load is what cgspawn would refuse."""
    theirs = cgspawn_limits()
    for limit in LIMITS:
        row = theirs[limit.file]
        assert limit.accepts_max == row["accepts_max"], f"{limit.file}: accepts_max"
        assert limit.zero_allowed == row["zero_allowed"], f"{limit.file}: zero_allowed"
        low, high = row["min"], row["max"]
        if limit.kind not in ("cpus", "count") or not all(
                isinstance(v, (int, float)) for v in (low, high)):
            continue  # sizes, and cpu.weight (cpu_guarantee is CPUs, clamped to the weight)
        step = 1 if limit.kind == "count" else low / 2
        for value, ok in ((low, True), (high, True), (low - step, False), (high + step, False)):
            assert (limit.problem(value) is None) == ok, (
                f"{limit.option} = {value}: cgspawn's bounds for {limit.flag} are {low}..{high}")
