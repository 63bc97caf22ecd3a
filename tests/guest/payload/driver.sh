#!/bin/bash
# Runs in the guest as root (cgspawn-guest.service), from the payload disk:
# starts the hub unit, whose main process is the pytest suite, then gathers
# what the host reads back. Output goes to the serial console.
set -u
results=/payload/results
mkdir -p "$results"
uptime_s() { cut -d' ' -f1 /proc/uptime; }

boot=$(uptime_s)
echo "$boot" >"$results/boot-seconds"
echo "driver: guest up after ${boot} s; starting cgspawn-hub.service (the suite)"

touch "$results/pytest.txt"
tail -n +1 -f "$results/pytest.txt" &
tail_pid=$!

systemctl start cgspawn-hub.service
end=$(uptime_s)
kill "$tail_pid"
wait "$tail_pid" 2>/dev/null
awk -v a="$boot" -v b="$end" 'BEGIN { printf "%.1f\n", b - a }' >"$results/suite-seconds"

{
    systemctl status --no-pager --full cgspawn-hub.service
    systemctl show -p Result,ExecMainCode,ExecMainStatus cgspawn-hub.service
} >"$results/hub-status.txt" 2>&1

# After the hub unit is gone nothing of the suite may remain.
{
    [[ -e /sys/fs/cgroup/system.slice/cgspawn-hub.service ]] &&
        echo "cgroup left: $(find /sys/fs/cgroup/system.slice/cgspawn-hub.service -type d)"
    ps -o pid=,user=,args= -u alice,bob,carol,jhub 2>/dev/null | sed 's/^/process left: /'
    grep -q ' /mnt/cgspawn-sub ' /proc/self/mountinfo && echo "mount left: /mnt/cgspawn-sub"
} >"$results/leaks.txt"

journalctl -b --no-pager -o short-monotonic >"$results/journal.txt" 2>&1
echo "driver: suite took $(cat "$results/suite-seconds") s; results written"
sync
