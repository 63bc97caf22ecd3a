"""Stands in for a launcher command the hub runs as its child (`cgspawn
status` during the hub's shutdown): moved into the hub unit's cgroup by the
test, it notes a SIGTERM in the file argv[1] and exits. Prints "ready" once
its handler is in place."""
import signal
import sys
import time


def on_term(*_):
    with open(sys.argv[1], "w") as f:
        f.write("SIGTERM\n")
    sys.exit(0)


signal.signal(signal.SIGTERM, on_term)
print("ready", flush=True)
while True:
    time.sleep(3600)
