#!/usr/bin/env bash
# The benchmarks (issue 7), unattended, in the systemd guest under qemu:
# spawn cost against bare exec and systemd-run, 100 concurrent servers
# through cgspawn, and JupyterHub spawn-to-ready latency against
# LocalProcessSpawner. Not part of the pass/fail tests.
#
#   bench/run.sh [--cgspawn PATH] [--baseline PATH] [--parts LIST] [--quick] [--out DIR] [--memory MIB] [--timeout SECS]
#
# As root. Builds cgspawn into build/ unless --cgspawn is given. --quick: few
# runs and servers, for development. Prints the table; bench.json (machine-
# readable), bench.txt (the guest's log) and hub.log go to DIR (default
# bench/results/DATE). Exit status: 0 if every part ran (targets may still
# be missed: see the table), 1 otherwise. --baseline PATH: another cgspawn
# (an earlier commit's build), timed as a fourth command in the spawn-cost
# rounds (A B B' C), so a change is judged within one run. --parts: a comma-
# separated subset of spawn_cost,scale,hub (default all).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=tests/guest/lib.sh
source "$repo/tests/guest/lib.sh"
usage() { sed -n '7p' "$0" | sed 's/^# *//' >&2; exit 2; }
log() { printf '[bench] %s\n' "$*"; }

cgspawn='' baseline='' parts=spawn_cost,scale,hub quick=0 out='' memory=4096 timeout=0
while (($#)); do
    case $1 in
        --cgspawn) cgspawn=${2:?}; shift 2 ;;
        --baseline) baseline=${2:?}; shift 2 ;;
        --parts) parts=${2:?}; shift 2 ;;
        --quick) quick=1; shift ;;
        --out) out=${2:?}; shift 2 ;;
        --memory) memory=${2:?}; shift 2 ;;
        --timeout) timeout=${2:?}; shift 2 ;;
        *) usage ;;
    esac
done
if [[ $(id -u) -ne 0 ]]; then
    log "run as root (the guest image and its tools need it)" >&2
    exit 2
fi
if [[ -n $cgspawn && ! ( -f $cgspawn && -x $cgspawn ) ]]; then
    log "--cgspawn $cgspawn: not an executable file (build it, or leave --cgspawn out to build)" >&2
    exit 2
fi
if [[ -n $baseline && ! ( -f $baseline && -x $baseline ) ]]; then
    log "--baseline $baseline: not an executable file (an earlier commit's build/launcher/cgspawn)" >&2
    exit 2
fi
for part in ${parts//,/ }; do
    [[ $part == spawn_cost || $part == scale || $part == hub ]] ||
        { log "--parts: unknown part '$part': use spawn_cost, scale and/or hub" >&2; exit 2; }
done
[[ -n $out ]] || out=$here/results/$(date -u +%Y%m%d-%H%M%S)
if ((quick)); then n=8 servers=10 hub_servers=6 default_timeout=2400
else n=30 servers=100 hub_servers=100 default_timeout=10800; fi
((timeout)) || timeout=$default_timeout

"$repo/tests/install-deps.sh"
if [[ -z $cgspawn ]]; then
    log "building cgspawn into $repo/build"
    cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$repo/build" -j"$(nproc)" --target cgspawn
    cgspawn=$repo/build/launcher/cgspawn
fi
guest_tools

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cgspawn-bench.XXXXXX")
trap 'guest_kill; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
payload=$tmp/payload
guest_payload "$payload" "$cgspawn"
mkdir -p "$payload/bench/guest"
[[ -z $baseline ]] || install -m 0755 "$baseline" "$payload/bin/cgspawn-baseline"
install -m 0644 "$here/stats.py" "$here/report.py" "$payload/bench/"
install -m 0644 "$here"/guest/*.py "$payload/bench/guest/"
install -m 0755 "$here/guest/driver.sh" "$here/guest/hub.sh" "$payload/"
host="this machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%d GiB", $2 / 1048576}' /proc/meminfo),"
host+=" $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); qemu TCG, 2 vCPU, $memory MiB"
host+="; load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
HOST=$host /usr/bin/python3 -c 'import json, os, sys
q, n, s, h, parts = sys.argv[1:]
print(json.dumps({"quick": q == "1", "n": int(n), "servers": int(s), "hub_servers": int(h),
                  "parts": parts.split(","), "host": {"description": os.environ["HOST"]}}))' \
    "$quick" "$n" "$servers" "$hub_servers" "$parts" >"$payload/bench-config.json"

log "quick=$quick: $n spawn-cost rounds, $servers concurrent servers, $hub_servers hub spawns"
rc=0
guest_boot "$payload" "$tmp/results" --memory "$memory" --timeout "$timeout" --quiet || rc=1
mkdir -p "$out"
cp -a "$tmp/results/." "$out/" 2>/dev/null || true
if [[ ! -s $out/bench.json ]]; then
    log "FAIL: the guest wrote no bench.json (see $out/bench.txt)"
    tail -n 40 "$out/bench.txt" 2>/dev/null || true
    exit 1
fi
echo
/usr/bin/python3 "$here/report.py" "$out/bench.json"
[[ -s $out/leaks.txt ]] && { log "left behind in the guest:"; cat "$out/leaks.txt"; rc=1; }
[[ $(cat "$out/bench-rc" 2>/dev/null) == 0 ]] || { log "a part failed: see $out/bench.txt"; rc=1; }
log "results in $out"
exit "$rc"
