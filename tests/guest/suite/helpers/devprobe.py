"""Report, as one JSON line, what /dev looks like from inside a unit."""
import json
import os
import pty


def attempt(fn):
    try:
        return fn()
    except OSError as e:
        return f"error: {e}"


def write_null():
    with open("/dev/null", "w") as f:
        f.write("x")
    return "ok"


def read_urandom():
    with open("/dev/urandom", "rb") as f:
        return len(f.read(16))


def pty_roundtrip():
    master, slave = pty.openpty()
    os.write(master, b"ping\n")
    data = os.read(slave, 100)
    os.close(master)
    os.close(slave)
    return "ok" if data == b"ping\n" else f"read {data!r}"


def rdev(path):
    st = attempt(lambda: os.stat(path))
    return [os.major(st.st_rdev), os.minor(st.st_rdev)] if isinstance(st, os.stat_result) else st


print(json.dumps({
    "dev": sorted(os.listdir("/dev")),
    "vda": os.path.exists("/dev/vda"),
    "null": attempt(write_null),
    "urandom": attempt(read_urandom),
    "pty": attempt(pty_roundtrip),
    "kmsg": rdev("/dev/kmsg"),
}), flush=True)
