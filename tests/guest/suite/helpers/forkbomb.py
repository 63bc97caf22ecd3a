"""A bounded fork bomb: try argv[1] forks of sleeping children, count EAGAIN,
print 'forked=N eagain=M', then sleep (the children sleep too)."""
import os
import sys
import time

forked = eagain = 0
for _ in range(int(sys.argv[1])):
    try:
        pid = os.fork()
    except BlockingIOError:
        eagain += 1
        continue
    if pid == 0:
        time.sleep(3600)
        os._exit(0)
    forked += 1
print(f"forked={forked} eagain={eagain}", flush=True)
time.sleep(3600)
