#!/bin/bash
# The README demo's browser check, driven from this host: boots the systemd
# guest with the demo's own hub (demo/bundle.sh, demo/guest-driver.sh,
# demo/hub.sh), its port forwarded here, and drives Debian's headless
# Chromium natively through it (check.py, python3-selenium): log in, start
# the server from the hub's home page, run a notebook cell that prints the
# server's memory.max and LANG, and (JupyterLab 4, trixie) run `id` in a
# terminal. Screenshots go to build/guest-screenshots[-RELEASE]/ (bookworm:
# no suffix), with the hub's log (hub.log: the hub and every server).
#
#   tests/browser/run.sh [--release bookworm|trixie] --cgspawn PATH [--port N] [--timeout SECS]
#
# --cgspawn must be built for the release (the host's build for bookworm,
# tests/guest/build-in-root.sh for trixie). --port (default 8000) is the
# forwarded port, on 127.0.0.1 here and in the guest. --timeout bounds the
# whole run (default 2400 s). Exit status 0 only if every check passed; on
# any exit nothing is left: qemu, Chromium, chromedriver, temp directories.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/guest/lib.sh
source "$repo/tests/guest/lib.sh"
# shellcheck source=demo/bundle.sh
source "$repo/demo/bundle.sh"
# shellcheck source=demo/hub.sh
source "$repo/demo/hub.sh"
usage() { sed -n '11p' "$0" | sed 's/^# *//' >&2; exit 2; }
log() { printf '[browser] %s\n' "$*"; }

release=bookworm cgspawn='' port=8000 timeout=2400
while (($#)); do
    case $1 in
        --release) release=${2:?}; shift 2 ;;
        --cgspawn) cgspawn=${2:?}; shift 2 ;;
        --port) port=${2:?}; shift 2 ;;
        --timeout) timeout=${2:?}; shift 2 ;;
        *) usage ;;
    esac
done
[[ -n $cgspawn ]] || usage
[[ $release == bookworm || $release == trixie ]] ||
    { log "unknown release '$release': use --release bookworm or --release trixie"; exit 2; }
[[ -f $cgspawn && -x $cgspawn ]] || { log "not an executable: $cgspawn (build it first)"; exit 2; }
[[ $port =~ ^[0-9]+$ ]] && ((port >= 1024 && port <= 65535)) && port_ok=1 || port_ok=0
((port_ok)) ||
    { log "bad --port '$port': use a free TCP port from 1024 to 65535"; exit 2; }
[[ $timeout =~ ^[0-9]+$ ]] || { log "bad --timeout '$timeout': seconds, e.g. 2400"; exit 2; }
[[ $(id -u) -eq 0 ]] || { log "run as root (qemu's image cache, like tests/guest/run.sh)"; exit 2; }
for f in /usr/bin/chromium /usr/bin/chromedriver; do
    [[ -x $f ]] || { log "$f is missing: run tests/install-deps.sh (chromium, chromium-driver, python3-selenium)"; exit 2; }
done
if ! /usr/bin/python3 -c 'import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null; then
    log "127.0.0.1:$port is in use (ss -ltnp 'sport = $port'): pick another with --port"
    exit 2
fi

guest_tools
tmp=$(mktemp -d /var/tmp/cgspawn-browser.XXXXXX)
shots=$repo/build/guest-screenshots
[[ $release == bookworm ]] || shots+=-$release
# What the demo configures (demo/jupyterhub_config.py: the "large" profile's
# mem_limit = "1G"; demo/hub.sh starts the hub with LANG=$demo_lang): what
# the server the check chooses must see.
profile=large
mem_bytes=$((1 << 30))
checker=''
# The checker's status, for the USR1 trap (it signals when it is done).
exec 3>&1
# SIGKILL what still runs with DIR in its command line: this run's Chromium
# and chromedriver (their profile is in DIR) if check.py could not quit them.
# shellcheck disable=SC2317
reap() {
    local p
    for p in /proc/[0-9]*; do
        if [[ ${p#/proc/} == "$$" ]] || ! grep -qaF -- "$1" "$p/cmdline" 2>/dev/null; then continue; fi
        log "killing leftover process ${p#/proc/}: $(tr '\0' ' ' <"$p/cmdline" | cut -c1-100)"
        kill -KILL "${p#/proc/}" 2>/dev/null
    done
}
# Screenshots and the hub's log outlive the run, whichever way it ends.
# shellcheck disable=SC2317  # reached through the traps
keep_results() {
    [[ -d $tmp/shots ]] || return 0
    mkdir -p "$shots"
    cp "$tmp/hub.log" "$shots/hub.log" 2>/dev/null && log "the hub's and servers' log: $shots/hub.log"
    local f
    for f in "$tmp"/shots/*.png; do
        [[ -f $f ]] && cp "$f" "$shots/" && log "screenshot: $shots/$(basename "$f")"
    done
}
# shellcheck disable=SC2317
cleanup() {
    local rc=$?
    exec 1>&3
    set +e
    trap '' INT TERM USR1
    if [[ -n $checker ]]; then
        kill -TERM "$checker" 2>/dev/null
        wait "$checker" 2>/dev/null
    fi
    guest_kill
    reap "$tmp"
    keep_results
    rm -rf "$tmp"
    if [[ -n ${run_start:-} ]]; then log "timings ($release): $((SECONDS - run_start)) s in all"; fi
    if ((rc == 0)); then log "PASS"; else log "FAIL (status $rc)"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# shellcheck disable=SC2317
checked() {
    exit "$(cat "$tmp/check-rc" 2>/dev/null || echo 1)"
}
trap checked USR1

bundle=$tmp/bundle
demo_bundle "$bundle" "$cgspawn" "$port"
rm -rf "$shots" && mkdir -p "$tmp/shots"
: >"$tmp/hub.log"
run_start=$SECONDS
# The checker waits for the hub through the forwarded port, then drives
# Chromium; it tells this shell by SIGUSR1, which ends guest_boot's wait.
(
    /usr/bin/python3 "$here/check.py" --url "http://127.0.0.1:$port" --release "$release" \
        --password-file "$bundle/demo/password" --mem-bytes "$mem_bytes" --profile "$profile" --lang "$demo_lang" \
        --shots "$tmp/shots" --tmp "$tmp" --hub-log "$tmp/hub.log" --timeout "$timeout" &
    py=$!
    # (wait, unlike a foreground child, lets this trap run at once)
    trap 'kill -TERM $py; wait $py; exit 143' TERM
    rc=0
    wait "$py" || rc=$?
    echo "$rc" >"$tmp/check-rc"
    kill -USR1 $$
) &
checker=$!
log "booting the $release guest with the demo hub on 127.0.0.1:$port (hub log: $tmp/hub.log)"
rc=0
guest_boot "$bundle" "$tmp/results" --release "$release" --forward "$port" --memory 3072 \
    --timeout "$timeout" > >(demo_console "$tmp/hub.log") || rc=$?
log "FAIL: the guest stopped before the check ended (status $rc)"
exit 1
