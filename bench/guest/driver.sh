#!/bin/bash
# Runs in the bench guest as root at boot (cgspawn-guest.service): quiets
# what would compete for the 2 vCPUs, starts cgspawn-hub.service (its main
# process is hub.sh, the benchmark), then records what was left behind.
set -u
results=/payload/results
mkdir -p "$results"
echo "driver: guest up after $(cut -d' ' -f1 /proc/uptime) s"
# Debian's jupyterhub.service (enabled in the image) would hold the ports
# and the CPU; the bench starts its own hub.
systemctl stop jupyterhub.service >/dev/null 2>&1
touch "$results/bench.txt"
tail -n +1 -f "$results/bench.txt" &
tail_pid=$!
systemctl start cgspawn-hub.service
kill "$tail_pid"
wait "$tail_pid" 2>/dev/null
{
    [[ -e /sys/fs/cgroup/system.slice/cgspawn-hub.service ]] &&
        echo "cgroup left: $(find /sys/fs/cgroup/system.slice/cgspawn-hub.service -type d)"
    ps -o pid=,user=,args= -u nobody 2>/dev/null | sed 's/^/process left: /'
} >"$results/leaks.txt"
systemctl status --no-pager --full cgspawn-hub.service >"$results/hub-status.txt" 2>&1
journalctl -b --no-pager -o short-monotonic >"$results/journal.txt" 2>&1
sync
