"""bench/: the statistics, the target judgement, the timings breakdown and
the alternation of spawners, on known inputs."""
import concurrent.futures
import time
import types

import pytest

import native
import report
import scale
import spawn_cost
import stats


def test_quantiles_interpolate_between_order_statistics():
    v = [4.0, 1.0, 3.0, 2.0]
    assert stats.median(v) == 2.5
    assert stats.quantile(v, 0.25) == pytest.approx(1.75)
    assert stats.quantile(v, 0.75) == pytest.approx(3.25)
    assert stats.median([7.0]) == 7.0
    with pytest.raises(ValueError):
        stats.median([])
    with pytest.raises(ValueError):
        stats.quantile(v, 1.5)


def test_summary_and_ratio_of_medians():
    a, b = stats.summary([1.0, 2.0, 9.0]), stats.summary([4.0, 4.0, 5.0])
    assert (a["n"], a["median"], a["min"], a["max"]) == (3, 2.0, 1.0, 9.0)
    assert stats.ratio(b, a) == 2.0
    assert stats.ratio(a, stats.summary([0.0])) is None


def test_check_judges_both_directions_and_missing_values():
    assert stats.check("x", 2.4, "<=", 2.5)["met"]
    assert not stats.check("x", 2.6, "<=", 2.5)["met"]
    assert stats.check("y", 3.0, ">=", 3)["met"]
    assert not stats.check("y", 2.9, ">=", 3)["met"]
    assert not stats.check("z", None, "<=", 1)["met"]
    with pytest.raises(ValueError):
        stats.check("w", 1, "<", 2)


def test_timing_lines_become_steps_ending_at_each_mark():
    text = ("cgspawn-timing main 1100\nnoise\ncgspawn-timing fork 1500\n"
            "cgspawn-timing exec-confirmed 1900\ncgspawn-timing exec 1700\n")
    marks = spawn_cost.parse_marks(text)
    assert [m[0] for m in marks] == ["main", "fork", "exec", "exec-confirmed"]
    steps = spawn_cost.step_deltas(1000, marks, 2000)
    assert steps == pytest.approx({"start": 100e-9, "fork": 400e-9, "exec": 200e-9,
                                   "exec-confirmed": 200e-9, "exit": 100e-9})


def summary(median):
    return {"n": 3, "median": median, "p25": median, "p75": median, "min": median, "max": median}


def test_targets_say_which_are_missed():
    out = {
        "spawn_cost": {"ratio_spawn_vs_bare": 2.0, "ratio_systemd_vs_total": 2.5},
        "scale": {"servers": 100, "reachable": 99, "list_running": 100,
                  "cgspawn_resident_after_spawn": 0, "cgroups_left": 0},
        "hub": {"ratio_spawn_cgroup_vs_local": 1.05, "cgroups_left": 0, "processes_left": 1},
    }
    met = {t["name"]: t["met"] for t in report.targets(out)}
    assert met == {
        "cgspawn spawn / bare exec": True,
        "systemd-run / cgspawn spawn+cleanup": False,
        "servers reachable (of 100)": False,
        "`cgspawn list` running (of 100)": True,
        "cgspawn processes resident": True,
        "cgroups left after stop-all": True,
        "hub spawn-to-ready CgroupSpawner / Local": True,
        "hub: cgroups + processes left": False,
    }
    assert report.targets({}) == []


def test_render_shows_a_failed_part_and_the_missed_target():
    out = {"meta": {"date_utc": "2026-11-22 12:00", "guest": {}},
           "spawn_cost": {"error": "Traceback: boom"},
           "hub": {"servers": 2, "spawn_cgroup": summary(2.0), "spawn_local": summary(1.0),
                   "stop_cgroup": summary(1.0), "stop_local": summary(1.0),
                   "ratio_spawn_cgroup_vs_local": 2.0, "ratio_stop_cgroup_vs_local": 1.0,
                   "ready": 2, "hub_rss_kib_per_server": 100.0, "cgroups_left": 0,
                   "processes_left": 0}}
    text = report.render(out)
    assert "spawn_cost: FAILED" in text and "boom" in text
    assert "MISSED hub spawn-to-ready CgroupSpawner / Local: 2.00 (target <= 1.1)" in text


def test_alternation_gives_odd_users_cgroupspawner():
    alternating = pytest.importorskip("alternating")
    from jupyterhub.spawner import LocalProcessSpawner

    from cgroupspawner import CgroupSpawner

    assert alternating.spawner_for("bench001") is CgroupSpawner
    assert alternating.spawner_for("bench002") is LocalProcessSpawner
    user = types.SimpleNamespace(name="bench002")
    made = alternating.AlternatingSpawner.__new__(alternating.AlternatingSpawner, user=user)
    assert type(made) is LocalProcessSpawner


