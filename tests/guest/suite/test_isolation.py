"""Mount-namespace and privilege isolation of the servers."""
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile

from conftest import HELPERS, read, run


def as_alice(*argv):
    """Run a command as alice outside any unit (the control experiment)."""
    return run(["setpriv", "--reuid=alice", "--regid=alice", "--init-groups", "--", *argv])


def test_private_tmp(cg):
    name = f"cgspawn-ptmp-{secrets.token_hex(4)}"
    try:
        check_private_tmp(cg, name)
    finally:
        for d in ("/tmp", "/var/tmp"):
            if os.path.exists(f"{d}/{name}"):
                os.unlink(f"{d}/{name}")


def check_private_tmp(cg, name):
    a_cmd = f"echo secret > /tmp/{name} && cat /tmp/{name} && exec sleep 3600"
    a = cg.spawn("ptmp-a", ["/bin/sh", "-c", a_cmd], "--private-tmp")
    a.wait_output(r"^secret$", timeout=60)

    probe = f"if [ -e /tmp/{name} ]; then echo present; else echo absent; fi"
    b = cg.spawn("ptmp-b", ["/bin/sh", "-c", probe], "--private-tmp", user="bob")
    m = b.wait_output(r"^(present|absent)$", timeout=60)
    assert m.group(1) == "absent", "unit B sees unit A's private /tmp file"
    for d in ("/tmp", "/var/tmp"):
        assert not os.path.exists(f"{d}/{name}"), f"unit A's file leaked into the guest's {d}"

    r = a.stop(timeout=2)
    assert r.returncode == 0, r.stderr
    again = cg.spawn(a.name, ["/bin/sh", "-c", probe + "; exec sleep 3600"], "--private-tmp",
                     exact_name=True)
    m = again.wait_output(r"^(present|absent)$", timeout=60)
    assert m.group(1) == "absent", "A's /tmp file survived stop + restart"


def test_private_devices(cg):
    assert os.path.exists("/dev/vda") and os.path.exists("/dev/kmsg"), "guest lacks /dev/vda or /dev/kmsg"
    cmd = ["/usr/bin/python3", f"{HELPERS}/devprobe.py"]

    plain = cg.spawn("pdev", cmd, "--private-devices")
    seen = json.loads(plain.wait_output(r"^\{.*\}$", timeout=60).group(0))
    assert seen["vda"] is False, "/dev/vda is visible with --private-devices"
    assert seen["null"] == "ok", f"/dev/null not writable: {seen['null']}"
    assert seen["urandom"] == 16, f"/dev/urandom not readable: {seen['urandom']}"
    assert seen["pty"] == "ok", f"no working pty: {seen['pty']}"
    assert "kmsg" not in seen["dev"], "/dev/kmsg is in the default private /dev"

    extra = cg.spawn("pdev-kmsg", cmd, "--private-devices", "--device", "/dev/kmsg")
    seen2 = json.loads(extra.wait_output(r"^\{.*\}$", timeout=60).group(0))
    added = set(seen2["dev"]) - set(seen["dev"])
    removed = set(seen["dev"]) - set(seen2["dev"])
    assert added == {"kmsg"} and not removed, (
        f"--device /dev/kmsg should add exactly kmsg: added {added}, removed {removed}")
    st = os.stat("/dev/kmsg")
    assert seen2["kmsg"] == [os.major(st.st_rdev), os.minor(st.st_rdev)], seen2["kmsg"]
    assert seen2["vda"] is False


