#!/usr/bin/env bash
# The README's demo, as root on Debian 12: JupyterHub with CgroupSpawner on
# http://127.0.0.1:PORT (8000), every server in its own cgroup with
# memory/CPU/task limits, private /tmp and /dev and a read-only system. It
# installs what it needs (tests/install-deps.sh), builds cgspawn, then
#   - on a host with systemd as PID 1 and cgroup v2: runs the hub there, in a
#     transient delegated unit (demo/hub.sh);
#   - otherwise: boots the project's systemd guest (tests/guest/lib.sh),
#     Debian 13 (JupyterHub 5.2, JupyterLab 4) or with --release bookworm
#     Debian 12 (JupyterHub 3.0, the classic notebook), with the port
#     forwarded, and the guest runs the same demo/hub.sh.
# Ctrl-C stops it and removes what it started.
#
#   ./demo.sh [--release trixie|bookworm] [--port N]
set -euo pipefail
cd "$(dirname "$0")"
say() { printf '== %s\n' "$*"; }
usage() { sed -n '14p' "$0" | sed 's/^# *//' >&2; exit 2; }
release=trixie port=8000
while (($#)); do
    case $1 in
        --release) release=${2:-}; shift 2 || usage ;;
        --port) port=${2:-}; shift 2 || usage ;;
        *) usage ;;
    esac
done
[[ $release == trixie || $release == bookworm ]] ||
    { echo "demo.sh: unknown release '$release': use --release trixie (Debian 13) or --release bookworm (Debian 12)" >&2; exit 2; }
[[ $port =~ ^[0-9]+$ ]] && ((port >= 1024 && port <= 65535)) && port_ok=1 || port_ok=0
((port_ok)) ||
    { echo "demo.sh: bad --port '$port': use a free TCP port from 1024 to 65535" >&2; exit 2; }
if [[ $(id -u) -ne 0 ]]; then
    echo "demo.sh: run as root (it installs packages, creates cgroups, boots a VM): sudo ./demo.sh" >&2
    exit 2
fi
# shellcheck source=tests/guest/lib.sh
source tests/guest/lib.sh
# shellcheck source=demo/hub.sh
source demo/hub.sh
# shellcheck source=demo/bundle.sh
source demo/bundle.sh
# shellcheck source=demo/progress.sh
source demo/progress.sh
demo_port=$port

port_free() {
    /usr/bin/python3 -c 'import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' \
        "$port" 2>/dev/null ||
        { echo "demo.sh: 127.0.0.1:$port is in use; stop what listens there (ss -ltnp 'sport = $port') or use --port" >&2; exit 1; }
}

mkdir -p build
say "installing Debian packages (tests/install-deps.sh; quick when present)"
tests/install-deps.sh
if demo_systemd_host || [[ $release == bookworm ]]; then
    say "building cgspawn on this host (build/; cold ~3 min, warm seconds)"
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    demo_progress "building cgspawn" build/demo-build.log cmake --build build --target cgspawn -j"$(nproc)"
    cgspawn=build/launcher/cgspawn
else
    # The guest's own libraries (glibc, spdlog, fmt): built natively in its
    # root filesystem, which the first run makes (tests/guest/build-in-root.sh).
    say "building cgspawn for Debian 13 in the trixie image's tree (build-trixie/; the first run" \
        "also makes that image: ~13 min, then cached in ~/.cache/cgspawn-guest-trixie)"
    demo_progress "building cgspawn for trixie" build/demo-build.log \
        tests/guest/build-in-root.sh --release trixie --target cgspawn
    cgspawn=build-trixie/launcher/cgspawn
fi

