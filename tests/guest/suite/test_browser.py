"""The README demo's check, as a person does it: headless Chromium (Debian's
chromium + chromium-driver, driven by python3-selenium) logs in to a real
JupyterHub with CgroupSpawner, starts the server from the hub's home page,
reaches the classic notebook's file list (screenshot to $CGSPAWN_RESULTS),
opens a notebook and runs a cell that prints the server's memory.max.

The server has no cgroup namespace: /sys/fs/cgroup/memory.max would be the
root's (absent), so the cell reads the file of the cgroup /proc/self/cgroup
names; it must be the configured mem_limit in bytes.
"""
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

from e2e.hub import JUPYTERHUB_VERSION, PROXY, Hub, wait_for

selenium = pytest.importorskip("selenium")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

MEM_LIMIT = "384M"
MEM_BYTES = str(384 << 20)
USER = "alice"
# Chromium and the notebook's JavaScript under TCG: minutes, not seconds.
PAGE = 900
RESULTS = os.environ.get("CGSPAWN_RESULTS", "/payload/results")
# JupyterHub 5 starts JupyterLab when jupyter-server is installed (Debian 13);
# this is the classic notebook's check, so it asks for that app by name (the
# way JupyterHub documents), which also proves the spawner passes it on.
CLASSIC_APP = ('c.Spawner.environment = {"JUPYTERHUB_SINGLEUSER_APP": "notebook.notebookapp.NotebookApp"}'
               if JUPYTERHUB_VERSION >= (5,) else "")
CELL = (
    "rel = [l[3:].strip() for l in open('/proc/self/cgroup') if l.startswith('0::')][0]\n"
    "print('MEMORY_MAX=' + open('/sys/fs/cgroup' + rel + '/memory.max').read().strip())"
)

pytestmark = pytest.mark.timeout(2400)