def test_read_only(cg):
    tag = secrets.token_hex(4)
    sub = "/mnt/cgspawn-sub"
    dirs = [f"/usr/local/share/cgspawn-ro-{tag}", f"/etc/cgspawn-ro-{tag}"]
    home_file = f"/home/alice/cgspawn-ro-{tag}"
    alice = (1000, 1000)
    os.makedirs(sub, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=1777,size=1m", "cgspawn-sub", sub],
                   check=True)
    try:
        for d in dirs:
            os.mkdir(d)
            os.chown(d, *alice)
        before = read("/proc/self/mountinfo")
        targets = [f"{dirs[0]}/f", f"{dirs[1]}/f", f"{sub}/f-{tag}", home_file]

        # Control: outside a unit, alice can write every target.
        r = as_alice("/usr/bin/python3", f"{HELPERS}/writeprobe.py", *targets)
        assert r.stdout.split() == [w for t in targets for w in (t, "ok")], r.stdout
        for t in targets:
            os.unlink(t)

        unit = cg.spawn("ro", ["/usr/bin/python3", f"{HELPERS}/writeprobe.py", *targets],
                        "--read-only", "/", "--read-write", "/home/alice")
        unit.wait_output(f"^{home_file} ", timeout=60)
        result = dict(line.split() for line in unit.output().splitlines() if line.startswith("/"))
        for t in targets[:3]:
            assert result.get(t) == "EROFS", f"write to {t} under --read-only /: {result.get(t)}"
        assert result.get(home_file) == "ok", f"write to --read-write /home/alice: {result.get(home_file)}"
        assert os.path.exists(home_file), "the write to /home/alice did not reach the real home"
        for t in targets[:3]:
            assert not os.path.exists(t), f"{t} was created despite EROFS"
        r = unit.stop(timeout=2)
        assert r.returncode == 0, r.stderr
        assert read("/proc/self/mountinfo") == before, "the guest's mount table changed"
    finally:
        subprocess.run(["umount", sub], check=False)
        os.rmdir(sub)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
        if os.path.exists(home_file):
            os.unlink(home_file)


def test_no_new_privs(cg):
    suid_dir = tempfile.mkdtemp(prefix="cgspawn-suid-", dir="/srv")
    try:
        os.chmod(suid_dir, 0o755)
        suid_id = os.path.join(suid_dir, "id")
        shutil.copy("/usr/bin/id", suid_id)
        os.chmod(suid_id, 0o4755)
        script = (f"grep NoNewPrivs /proc/self/status; echo euid=$({suid_id} -u); "
                  "sudo -n true; echo sudo=$?")

        # Control: without a unit, alice gains root through both.
        r = as_alice("/bin/sh", "-c", script)
        assert "euid=0" in r.stdout and "sudo=0" in r.stdout, (
            f"control failed, the test could not prove anything: {r.stdout} {r.stderr}")

        locked = cg.spawn("nnp", ["/bin/sh", "-c", script])
        locked.wait_output(r"^sudo=\d+", timeout=90)
        out = locked.output()
        assert "euid=1000" in out, f"a setuid-root binary ran as root: {out!r}"
        assert "sudo=0" not in out, f"sudo -n true succeeded under no_new_privs: {out!r}"
        assert "NoNewPrivs:\t1" in out, f"no_new_privs is not set: {out!r}"

        free = cg.spawn("nnp-allow", ["/bin/sh", "-c", script], "--allow-new-privileges")
        free.wait_output(r"^sudo=\d+", timeout=90)
        out = free.output()
        assert "euid=0" in out, f"--allow-new-privileges: setuid binary did not elevate: {out!r}"
        assert "sudo=0" in out, f"--allow-new-privileges: sudo -n true failed: {out!r}"
        assert "NoNewPrivs:\t0" in out, f"no_new_privs set despite --allow-new-privileges: {out!r}"
    finally:
        shutil.rmtree(suid_dir)


