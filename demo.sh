#!/usr/bin/env bash
# The README's demo, as root on Debian 12: JupyterHub with CgroupSpawner on
# http://127.0.0.1:8000, every server in its own cgroup with memory/CPU/task
# limits, private /tmp and /dev and a read-only system. It installs what it
# needs (tests/install-deps.sh), builds cgspawn into build/, then
#   - on a host with systemd as PID 1 and cgroup v2: runs the hub there, in a
#     transient delegated unit (demo/hub.sh);
#   - otherwise: boots the project's systemd guest (tests/guest/lib.sh) with
#     port 8000 forwarded, and the guest runs the same demo/hub.sh.
# Ctrl-C stops it and removes what it started.
set -euo pipefail
cd "$(dirname "$0")"
say() { printf '== %s\n' "$*"; }
if [[ $(id -u) -ne 0 ]]; then
    echo "demo.sh: run as root (it installs packages, creates cgroups, boots a VM): sudo ./demo.sh" >&2
    exit 2
fi
# shellcheck source=tests/guest/lib.sh
source tests/guest/lib.sh
# shellcheck source=demo/hub.sh
source demo/hub.sh

port_free() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 8000))' 2>/dev/null
}

say "installing Debian packages (tests/install-deps.sh; quick when present)"
tests/install-deps.sh
say "building cgspawn (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if ! cmake --build build --target cgspawn -j"$(nproc)" >build/demo-build.log 2>&1; then
    tail -n 40 build/demo-build.log
    echo "demo.sh: building cgspawn failed (build/demo-build.log)" >&2
    exit 1
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

# The product as the hub uses it: bin/cgspawn, site/ (the spawner), demo/.
bundle=$demo_work/bundle
guest_payload "$bundle" build/launcher/cgspawn
cp -r demo "$bundle/demo"
/usr/bin/python3 -c 'import secrets; print(secrets.token_urlsafe(9))' >"$bundle/demo/password"
chmod 0600 "$bundle/demo/password"
# CGSPAWN_DEMO_ACCOUNTS="alice bob": existing Unix accounts instead of
# dynamic users (the guest reads it from the bundle).
printf '%s\n' "${CGSPAWN_DEMO_ACCOUNTS:-}" >"$bundle/demo/accounts"

banner() {
    local where=$1
    echo
    say "JupyterHub with CgroupSpawner is up: http://127.0.0.1:8000"
    if [[ -n ${CGSPAWN_DEMO_ACCOUNTS:-} ]]; then
        say "  log in as: ${CGSPAWN_DEMO_ACCOUNTS}"
    else
        say "  log in with any new name (e.g. ada, grace): each gets its own uid and home"
    fi
    say "  password: $(cat "$bundle/demo/password")"
    say "  each server: memory.max 512M, cpu.max 1 CPU, pids.max 256, private /tmp and /dev, / read-only but the home"
    say "Ctrl-C stops the demo ($where)"
}

if demo_systemd_host; then
    say "this host runs systemd on cgroup v2: the hub runs here, in $demo_unit (Delegate=yes)"
    demo_free_port
    port_free || { echo "demo.sh: 127.0.0.1:8000 is in use; stop what listens there (ss -ltnp 'sport = 8000')" >&2; exit 1; }
    state=$demo_work/state
    install -d -m 0700 "$state"
    install -m 0600 "$bundle/demo/password" "$state/password"
    say "hub starting"
    demo_hub_start "$bundle" "$state" http://127.0.0.1:8000
    demo_hub_wait 300 || exit 1
    banner "the hub and every server"
    say "logs: journalctl -u $demo_unit -f; a server's output: journalctl -t jupyter-NAME-singleuser"
    while systemctl is-active -q "$demo_unit"; do sleep 2; done
    echo "demo.sh: the hub stopped on its own: journalctl -u $demo_unit" >&2
    exit 1
fi

say "this host has no systemd as PID 1 with cgroup v2 (checked /run/systemd/system and /sys/fs/cgroup):"
say "the demo runs in the project's systemd guest (qemu), port 8000 forwarded to this host"
port_free || { echo "demo.sh: 127.0.0.1:8000 is in use; stop what listens there (ss -ltnp 'sport = 8000')" >&2; exit 1; }
guest_tools
install -m 0755 demo/guest-driver.sh "$bundle/driver.sh"
cp tests/guest/suite/e2e/tcg_config.py "$bundle/demo/tcg_config.py"
say "preparing the guest image (the first run builds it: ~10 min; then cached in ~/.cache/cgspawn-guest)"
tests/guest/build-image.sh >/dev/null
say "booting the guest (emulated, no KVM: 1-2 min), then the hub starts in it (1-3 min)"
# Announce the URL once it answers here, through the forwarded port.
(
    until /usr/bin/python3 -c 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:8000/hub/api/", timeout=10)' 2>/dev/null; do
        sleep 3
    done
    banner "the guest and everything in it"
) &
waiter=$!
# guest_boot runs in this shell (the EXIT trap's guest_kill must see its
# qemu); of the guest's console only the demo's own lines are shown (and
# lib.sh's messages, with the console's tail when the guest fails).
rc=0
guest_boot "$bundle" "$demo_work/results" --forward 8000 --memory 3072 --timeout 0 \
    > >(sed -un -e '/^  guest| /{s/^  guest| .*\(demo: \)/\1/p;d}' -e p) || rc=$?
echo "demo.sh: the guest stopped on its own (status $rc); see the lines above" >&2
exit 1
