"""`cgspawn top` on real units: the live view driven through tmux (keys change
the sort, q and SIGTERM quit and give the terminal back), and --once."""
import os
import re
import shlex
import signal
import subprocess

import pytest

from conftest import CGSPAWN, cgspawn, pid_alive, read, wait_for

# busy: a CPU hog under half a CPU, 64M; mem: 60 MB touched then asleep.
BUSY = ["/bin/sh", "-c", "while :; do :; done"]
MEM = ["/usr/bin/python3", "-c", "import time; b = b'x' * (60 << 20); time.sleep(3600)"]


def spawn_pair(cg):
    busy = cg.spawn("top-busy", BUSY, "--cpu-max", "0.5", "--memory-max", "64M", user="alice")
    mem = cg.spawn("top-mem", MEM, "--cpu-max", "1", "--memory-max", "256M", "--tasks-max", "50",
                   user="bob")
    wait_for(lambda: int(mem.cg("memory.current")) > 60 << 20, 120, "top-mem to touch 60 MB")
    return busy, mem


def rows(text, names):
    """{unit: [cells]} for the table lines of NAMES in TEXT, and their order."""
    found, order = {}, []
    for line in text.splitlines():
        cells = line.split()
        if cells and cells[0] in names:
            found[cells[0]] = cells
            order.append(cells[0])
    return found, order


def check_rows(found, busy, mem):
    # UNIT SLICE USER MEM MEM_MAX CPU% CPU_MAX TASKS OOM
    b, m = found[busy.name], found[mem.name]
    assert b[1:3] == ["-", "alice"] and b[4] == "64M" and b[6] == "0.5" and b[8] == "0", b
    assert m[1:3] == ["-", "bob"] and m[4] == "256M" and m[6] == "1" and m[8] == "0", m
    assert re.fullmatch(r"\d+(\.\d)?M", m[3]) and float(m[3][:-1]) >= 60, f"top-mem memory: {m}"
    assert int(m[7]) >= 1 and int(b[7]) >= 1, (b, m)
    assert float(b[5]) > float(m[5]), f"the busy loop should show more CPU%: {b} {m}"


class Tmux:
    """A private tmux server (socket in the test's temp dir) with one shell."""

    def __init__(self, tmpdir):
        self.sock = os.path.join(tmpdir, "tmux.sock")
        env = dict(os.environ, TERM="xterm")
        self.cmd(["new-session", "-d", "-s", "t", "-x", "200", "-y", "50",
                  "/bin/bash --norc --noprofile"], env=env)

    def cmd(self, args, env=None):
        r = subprocess.run(["tmux", "-S", self.sock, *args], capture_output=True, text=True,
                           timeout=60, env=env)
        assert r.returncode == 0, f"tmux {' '.join(args)}: {r.stderr}"
        return r.stdout

    def keys(self, *keys):
        self.cmd(["send-keys", "-t", "t", *keys])

    def screen(self):
        return self.cmd(["capture-pane", "-p", "-t", "t"])

    def show(self, fmt):
        return self.cmd(["display-message", "-p", "-t", "t", fmt]).strip()

    def wait(self, predicate, what, timeout=120):
        last = {}

        def check():
            last["screen"] = self.screen()
            return predicate(last["screen"])

        try:
            return wait_for(check, timeout, what, interval=0.5)
        except AssertionError as e:
            raise AssertionError(f"{e}; screen:\n{last.get('screen')}") from None

    def kill(self):
        """Stop the server and every process in its panes; remove the socket."""
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True, timeout=60)
        if os.path.exists(self.sock):
            os.unlink(self.sock)


@pytest.fixture
def tmux(cg):
    t = Tmux(cg.tmpdir)
    yield t
    t.kill()


def top_pid(tmux):
    """The `cgspawn top` process running in the pane's shell."""
    shell = int(tmux.show("#{pane_pid}"))

    def find():
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = read(f"/proc/{entry}/stat")
                    exe = os.readlink(f"/proc/{entry}/exe")
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == shell and exe == CGSPAWN:
                    return int(entry)
        return None

    return wait_for(find, 30, "cgspawn top to start in the pane")