def test_identity(cg):
    expected = run(["id", "alice"]).stdout.strip()
    assert "students" in expected, f"image lacks alice's supplementary group: {expected}"
    # Labelled lines: cgspawn itself prints the server's pid on the same stdout.
    script = ("echo \"ID $(id)\"; grep -E '^(Uid|Gid|Groups):' /proc/self/status; "
              "echo \"CWD $(pwd)\"; env | sed 's/^/ENV /'; echo END")
    unit = cg.spawn("ident", ["/bin/sh", "-c", script], "--setenv-defaults",
                    "--workdir", "/tmp")
    unit.wait_output(r"^END$", timeout=60)
    lines = unit.output().splitlines()
    label = dict(line.split(None, 1) for line in lines
                 if line.split(None, 1)[0:1] in (["ID"], ["CWD"], ["Uid:"], ["Gid:"], ["Groups:"]))
    assert label["ID"] == expected, f"inside: {label['ID']!r}, `id alice`: {expected!r}"
    assert label["Uid:"].split() == ["1000"] * 4, label["Uid:"]
    assert label["Gid:"].split() == ["1000"] * 4, label["Gid:"]
    groups = sorted(run(["id", "-G", "alice"]).stdout.split())  # as the guest's passwd says
    assert "1100" in groups, groups
    assert sorted(label["Groups:"].split()) == groups, (label["Groups:"], groups)
    assert label["CWD"] == "/tmp", f"--workdir /tmp (the default is the home): {label['CWD']}"
    env = dict(line[4:].split("=", 1) for line in lines if line.startswith("ENV ") and "=" in line)
    for key, value in (("USER", "alice"), ("LOGNAME", "alice"), ("HOME", "/home/alice"),
                       ("SHELL", "/bin/bash")):
        assert env.get(key) == value, f"--setenv-defaults: {key}={env.get(key)}"


def test_protect_proc_hides_other_users_processes(cg):
    """ProtectProc=invisible (the spawner's default): bob's `ps` inside his
    server lists only his own processes, not alice's server; without it
    (the control) he sees it."""
    alice = cg.spawn("pp-alice", ["/bin/sh", "-c", "echo up; exec sleep 3600"], "--protect-proc",
                     "invisible")
    alice.wait_output(r"^up$", timeout=60)
    [alice_pid] = alice.pids()
    probe = ["/bin/sh", "-c", "ps -e -o pid=,user= | tr -s ' ' | sed 's/^ //'; echo done"]
    hidden = cg.spawn("pp-bob", probe, "--protect-proc", "invisible", user="bob")
    hidden.wait_output(r"^done$", timeout=60)
    # The file starts with cgspawn's own line (the server's pid); ps rows are "PID USER".
    rows = [line.split() for line in hidden.output().splitlines()
            if re.fullmatch(r"\d+ \S+", line)]
    assert rows and {user for _, user in rows} == {"bob"}, f"bob's ps showed others: {rows}"
    assert str(alice_pid) not in {pid for pid, _ in rows}
    shown = cg.spawn("pp-bob-host", probe, user="bob")
    shown.wait_output(r"^done$", timeout=60)
    assert f"{alice_pid} alice" in shown.output(), "the control: the host's /proc shows alice"


def test_the_server_sees_its_own_cgroup_read_only(cg):
    """Its own cgroup view (the default): /sys/fs/cgroup inside is its unit,
    so memory.max and pids.max there are its own limits, /proc/self/cgroup
    reads 0::/, and nothing there is writable; with --no-cgroup-namespace
    (the control) it sees the host's tree, where memory.max is not its."""
    probe = ["/bin/sh", "-c",
             "echo mem=$(cat /sys/fs/cgroup/memory.max) pids=$(cat /sys/fs/cgroup/pids.max);"
             " echo self=$(grep '^0::' /proc/self/cgroup);"
             " (echo 1 >/sys/fs/cgroup/cgroup.procs) 2>&1 | sed 's/^/write=/'; echo done"]
    own = cg.spawn("cgview", probe, "--memory-max", "64M", "--tasks-max", "33")
    own.wait_output(r"^done$", timeout=60)
    out = own.output()
    assert f"mem={64 << 20} pids=33" in out, out
    assert "self=0::/\n" in out, out
    assert re.search(r"^write=.*Read-only file system", out, re.M), out
    host = cg.spawn("cgview-host", probe, "--memory-max", "64M", "--no-cgroup-namespace")
    host.wait_output(r"^done$", timeout=60)
    out = host.output()
    assert f"mem={64 << 20}" not in out and "/users/cgview-host" in out, out
