"""The benchmark's table and targets from bench.json (guest and host use it).

    /usr/bin/python3 bench/report.py RESULTS/bench.json
"""
import json
import sys

import stats


def ms(s):
    return f"{s * 1000:8.1f}"


def row(name, s, base=None):
    r = f"  {name:<34}{ms(s['median'])} ms  [{ms(s['p25']).strip()}-{ms(s['p75']).strip()}]"
    if base:
        r += f"  {s['median'] / base['median']:5.2f}x bare"
    return r + f"  n={s['n']}"


def fmt(v, digits=2):
    return "n/a" if v is None else f"{v:.{digits}f}"


def targets(out):
    """Every target of issue 7 that the results can judge."""
    t = []
    sc, sl, hub = out.get("spawn_cost", {}), out.get("scale", {}), out.get("hub", {})
    if "ratio_spawn_vs_bare" in sc:
        t.append(stats.check("cgspawn spawn / bare exec", sc["ratio_spawn_vs_bare"], "<=", 2.5))
        t.append(stats.check("systemd-run / cgspawn spawn+cleanup", sc["ratio_systemd_vs_total"],
                             ">=", 3))
    if "reachable" in sl:
        n = sl["servers"]
        t.append(stats.check(f"servers reachable (of {n})", sl["reachable"], ">=", n))
        t.append(stats.check(f"`cgspawn list` running (of {n})", sl["list_running"], ">=", n))
        t.append(stats.check("cgspawn processes resident", sl["cgspawn_resident_after_spawn"],
                             "<=", 0))
        t.append(stats.check("cgroups left after stop-all", sl["cgroups_left"], "<=", 0))
    if "ratio_systemd_vs_cgspawn_spawn_all" in sl:
        t.append(stats.check(f"{sl['servers']} at once: systemd-run / cgspawn, all returned",
                             sl["ratio_systemd_vs_cgspawn_spawn_all"], ">=", 3))
    if "ratio_spawn_cgroup_vs_local" in hub:
        t.append(stats.check("hub spawn-to-ready CgroupSpawner / Local",
                             hub["ratio_spawn_cgroup_vs_local"], "<=", 1.1))
        t.append(stats.check("hub: cgroups + processes left", hub["cgroups_left"] +
                             hub["processes_left"], "<=", 0))
    return t


