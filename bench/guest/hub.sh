#!/bin/bash
# Main process of cgspawn-hub.service (Delegate=yes) in the bench guest:
# `cgspawn init` makes this unit's cgroup the delegated root D (this process
# moves to D/hub), then the benchmark runs; its output is bench.txt.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PYTHONDONTWRITEBYTECODE=1
install -m 0755 -o root -g root /payload/bin/cgspawn /usr/local/sbin/cgspawn
if [[ -f /payload/bin/cgspawn-baseline ]]; then
    install -m 0755 -o root -g root /payload/bin/cgspawn-baseline /usr/local/sbin/cgspawn-baseline
fi
exec >>/payload/results/bench.txt 2>&1
/usr/local/sbin/cgspawn init || { echo "bench: cgspawn init failed"; exit 1; }
/usr/bin/python3 /payload/bench/guest/main.py
echo "$?" >/payload/results/bench-rc
