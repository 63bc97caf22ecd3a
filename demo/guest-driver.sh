#!/bin/bash
# The demo inside the systemd guest (demo.sh installs it as the payload's
# driver.sh; cgspawn-guest.service runs it as root at boot and powers the
# guest off when it returns). It brings up the NIC that qemu's
# hostfwd=127.0.0.1:PORT -> 10.0.2.15:PORT reaches (PORT from the bundle,
# default 8000), then runs the very code a systemd host runs (demo/hub.sh),
# and keeps the guest up until the host stops it. Lines starting "demo: "
# are what the host shows; "hublog: " lines, the hub's journal (its own
# output and every server's), the host appends to a log file (demo_console).
set -u
# shellcheck source=demo/hub.sh
source /payload/demo/hub.sh
results=/payload/results
mkdir -p "$results"
demo_log "guest up after $(cut -d' ' -f1 /proc/uptime) s"

# slirp's user network: the guest is 10.0.2.15/24 (no DHCP client in the
# image). Let udev finish renaming the NIC (eth0 -> enp0s*) first, and retry:
# a rename between finding the name and using it fails the `ip` calls.
udevadm settle --timeout=120 || true
nic=''
for _ in $(seq 60); do
    nic=$(ip -o link show | awk -F': ' '$2 != "lo" { print $2; exit }')
    if [[ -n $nic ]] && ip link set "$nic" up 2>/dev/null &&
        ip addr replace 10.0.2.15/24 dev "$nic" 2>/dev/null; then
        break
    fi
    nic=''
    sleep 2
done
if [[ -z $nic ]]; then
    demo_log "error: cannot bring up the guest's network interface: $(ip -o link show | tr '\n' ' ')"
    exit 1
fi
demo_log "network: $nic 10.0.2.15/24"

CGSPAWN_DEMO_ACCOUNTS=$(cat /payload/demo/accounts 2>/dev/null)
export CGSPAWN_DEMO_ACCOUNTS
demo_port=$(cat /payload/demo/port 2>/dev/null || echo 8000)
demo_free_port
state=/var/lib/cgspawn-demo
install -d -m 0700 "$state"
install -m 0600 /payload/demo/password "$state/password"
demo_log "hub starting (under emulation the hub and its proxy need 1-3 minutes)"
demo_hub_start /payload "$state" "http://0.0.0.0:$demo_port" /payload/demo/tcg_config.py || exit 1
# The hub's unit holds the servers too (Delegate=yes): its journal is the
# hub's log and every server's output, sent to the host over the console.
journalctl -b -f -u "$demo_unit" -o short-monotonic --no-hostname | sed -u 's/^/hublog: /' &
if ! demo_hub_wait 1200; then
    journalctl -b --no-pager >"$results/journal.txt" 2>&1
    exit 1
fi
demo_log "hub ready"
# Until the host's Ctrl-C ends qemu.
exec sleep infinity
