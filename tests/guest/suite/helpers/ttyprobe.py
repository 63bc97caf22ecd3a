"""Run as a server: try every way of typing into a terminal the issue 13
review found, print one 'WHAT RESULT' line each, then touch argv[1] and stay
alive (so the test can see whether a hang-up of the caller's terminal
reaches it).

- devtty-open / devtty-tiocsti: the caller's controlling terminal, if the
  server still has one (/dev/tty exists under --private-devices too);
- fdN-tiocsti: an inherited stdout/stderr that is a terminal (--log-target
  stderr from a shell on a pty), which TIOCSTI accepts only when it is the
  caller's controlling terminal;
- ownpty-tiocsti: a pty the server makes its own controlling terminal,
  where only the seccomp filter stands in the way.
"""
import errno
import fcntl
import os
import sys
import termios
import time


def result(fn):
    try:
        fn()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def tiocsti(fd):
    for ch in b"echo INJECTED-BY-SERVER\n":
        fcntl.ioctl(fd, termios.TIOCSTI, bytes([ch]))


lines = []
try:
    tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    lines.append("devtty-open ok")
    lines.append(f"devtty-tiocsti {result(lambda: tiocsti(tty))}")
except OSError as e:
    lines.append(f"devtty-open {errno.errorcode.get(e.errno, e.errno)}")
for fd in (1, 2):
    if os.isatty(fd):
        lines.append(f"fd{fd}-tiocsti {result(lambda: tiocsti(fd))}")
try:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    lines.append(f"ownpty-tiocsti {result(lambda: fcntl.ioctl(slave, termios.TIOCSTI, b'x'))}")
except OSError as e:
    lines.append(f"ownpty-setup {errno.errorcode.get(e.errno, e.errno)}")
lines.append(f"session {os.getsid(0)} pid {os.getpid()}")
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("\n".join(lines) + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(600)