def render(out):
    m = out.get("meta", {})
    g = m.get("guest", {})
    lines = [f"== cgspawn benchmark, {m.get('date_utc')} UTC{' (--quick)' if m.get('quick') else ''}",
             f"   host: {m.get('host', {}).get('description', '?')}",
             f"   guest: {g.get('cpus')} vCPU, {g.get('memory_mib')} MiB, kernel {g.get('kernel')},"
             f" {g.get('systemd')}, JupyterHub {g.get('jupyterhub')}"]
    for part in ("spawn_cost", "scale", "hub"):
        if "error" in out.get(part, {}):
            lines.append(f"-- {part}: FAILED\n{out[part]['error']}")
    sc = out.get("spawn_cost", {})
    if "bare" in sc:
        b = sc["bare"]
        lines += ["-- spawn cost (median [p25-p75]), alternated A B C",
                  row("(a) /bin/true", b),
                  row("(b) cgspawn spawn", sc["cgspawn_spawn"], b),
                  row("(b) cgspawn spawn + cleanup", sc["cgspawn_spawn_cleanup"], b),
                  row("(c) systemd-run --wait", sc["systemd_run"], b),
                  *([row("(b') baseline cgspawn spawn", sc["baseline_spawn"], b),
                     row("(b') baseline spawn + cleanup", sc["baseline_spawn_cleanup"], b),
                     f"  baseline / cgspawn spawn {fmt(sc['ratio_baseline_vs_spawn'])}x"]
                    if "baseline_spawn" in sc else []),
                  f"  systemd-run / cgspawn spawn {fmt(sc['ratio_systemd_vs_spawn'])}x,"
                  f" / spawn+cleanup {fmt(sc['ratio_systemd_vs_total'])}x",
                  f"-- where cgspawn spawn spends its time (median per step; separate"
                  f" runs with CGSPAWN_TIMINGS_FD, n={sc['breakdown_runs']['n']}, total median"
                  f" {ms(sc['breakdown_runs']['median']).strip()} ms)"]
        for s in sorted(sc["breakdown"], key=lambda s: -s["median"]):
            lines.append(f"  {s['step']:<16}{ms(s['median'])} ms  {100 * (s['share'] or 0):5.1f}%")
        dl = sc["dynamic_loading"]
        lines.append(f"  dynamic loading: {len(dl['cgspawn_libraries'])} libraries"
                     f" (/bin/true {dl['true_libraries']}); `cgspawn --help` (load + CLI, no"
                     f" work) {ms(dl['cgspawn_help']['median']).strip()} ms ="
                     f" {fmt(dl['ratio_help_vs_bare'])}x /bin/true")
    sl = out.get("scale", {})
    if "reachable" in sl:
        lines += [f"-- scale: {sl['servers']} servers through cgspawn, concurrently",
                  f"  all spawns returned {sl['spawn_all_s']:.1f} s, all reachable"
                  f" {sl['all_reachable_s']:.1f} s ({sl['reachable']}/{sl['servers']}),"
                  f" stop-all {sl['stop_all_s']:.1f} s",
                  f"  cgspawn list: {sl['list_running']} running (+{sl['list_extra']} other);"
                  f" units holding only their server: {sl['units_with_only_the_server']};"
                  f" cgspawn processes resident: {sl['cgspawn_resident_after_spawn']};"
                  f" cgroups left: {sl['cgroups_left']};"
                  f" memory.current per server {fmt(sl['memory_current_per_server_mib'], 1)} MiB"]
        sr = sl.get("systemd_run", {})
        if "spawn_all_s" in sr:
            lines.append(f"  the same {sl['servers']} with systemd-run (Type=exec, same isolation):"
                         f" all returned {sr['spawn_all_s']:.1f} s, all reachable"
                         f" {sr['all_reachable_s']:.1f} s ({sr['reachable']}/{sl['servers']}),"
                         f" stop-all {sr['stop_all_s']:.1f} s; systemd-run / cgspawn, all"
                         f" returned {fmt(sl['ratio_systemd_vs_cgspawn_spawn_all'])}x")
    hub = out.get("hub", {})
    if "spawn_cgroup" in hub:
        lines += [f"-- JupyterHub REST API, {hub['servers']} servers one by one, alternating",
                  row("spawn-to-ready CgroupSpawner", hub["spawn_cgroup"]),
                  row("spawn-to-ready LocalProcessSpawner", hub["spawn_local"]),
                  row("stop CgroupSpawner", hub["stop_cgroup"]),
                  row("stop LocalProcessSpawner", hub["stop_local"]),
                  f"  CgroupSpawner / Local: spawn {fmt(hub['ratio_spawn_cgroup_vs_local'])}x,"
                  f" stop {fmt(hub['ratio_stop_cgroup_vs_local'])}x; ready {hub['ready']}/"
                  f"{hub['servers']}; hub RSS +{hub['hub_rss_kib_per_server']:.0f} KiB per"
                  f" running server; left: {hub['cgroups_left']} cgroups,"
                  f" {hub['processes_left']} processes"]
    lines.append("-- targets")
    for t in targets(out):
        v = t["value"]
        shown = fmt(v) if isinstance(v, float) else str(v)
        lines.append(f"  {'met   ' if t['met'] else 'MISSED'} {t['name']}: {shown}"
                     f" (target {t['op']} {t['target']})")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: report.py RESULTS/bench.json")
    with open(sys.argv[1]) as f:
        print(render(json.load(f)))