def test_native_alternates_and_reports_ratios_to_bin_true():
    times = native.alternate({"/bin/true": native.Command(["/bin/true"]),
                              "sleep": native.Command(["/bin/sleep", "0.02"])},
                             rounds=3, warmup=1)
    assert [len(v) for v in times.values()] == [3, 3]
    res = native.summarise(times)
    assert res["/bin/true"]["ratio"] == 1.0
    assert res["sleep"]["median"] >= 0.02 and res["sleep"]["ratio"] > 1.0


def test_native_gives_stdin_and_runs_after_untimed(tmp_path):
    """A spawn's environment arrives on stdin; its cleanup is not timed."""
    out = tmp_path / "stdin"
    after = []
    cmd = native.Command(["/bin/sh", "-c", f"cat > {out}"], b"PATH=/bin\0",
                         after=lambda: (time.sleep(0.2), after.append(1)))
    took = native.run_once(cmd)
    assert out.read_bytes() == b"PATH=/bin\0" and after == [1]
    assert took < 0.2


def test_a_baseline_build_is_timed_in_the_same_rounds(monkeypatch):
    order = []
    monkeypatch.setattr(spawn_cost.os.path, "exists", lambda p: p == spawn_cost.BASELINE)
    monkeypatch.setattr(spawn_cost, "bare", lambda: order.append("a") or 1.0)
    monkeypatch.setattr(spawn_cost, "systemd_run", lambda: order.append("c") or 8.0)

    def once(timings_fd=None, binary=spawn_cost.CGSPAWN):
        order.append("b'" if binary == spawn_cost.BASELINE else "b")
        return (3.0, 4.0, 0, 0) if binary == spawn_cost.BASELINE else (2.0, 3.0, 0, 0)

    monkeypatch.setattr(spawn_cost, "cgspawn_once", once)
    monkeypatch.setattr(spawn_cost, "breakdown", lambda n: ([], summary(1.0)))
    monkeypatch.setattr(spawn_cost, "dynamic_loading", lambda n: {})
    res = spawn_cost.run(2)
    assert order == ["a", "b", "c", "b'"] + ["a", "b", "b'", "c"] * 2
    assert res["ratio_baseline_vs_spawn"] == pytest.approx(1.5)
    text = report.render({"meta": {}, "spawn_cost": {
        **res, "breakdown_runs": summary(1.0),
        "dynamic_loading": {"cgspawn_libraries": [], "true_libraries": 1,
                            "cgspawn_help": summary(1.0), "ratio_help_vs_bare": 1.0}}})
    assert "baseline / cgspawn spawn 1.50x" in text, text


def test_the_scale_part_compares_systemd_run_at_once_when_it_ran():
    scale = {"servers": 100, "reachable": 100, "list_running": 100, "list_extra": 0,
             "cgspawn_resident_after_spawn": 0, "cgroups_left": 0, "spawn_all_s": 20.0,
             "all_reachable_s": 50.0, "stop_all_s": 7.0, "units_with_only_the_server": 100,
             "memory_current_per_server_mib": 9.0,
             "systemd_run": {"spawn_all_s": 50.0, "all_reachable_s": 80.0, "reachable": 100,
                             "stop_all_s": 9.0},
             "ratio_systemd_vs_cgspawn_spawn_all": 2.5}
    met = {t["name"]: t["met"] for t in report.targets({"scale": scale})}
    assert met["100 at once: systemd-run / cgspawn, all returned"] is False
    text = report.render({"meta": {}, "scale": scale})
    assert "systemd-run / cgspawn, all returned 2.50x" in text, text
    assert "MISSED 100 at once: systemd-run / cgspawn, all returned: 2.50 (target >= 3)" in text


def test_the_systemd_run_side_starts_each_server_as_an_exec_unit_and_stops_it(monkeypatch):
    calls = []
    monkeypatch.setattr(scale, "run_checked", lambda argv, **kw: calls.append(argv))
    monkeypatch.setattr(scale, "reachable",
                        lambda i, port=scale.BASE_PORT: port == scale.SYSTEMD_PORT)
    monkeypatch.setattr(scale.subprocess, "run", lambda *a, **kw: None)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        res = scale.systemd_run_side(3, pool)
    assert res["reachable"] == 3
    starts = [c for c in calls if c[0] == "systemd-run"]
    assert len(starts) == 3 and all("Type=exec" in c and "--uid=nobody" in c for c in starts)
    assert sorted(c[-1] for c in starts) == [str(scale.SYSTEMD_PORT + i) for i in range(3)]
    assert sorted(c for c in calls if c[0] == "systemctl") == [
        ["systemctl", "stop", scale.systemd_unit(i)] for i in range(3)]