def start_top(tmux, delegated, tmpdir, tag):
    """Type `stty -g > before; cgspawn top; echo TOP-EXIT=$?; stty -g > after`."""
    before, after = (os.path.join(tmpdir, f"stty-{tag}-{w}") for w in ("before", "after"))
    line = (f"stty -g > {before}; {CGSPAWN} top -d 1 --cgroup-root {shlex.quote(delegated)}; "
            f"echo TOP-EXIT-{tag}=$?; stty -g > {after}")
    tmux.keys(line, "Enter")
    return before, after


def check_restored(tmux, before, after, tag, status):
    tmux.wait(lambda s: f"TOP-EXIT-{tag}=" in s, f"`cgspawn top` ({tag}) to exit")
    assert f"TOP-EXIT-{tag}={status}" in tmux.screen(), tmux.screen()
    wait_for(lambda: os.path.exists(after), 30, "the shell to record stty after top")
    assert read(before) == read(after), "the terminal modes were not restored"
    assert tmux.show("#{alternate_on}") == "0", "still on the alternate screen"
    assert tmux.show("#{cursor_flag}") == "1", "the cursor is still hidden"


def test_top_live_sorts_and_quits(cg, delegated, tmux):
    busy, mem = spawn_pair(cg)
    names = (busy.name, mem.name)
    before, after = start_top(tmux, delegated, cg.tmpdir, "q")
    pid = top_pid(tmux)

    # The default sort is CPU: once both rows have a CPU% the busy loop leads.
    def both_with_cpu(screen):
        found, order = rows(screen, names)
        return len(found) == 2 and all(found[n][5] != "-" for n in names) and (found, order)

    found, order = tmux.wait(both_with_cpu, "both units with a CPU%")
    screen = tmux.screen()
    assert "sort: cpu" in screen, screen
    check_rows(found, busy, mem)
    assert order == [busy.name, mem.name], screen
    assert tmux.show("#{alternate_on}") == "1", "the live view is not on the alternate screen"

    tmux.keys("m")
    tmux.wait(lambda s: "sort: memory" in s and rows(s, names)[1] == [mem.name, busy.name],
              "memory sort: top-mem first")
    tmux.keys("c")
    tmux.wait(lambda s: "sort: cpu" in s and rows(s, names)[1] == [busy.name, mem.name],
              "CPU sort: top-busy first")

    tmux.keys("q")
    check_restored(tmux, before, after, "q", 0)
    wait_for(lambda: not pid_alive(pid), 30, "cgspawn top to exit")


def test_top_sigterm_restores_terminal(cg, delegated, tmux):
    busy, mem = spawn_pair(cg)
    before, after = start_top(tmux, delegated, cg.tmpdir, "term")
    pid = top_pid(tmux)
    tmux.wait(lambda s: len(rows(s, (busy.name, mem.name))[0]) == 2, "both units on screen")
    os.kill(pid, signal.SIGTERM)
    check_restored(tmux, before, after, "term", 0)
    assert not pid_alive(pid)


def test_top_once_and_not_a_terminal(cg, delegated, record_property):
    busy, mem = spawn_pair(cg)
    names = (busy.name, mem.name)
    for sort, expected in (("memory", [mem.name, busy.name]), ("cpu", [busy.name, mem.name])):
        r = cgspawn("top", "--once", "-d", "1", "--sort", sort, "--cgroup-root", delegated)
        assert r.returncode == 0, r.stderr
        assert "\x1b" not in r.stdout, "terminal control in --once output"
        assert r.stdout.startswith("UNIT "), r.stdout
        found, order = rows(r.stdout, names)
        assert order == expected, r.stdout
        check_rows(found, busy, mem)
        record_property(f"once_sort_{sort}", "\n" + r.stdout)
    # stdout is a pipe: the live view refuses and names --once
    r = cgspawn("top", "--cgroup-root", delegated)
    assert r.returncode == 2 and "use `cgspawn top --once`" in r.stderr, r.stderr
    assert r.stdout == ""
