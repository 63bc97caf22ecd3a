"""The .deb that tests/run-all.sh builds (cpack -G DEB), installed with dpkg
in the guest: its files, then Debian's JupyterHub with CgroupSpawner running
on nothing but the installed files (launcher /usr/sbin/cgspawn, the spawner
from /usr/lib/python3/dist-packages without PYTHONPATH, the packaged
jupyterhub-servers.service), and finally `dpkg --purge`, after which nothing
of the package may remain. tests/guest/run.sh --deb PATH puts the package on
the payload; without --deb the payload says so and this test skips."""
import json
import os
import stat
import subprocess

import pytest

from e2e.hub import SERVERS_UNIT, HUB_UNIT, Hub, proc_uid, sh, systemctl, unit_props
from test_e2e_hub import check_gone, check_reachable, check_server

DEB = "/payload/cgspawn.deb"
NO_DEB = "/payload/no-deb"  # written by run.sh when it was not given --deb
PKG = "cgspawn"
LAUNCHER = "/usr/sbin/cgspawn"
DIST = "/usr/lib/python3/dist-packages"
EXAMPLES = "/usr/share/doc/cgspawn/examples"

pytestmark = pytest.mark.timeout(1800)


def installed_version():
    r = subprocess.run(["dpkg-query", "-W", "-f", "${Status} ${Version}", PKG],
                       capture_output=True, text=True, timeout=60)
    return r.stdout.strip() if r.returncode == 0 and "installed" in r.stdout.split()[:3] else None


@pytest.fixture
def package():
    """dpkg -i the payload's .deb; afterwards purge it and check nothing is left."""
    if not os.path.exists(DEB):
        if os.path.exists(NO_DEB):
            pytest.skip(f"no .deb on the payload ({read_text(NO_DEB)}): "
                        "tests/guest/run.sh --deb PATH, as tests/run-all.sh does")
        pytest.fail(f"{DEB} is missing although run.sh was given --deb")
    assert installed_version() is None, f"{PKG} is installed before the test"
    assert not os.path.exists(LAUNCHER), f"{LAUNCHER} exists before the test"
    r = sh("dpkg", "-i", DEB, check=False)
    files = []
    try:
        # Every dependency is already in the image: dpkg must not complain.
        assert r.returncode == 0, f"dpkg -i: {r.stdout}{r.stderr}"
        assert "dependency problems" not in r.stdout + r.stderr, r.stdout + r.stderr
        assert "warning" not in (r.stdout + r.stderr).lower(), r.stdout + r.stderr
        files = sh("dpkg", "-L", PKG).stdout.split()
        yield files
    finally:
        sh("dpkg", "--purge", PKG, check=False)
        systemctl("daemon-reload", check=False)
    assert installed_version() is None, f"{PKG} still installed after dpkg --purge"
    left = [f for f in files if os.path.lexists(f) and not os.path.isdir(f)]
    assert not left, f"files of {PKG} left after dpkg --purge: {left}"
    own_dirs = ["/usr/share/doc/cgspawn", f"{DIST}/cgroupspawner"]
    own_dirs += [f for f in files if os.path.basename(f).startswith("cgroupspawner-")]
    left = [d for d in own_dirs if os.path.exists(d)]
    assert not left, f"directories left after dpkg --purge: {left}"
    r = systemctl("show", "-p", "LoadState", SERVERS_UNIT, check=False)
    assert "LoadState=not-found" in r.stdout, f"{SERVERS_UNIT} still known: {r.stdout}"


def read_text(path):
    with open(path) as f:
        return f.read().strip()


def test_deb_installs_and_runs_the_hub(package, record_property):
    files = package
    # ---- what the package holds
    for path in (LAUNCHER, "/usr/sbin/cgspawn-kernel-check", f"{DIST}/cgroupspawner/spawner.py",
                 f"/usr/lib/systemd/system/{SERVERS_UNIT}", f"{EXAMPLES}/sudoers",
                 f"{EXAMPLES}/policy.json", f"{EXAMPLES}/jupyterhub.service",
                 f"{EXAMPLES}/jupyterhub_config.py"):
        assert path in files, f"{path} is not in the package: {files}"
    st = os.stat(LAUNCHER)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o755), oct(st.st_mode)
    for path in files:
        st = os.lstat(path)
        assert st.st_uid == 0 and st.st_gid == 0, f"{path} is not root's"
        assert not st.st_mode & 0o022 or stat.S_ISLNK(st.st_mode), f"{path} is writable by others"
    # The packaged servers unit is installed but not enabled.
    assert sh("systemctl", "is-enabled", SERVERS_UNIT, check=False).stdout.strip() == "disabled"
    sh("visudo", "-c", "-f", f"{EXAMPLES}/sudoers")
    r = sh("/usr/sbin/cgspawn-kernel-check", "--help", check=False)
    assert r.returncode == 0 and "--cgroup" in r.stdout + r.stderr, r.stderr
    r = sh(LAUNCHER, "top", "--help")
    assert "--once" in r.stdout

    # Debian's jupyterhub finds the spawner by its entry point, with no PYTHONPATH.
    code = ("from jupyterhub.app import JupyterHub\n"
            "cls = JupyterHub(spawner_class='cgroup').spawner_class\n"
            "import json, sys; print(json.dumps([cls.__name__, sys.modules[cls.__module__].__file__]))")
    r = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True,
                       timeout=300, env={"PATH": "/usr/bin:/bin"}, cwd="/")
    assert r.returncode == 0, r.stderr
    name, path = json.loads(r.stdout)
    assert name == "CgroupSpawner" and path.startswith(f"{DIST}/cgroupspawner/"), r.stdout

    # ---- the hub on the installed files only
    hub = Hub(launcher=LAUNCHER, site=None, examples=EXAMPLES, servers_unit=False)
    try:
        hub.write_config(users=("alice",))
        hub.install_units()
        fragment = unit_props(SERVERS_UNIT, "FragmentPath")["FragmentPath"]
        assert fragment in (f"/usr/lib/systemd/system/{SERVERS_UNIT}",
                            f"/lib/systemd/system/{SERVERS_UNIT}"), fragment
        record_property("hub_start_s", round(hub.start(), 1))
        hub_pid = int(unit_props(HUB_UNIT, "MainPID")["MainPID"])
        with open(f"/proc/{hub_pid}/environ", "rb") as f:
            assert b"PYTHONPATH=" not in f.read(), "the hub runs with a PYTHONPATH"
        took, model = hub.start_server("alice")
        record_property("spawn_to_ready_s", round(took, 1))
        pid = check_server(hub, "alice", model)
        assert proc_uid(pid) != 0
        check_reachable(hub, "alice")
        # the spawner ran the packaged launcher (it logs the argv it runs)
        subprocess.run(["journalctl", "--sync"], timeout=60, check=False)
        r = sh("journalctl", "--no-pager", "-o", "cat", "-u", HUB_UNIT,
               "--since", f"@{int(hub.since)}")
        assert f"user:alice spawning {LAUNCHER} spawn " in r.stdout, r.stdout[-3000:]
        hub.stop_server("alice")
        check_gone("alice", pid)
    except BaseException:
        print(hub.journal())
        raise
    finally:
        hub.close()
