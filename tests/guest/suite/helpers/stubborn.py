"""A server that is hard to stop: the main process reports SIGTERM and exits,
a child ignores SIGTERM, and a double-forked setsid daemon escapes the
process tree. Prints main=PID, stubborn=PID, daemon=PID."""
import os
import signal
import sys
import time


def on_term(*_):
    print("main: got SIGTERM", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, on_term)

if os.fork() == 0:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print(f"stubborn={os.getpid()}", flush=True)
    while True:
        time.sleep(3600)

first = os.fork()
if first == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        print(f"daemon={os.getpid()}", flush=True)
        while True:
            time.sleep(3600)
    os._exit(0)
os.waitpid(first, 0)
print(f"main={os.getpid()}", flush=True)
while True:
    signal.pause()