def notebook_json(source):
    return {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "cgspawn-check",
                   "metadata": {}, "outputs": [], "source": source}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_chromium(tmp):
    """Headless Chromium whose profile, cache and temp files stay in TMP,
    started here rather than by chromedriver: under TCG it takes longer to
    come up than chromedriver waits for (DevToolsActivePort)."""
    port = free_port()
    log = open(os.path.join(tmp, "chromium.log"), "w")
    proc = subprocess.Popen(
        ["/usr/bin/chromium", "--headless=new", "--no-sandbox",  # root in the guest
         "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
         "--disable-background-networking", "--window-size=1280,900",
         # V8's JIT rewrites code pages, which qemu's TCG must retranslate
         # each time: the notebook's JavaScript did not finish in 15 min
         # with it; the interpreter alone is the lesser evil here.
         "--js-flags=--jitless",
         f"--user-data-dir={tmp}/profile", f"--remote-debugging-port={port}", "about:blank"],
        env=dict(os.environ, HOME=tmp, TMPDIR=tmp), stdin=subprocess.DEVNULL, stdout=log,
        stderr=subprocess.STDOUT)
    log.close()

    def up():
        if proc.poll() is not None:
            raise AssertionError(f"chromium exited with status {proc.returncode}: {chromium_log(tmp)}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=10).close()
            return True
        except OSError:
            return False

    t = time.monotonic()
    try:
        wait_for(up, PAGE, "chromium's DevTools port", interval=2)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    print(f"chromium up after {time.monotonic() - t:.0f} s")
    return proc, port


def chromium_log(tmp):
    try:
        with open(os.path.join(tmp, "chromium.log")) as f:
            return f.read()[-3000:]
    except OSError:
        return "(no log)"


def browser(tmp, port):
    """A WebDriver session on the Chromium listening on PORT."""
    opts = webdriver.ChromeOptions()
    opts.debugger_address = f"127.0.0.1:{port}"
    service = Service("/usr/bin/chromedriver", log_path=os.path.join(tmp, "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=opts)
    driver.set_page_load_timeout(PAGE)
    driver.set_script_timeout(PAGE)
    return driver


def wait(driver, condition, what):
    try:
        return WebDriverWait(driver, PAGE, poll_frequency=2).until(condition)
    except Exception as e:
        raise AssertionError(f"timed out after {PAGE} s waiting for {what}; page {driver.current_url!r}: "
                             f"{driver.find_element(By.TAG_NAME, 'body').text[:800]!r}") from e


def test_browser_login_spawn_run_cell():
    pw = pwd.getpwnam(USER)
    name = f"cgspawn-check-{secrets.token_hex(4)}.ipynb"
    notebook = os.path.join(pw.pw_dir, name)
    # The server and its kernel add files to the home (checkpoints, ~/.ipython,
    # ~/.local/share/jupyter): whatever was not there before goes afterwards.
    home_before = set(os.listdir(pw.pw_dir))
    password = secrets.token_urlsafe(12)
    hub = Hub()
    driver = chromium = None
    tmp = tempfile.TemporaryDirectory(prefix="browser-", dir="/var/tmp")
    try:
        with open(notebook, "w") as f:
            json.dump(notebook_json(CELL), f)
        os.chown(notebook, pw.pw_uid, pw.pw_gid)
        hub.write_config(users=(USER,), mem_limit=MEM_LIMIT, extra=f"""
            c.DummyAuthenticator.password = "{password}"
            c.Spawner.default_url = "/tree"
            {CLASSIC_APP}
        """)
        hub.install_units()
        hub.start()
        chromium, port = start_chromium(tmp.name)
        driver = browser(tmp.name, port)

        # log in through the form
        driver.get(f"{PROXY}/hub/login")
        wait(driver, EC.presence_of_element_located((By.ID, "username_input")), "the login form")
        driver.find_element(By.ID, "username_input").send_keys(USER)
        driver.find_element(By.ID, "password_input").send_keys(password)
        driver.find_element(By.ID, "login_submit").click()
        wait(driver, lambda d: "/hub/login" not in d.current_url, "the login to go through")

        # After the login JupyterHub starts the server by itself (redirect_to_
        # server) and lands on the file list, or, if it stops at the home
        # page, offers 'Start My Server': click it then. Either way, as a
        # person would; never both (a second start races the first).
        def landed(d):
            if f"/user/{USER}/tree" in d.current_url:
                return "tree"
            if "/hub/home" in d.current_url:
                buttons = [b for b in d.find_elements(By.ID, "start") if b.is_displayed()]
                return buttons[0] if buttons else False
            return False

        where = wait(driver, landed, "the notebook's tree page or 'Start My Server'")
        if where != "tree":
            where.click()
            wait(driver, lambda d: f"/user/{USER}/tree" in d.current_url, "the notebook's tree page")
        wait(driver, EC.presence_of_element_located((By.CSS_SELECTOR, f'#notebook_list a[href$="{name}"]')),
             f"{name} in the file list")
        shot = os.path.join(RESULTS, "browser-tree.png")
        assert driver.save_screenshot(shot), f"no screenshot written to {shot}"

        # open the notebook, wait for its kernel, run the cell
        driver.get(f"{PROXY}/user/{USER}/notebooks/{name}")
        wait(driver, lambda d: d.execute_script(
            "return !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel"
            " && Jupyter.notebook.kernel.is_connected())"), "the notebook's kernel")
        driver.find_element(By.CSS_SELECTOR, "div.input_area").click()
        driver.find_element(By.CSS_SELECTOR,
                            'button[data-jupyter-action="jupyter-notebook:run-cell-and-select-next"]').click()
        out = wait(driver, lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, "div.output_area pre")
                                      if e.text.strip()], "the cell's output")
        driver.save_screenshot(os.path.join(RESULTS, "browser-cell.png"))
        print(f"cell output: {out}")
        assert out[0].strip() == f"MEMORY_MAX={MEM_BYTES}", (
            f"the server's memory.max seen from its notebook: {out}, configured mem_limit {MEM_LIMIT}")
    except BaseException:
        print(f"----- chromium's output\n{chromium_log(tmp.name)}")
        print(hub.journal())
        raise
    finally:
        if driver is not None:
            try:
                driver.quit()
            except Exception as e:  # the browser may be gone already
                print(f"driver.quit: {e}")
        if chromium is not None:
            chromium.terminate()
            try:
                chromium.wait(60)
            except subprocess.TimeoutExpired:
                chromium.kill()
                chromium.wait()
        kill_browsers(tmp.name)
        tmp.cleanup()
        try:
            hub.close()  # stops the server first
        finally:
            for entry in set(os.listdir(pw.pw_dir)) - home_before:
                path = os.path.join(pw.pw_dir, entry)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)


def kill_browsers(tmp):
    """SIGKILL any chromium/chromedriver process still using TMP's profile."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if f"--user-data-dir={tmp}/profile".encode() in cmdline:
            print(f"killing leftover browser process {pid}")
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