# Not "work": the EXIT trap can run inside guest_boot, whose local "work"
# (bash scopes dynamically) would hide it.
demo_work=$(mktemp -d /var/tmp/cgspawn-demo.XXXXXX)
waiter=''
# The demo's own stdout, for the EXIT trap: a Ctrl-C during guest_boot runs
# it with guest_boot's stdout, the console filter, which Ctrl-C has killed.
exec 3>&1
# shellcheck disable=SC2317  # reached through the trap
cleanup() {
    exec 1>&3
    set +e
    trap '' INT TERM  # a second Ctrl-C must not cut the cleanup short
    if [[ -n $waiter ]]; then kill "$waiter" 2>/dev/null || true; fi
    if demo_systemd_host; then demo_hub_stop; else guest_kill; fi
    rm -rf "$demo_work"
    say "demo stopped; nothing of it is left running"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bundle=$demo_work/bundle
demo_bundle "$bundle" "$cgspawn" "$port"

banner() {
    local where=$1
    echo
    say "JupyterHub with CgroupSpawner is up: http://127.0.0.1:$port"
    if [[ -n ${CGSPAWN_DEMO_ACCOUNTS:-} ]]; then
        say "  log in as: ${CGSPAWN_DEMO_ACCOUNTS}"
    else
        say "  log in with any new name (e.g. ada, grace): each gets its own uid and home"
    fi
    say "  password: $(cat "$bundle/demo/password")"
    say "  each server: memory.max 512M (or 1G: the spawn page offers 'Large'), cpu.max 1 CPU, pids.max 256, private /tmp and /dev, / read-only but the home"
    say "Ctrl-C stops the demo ($where)"
}

demo_host() {
    say "this host runs systemd on cgroup v2: the hub runs here, in $demo_unit (Delegate=yes)"
    demo_free_port
    port_free
    local state=$demo_work/state
    install -d -m 0700 "$state"
    install -m 0600 "$bundle/demo/password" "$state/password"
    say "hub starting"
    demo_hub_start "$bundle" "$state" "http://127.0.0.1:$port"
    demo_hub_wait 300 || exit 1
    banner "the hub and every server"
    say "logs: journalctl -u $demo_unit -f (the hub and every server); one server's: journalctl -t jupyter-NAME-singleuser"
    while systemctl is-active -q "$demo_unit"; do sleep 2; done
    echo "demo.sh: the hub stopped on its own: journalctl -u $demo_unit" >&2
    exit 1
}

demo_guest() {
    local hublog=build/demo-hub-$release.log
    say "this host has no systemd as PID 1 with cgroup v2 (checked /run/systemd/system and /sys/fs/cgroup):"
    say "the demo runs in the project's systemd guest ($release, qemu), 127.0.0.1:$port forwarded to this host"
    port_free
    guest_tools
    say "preparing the $release guest image (cached in ~/.cache/cgspawn-guest*; a first build takes 13-20 min)"
    demo_progress "preparing the guest image" build/demo-image.log tests/guest/build-image.sh --release "$release"
    say "booting the guest (emulated, no KVM: ~1 min), then the hub starts in it (1-3 min)"
    : >"$hublog"
    say "the hub's log and every server's output (the guest's journal of $demo_unit): tail -f $hublog"
    # Announce the URL once it answers here, through the forwarded port.
    (
        until /usr/bin/python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)' \
            "http://127.0.0.1:$port/hub/api/" 2>/dev/null; do
            sleep 3
        done
        banner "the guest and everything in it"
        say "logs: tail -f $hublog (the hub and every server; the guest's journalctl -u $demo_unit)"
    ) &
    waiter=$!
    # guest_boot runs in this shell (the EXIT trap's guest_kill must see its
    # qemu); of the guest's console only the demo's own lines are shown (and
    # lib.sh's messages, with the console's tail when the guest fails).
    local rc=0
    guest_boot "$bundle" "$demo_work/results" --release "$release" --forward "$port" --memory 3072 \
        --timeout 0 > >(demo_console "$hublog") || rc=$?
    echo "demo.sh: the guest stopped on its own (status $rc); see the lines above and $hublog" >&2
    exit 1
}

if demo_systemd_host; then demo_host; fi
demo_guest
