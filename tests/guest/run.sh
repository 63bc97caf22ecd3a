#!/bin/bash
# Run the cgroup v2 / systemd guest suite (tests/guest/suite) against a cgspawn
# binary inside a Debian guest booted under qemu (TCG).
#
#   tests/guest/run.sh [--release bookworm|trixie] [--scope full|core] --cgspawn PATH [--cgspawn-faults PATH] [--deb PATH] [--keep] [--timeout SECS] [-k PYTEST_EXPR]
#
# --scope core runs only the files suite/core.txt lists (limits, isolation,
# the hub end to end, the .deb); full (the default) runs them all.
# --release picks the guest's Debian release (default bookworm). The binaries
# and the .deb must be built for it: on the host for bookworm (Debian 12),
# with build-in-root.sh for trixie.
# --deb puts the cgspawn .deb (cpack) on the payload as /payload/cgspawn.deb
# for test_deb.py, which installs it and runs the hub against it; without it
# the payload says so (/payload/no-deb) and that test skips.
# --cgspawn-faults puts the test-only fault-injection build (launcher/trace/fault_point.hpp)
# on the payload as bin/cgspawn-faults for test_faults.py; without it that test
# skips (/payload/no-faults).
# --keep leaves the boot's scratch directory (payload image, console log) and
# the results in place and prints their paths. Exit status: 0 only if the
# whole suite passed. (The demo's browser check is tests/browser/run.sh,
# driven from the host.)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/guest/lib.sh
source "$here/lib.sh"
usage() { sed -n '5p' "$0" | sed 's/^# *//' >&2; exit 2; }
log() { printf '[guest-run] %s\n' "$*"; }

release=bookworm scope=full cgspawn='' faults='' deb='' keep=0 timeout=3000 kexpr=''
while (($#)); do
    case $1 in
        --release) release=${2:?}; shift 2 ;;
        --scope) scope=${2:?}; shift 2 ;;
        --cgspawn) cgspawn=${2:?}; shift 2 ;;
        --cgspawn-faults) faults=${2:?}; shift 2 ;;
        --deb) deb=${2:?}; shift 2 ;;
        --keep) keep=1; shift ;;
        --timeout) timeout=${2:?}; shift 2 ;;
        -k) kexpr=${2:?}; shift 2 ;;
        *) usage ;;
    esac
done
[[ -n $cgspawn ]] || usage
[[ $release == bookworm || $release == trixie ]] ||
    { log "unknown release '$release': use --release bookworm or --release trixie"; exit 2; }
[[ -f $cgspawn && -x $cgspawn ]] || { log "not an executable: $cgspawn"; exit 2; }
[[ $scope == full || $scope == core ]] || { log "unknown --scope '$scope': use full or core"; exit 2; }
if [[ -n $deb && ! -f $deb ]]; then log "no such .deb: $deb"; exit 2; fi
if [[ -n $faults && ! -x $faults ]]; then log "not an executable: $faults"; exit 2; fi
((keep)) && export GUEST_KEEP=1

guest_tools
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cgspawn-guest.XXXXXX")
cleanup() {
    guest_kill
    if ((keep)); then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The per-run payload: the product, the suite and its driver. Changing it
# never rebuilds the image.
payload=$tmp/payload
guest_payload "$payload" "$cgspawn"
install -m 0755 "$here/payload/driver.sh" "$here/payload/hub.sh" "$payload/"
cp -r "$here/suite" "$payload/suite"
printf '%s' "$kexpr" >"$payload/pytest-k"
echo "$scope" >"$payload/pytest-scope"
if [[ -n $faults ]]; then
    install -m 0755 "$faults" "$payload/bin/cgspawn-faults"
else
    echo "run.sh was not given --cgspawn-faults" >"$payload/no-faults"
fi
if [[ -n $deb ]]; then
    install -m 0644 "$deb" "$payload/cgspawn.deb"
else
    echo "run.sh was not given --deb" >"$payload/no-deb"
fi

res=$tmp/results
guest_boot "$payload" "$res" --release "$release" --timeout "$timeout" || exit 1
if [[ ! -s $res/pytest.txt ]]; then
    log "FAIL: no pytest output in the results (guest run took ${guest_seconds} s)"
    exit 1
fi

echo
log "===== pytest output (guest) ====="
cat "$res/pytest.txt"
log "===== end of pytest output ====="
if [[ -s $res/leaks.txt ]]; then
    log "left behind after the hub unit stopped:"
    cat "$res/leaks.txt"
fi
log "timings ($release guest): boot $(cat "$res/boot-seconds" 2>/dev/null || echo '?') s (guest uptime at driver start)," \
    "suite $(cat "$res/suite-seconds" 2>/dev/null || echo '?') s, qemu total ${guest_seconds} s"

rc=$(cat "$res/pytest-rc" 2>/dev/null || echo missing)
if [[ $rc != 0 ]]; then
    log "FAIL: pytest exit status $rc"
    [[ -f $res/hub-status.txt ]] && cat "$res/hub-status.txt"
    exit 1
fi
if [[ -s $res/leaks.txt ]]; then
    log "FAIL: the suite left things behind"
    exit 1
fi
log "PASS"
