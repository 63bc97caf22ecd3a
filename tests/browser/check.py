#!/usr/bin/python3
"""The demo's browser check, run on the host by tests/browser/run.sh against
the demo hub in the guest (through qemu's forwarded port): Debian's headless
Chromium, driven natively by python3-selenium, does what a person does.

  - log in, then start the server from the hub's home page ('Start My Server'),
    choosing the demo's "Large" profile on the spawn form by clicking, and
    watch the spawn page's progress messages;
  - JupyterLab 4 (Debian 13, JupyterHub 5's default UI): reach
    /user/NAME/lab, open a new notebook from the launcher, run a cell that
    prints the server's memory.max, LANG and uid; open a terminal and run
    `id` there;
  - the classic notebook 6.4 (Debian 12, JupyterHub 3.0): reach
    /user/NAME/tree, open a new notebook, run the same cell. Its terminal
    page is broken by a Debian packaging defect (see the README's demo
    section), so there is no terminal step.

The cell reads the memory.max of the cgroup that /proc/self/cgroup names
(its own cgroup namespace makes that "/", so /sys/fs/cgroup//memory.max:
its own); it must be the chosen profile's mem_limit in bytes.
Every step leaves a screenshot in --shots. The password is read from a
root-only file, never taken from argv.
"""
import argparse
import os
import re
import secrets
import signal
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.support.ui import WebDriverWait

# One line, so neither editor's auto-indent can change it; typed as a
# person types it (the editors' auto-closed brackets and quotes are typed
# over).
CELL = ("import os; rel = open('/proc/self/cgroup').read().split('::')[1].strip(); "
        "print('MEMORY_MAX=' + open('/sys/fs/cgroup' + rel + '/memory.max').read().strip(), "
        "'LANG=' + os.environ.get('LANG', '-'), 'UID=' + str(os.getuid()))")
STEP = 600
CELL_OUT = re.compile(r"MEMORY_MAX=(\S+) LANG=(\S+) UID=(\d+)")
# Collects what the terminal's websocket receives (terminado's
# ["stdout", TEXT] messages): the terminal's text whatever renderer xterm.js
# draws with (its canvas has no DOM text). Installed before any page's own
# scripts run: JupyterLab keeps the WebSocket class it saw at load time.
TERMINAL_TAP = """
window.__cgspawnTerm = '';
window.WebSocket = class extends window.WebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    if (String(url).includes('/terminals/websocket/')) {
      this.addEventListener('message', (e) => {
        try { const m = JSON.parse(e.data); if (m[0] === 'stdout') window.__cgspawnTerm += m[1]; }
        catch (err) { /* not terminado's JSON */ }
      });
    }
  }
};
"""

class Check:
    def __init__(self, args):
        self.args = args
        self.base = args.url.rstrip("/")
        self.start = time.monotonic()
        self.deadline = self.start + args.timeout
        self.driver = None
        self.user = "demo" + secrets.token_hex(3)  # a new dynamic user each run
        self.shot_no = 0

    def say(self, msg):
        print(f"[browser {time.monotonic() - self.start:6.0f} s] {msg}", flush=True)

    def left(self):
        """One step waits at most STEP s: what is missing after that will
        not come (the slowest step seen, a kernel's start, took ~2 min)."""
        return min(STEP, max(10, self.deadline - time.monotonic()))

    def wait(self, cond, what):
        try:
            return WebDriverWait(self.driver, self.left(), poll_frequency=1).until(cond)
        except Exception as e:
            self.shot("timeout")
            body = self.driver.find_element(By.TAG_NAME, "body").text[:800]
            raise AssertionError(f"timed out waiting for {what}; page {self.driver.current_url!r}: "
                                 f"{body!r}") from e

    def shot(self, name):
        self.shot_no += 1
        path = os.path.join(self.args.shots, f"{self.args.release}-{self.shot_no}-{name}.png")
        if self.driver.save_screenshot(path):
            self.say(f"screenshot {os.path.basename(path)}")

    def wait_hub(self):
        """The hub answers once the guest is up and the hub started (TCG:
        minutes); before that the forwarded port refuses or resets."""
        url = f"{self.base}/hub/api/"
        while time.monotonic() < self.deadline:
            try:
                urllib.request.urlopen(url, timeout=10).close()
                self.say(f"the hub answers on {url}")
                return
            except OSError:
                time.sleep(3)
        raise AssertionError(f"the hub did not answer on {url} within {self.args.timeout} s")

    def open_browser(self):
        tmp = self.args.tmp
        home = os.path.join(tmp, "home")
        os.makedirs(home, exist_ok=True)
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox",  # root: the sandbox refuses it
                  "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
                  "--disable-background-networking", "--window-size=1400,900",
                  f"--user-data-dir={tmp}/profile"):
            opts.add_argument(a)
        service = Service("/usr/bin/chromedriver", log_path=os.path.join(tmp, "chromedriver.log"),
                          env=dict(os.environ, HOME=home, TMPDIR=tmp))
        self.driver = webdriver.Chrome(service=service, options=opts)
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TERMINAL_TAP})
        self.driver.set_page_load_timeout(600)
        self.say("chromium up (headless, native)")

    def login_and_start(self):
        """Log in through the form, land on the hub's home page, click
        'Start My Server' and wait for the single-user UI."""
        d = self.driver
        d.get(f"{self.base}/hub/login?next=%2Fhub%2Fhome")
        self.wait(lambda d: d.find_elements(By.ID, "username_input"), "the login form")
        d.find_element(By.ID, "username_input").send_keys(self.user)
        with open(self.args.password_file) as f:
            d.find_element(By.ID, "password_input").send_keys(f.read().strip())
        self.shot("login")
        d.find_element(By.ID, "login_submit").click()

        def start_button(d):
            b = [e for e in d.find_elements(By.ID, "start") if e.is_displayed()]
            return b[0] if b and "/hub/home" in d.current_url else False

        button = self.wait(start_button, "the hub's home page with 'Start My Server'")
        self.say(f"logged in as {self.user}: the hub's home page")
        self.shot("home")
        button.click()
        self.choose_profile()
        ui = "lab" if self.args.release == "trixie" else "tree"
        self.wait(lambda d: f"/user/{self.user}/{ui}" in d.current_url, f"/user/{self.user}/{ui}")
        self.say(f"server started: {d.current_url}")
        return ui

    def choose_profile(self):
        """The spawn form: click the profile, then Start; then the spawn
        page's progress messages (JupyterHub shows each event's text)."""
        d = self.driver
        css = f'#spawn_form input[name="profile"][value="{self.args.profile}"]'
        radio = self.wait(lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, css)
                                     if e.is_displayed()], "the profile form")[0]
        radio.click()
        assert radio.is_selected(), f"clicking profile {self.args.profile} did not select it"
        self.shot("profiles")
        d.find_element(By.CSS_SELECTOR, '#spawn_form [type="submit"]').click()
        self.say(f"profile {self.args.profile} chosen by clicking")

        def progress_log(d):  # every event's text, in the page's (folded) event log
            log = d.find_elements(By.ID, "progress-log")
            text = log[0].get_attribute("textContent") if log else ""
            return text if "created:" in text else False

        try:
            text = WebDriverWait(d, 120, poll_frequency=0.5).until(progress_log)
            d.execute_script("document.getElementById('progress-details').open = true")
            self.shot("progress")
            self.say(f"spawn page progress: {text[:200]!r}")
        except WebDriverException:  # the page moved on to the server first: not a failure
            self.say("the spawn page's progress was gone before it showed the cgroup step")

    def type_cell_and_run(self, editor):
        editor.click()
        webdriver.ActionChains(self.driver).send_keys(CELL).perform()
        webdriver.ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.ENTER) \
            .key_up(Keys.SHIFT).perform()

    def check_cell(self, text):
        m = CELL_OUT.search(text)
        assert m, f"the cell's output is not what it prints: {text!r}"
        mem, lang, uid = m.groups()
        assert mem == str(self.args.mem_bytes), (
            f"the server's memory.max seen from its notebook is {mem}; the demo configures "
            f"mem_limit {self.args.mem_bytes} bytes")
        assert lang == self.args.lang, (
            f"the server's LANG is {lang}; the hub was started with LANG={self.args.lang}")
        assert int(uid) != 0, "the server runs as root"
        self.say(f"cell output OK: memory.max {mem}, LANG {lang}, uid {uid}")
        return int(uid)

    def lab_launcher_card(self, category, label):
        def card(d):
            cards = [c for c in d.find_elements(By.CSS_SELECTOR, ".jp-LauncherCard")
                     if c.get_attribute("data-category") == category and label in c.text
                     and c.is_displayed()]
            return cards[0] if cards else False
        return self.wait(card, f"the launcher's {category} card '{label}'")

    def lab_notebook(self):
        d = self.driver
        self.lab_launcher_card("Notebook", "Python 3").click()
        self.say("new notebook from the launcher")
        editor = self.wait(lambda d: [e for e in d.find_elements(
            By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell .cm-content") if e.is_displayed()],
            "the notebook's first cell")[0]
        # Run once the kernel is idle: a cell run while it starts (a minute
        # under emulation) was lost when JupyterLab reconnected the session
        # (CI rehearsal: the prompt stayed "[ ]", the kernel idle, no output).
        self.wait(lambda d: d.execute_script("return document.body.innerText.includes('| Idle')"),
                  "the notebook's kernel to be idle")
        self.type_cell_and_run(editor)
        out = self.wait(lambda d: [e.text for e in d.find_elements(
            By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output")
            if "MEMORY_MAX=" in e.text], "the cell's output")
        self.shot("notebook-cell")
        return self.check_cell(out[0])

    def lab_terminal(self, uid):
        d = self.driver
        # A new launcher from the main area's '+' (leaving the page would
        # ask about the unsaved notebook).
        self.wait(lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, "#jp-main-dock-panel .lm-TabBar-addButton")
                             if e.is_displayed()], "the main area's '+' (new launcher)")[0].click()
        self.lab_launcher_card("Other", "Terminal").click()
        box = self.wait(lambda d: [e for e in d.find_elements(
            By.CSS_SELECTOR, ".jp-Terminal .xterm-helper-textarea")], "the terminal")[0]
        # The shell's prompt first: typed earlier, the keys could be lost.
        self.wait(lambda d: d.execute_script("return window.__cgspawnTerm").strip(),
                  "the terminal's prompt")
        box.send_keys("id" + Keys.ENTER)
        want = re.compile(rf"uid={uid}\(([^)]*)\)")
        found = self.wait(lambda d: want.search(d.execute_script("return window.__cgspawnTerm")),
                          f"`id` output with uid={uid}(NAME)")
        time.sleep(1)  # let xterm.js draw it for the screenshot
        self.shot("terminal-id")
        assert found.group(1) == self.user, (
            f"`id` in the terminal names {found.group(1)!r}, not the login name {self.user!r}")
        self.say(f"terminal OK: {found.group(0)}")

    @staticmethod
    def clicked(selector):
        """A wait condition: True once the element SELECTOR is shown and a
        click on it went through."""
        def click(d):
            for e in d.find_elements(By.CSS_SELECTOR, selector):
                if e.is_displayed() and e.is_enabled():
                    try:
                        e.click()
                        return True
                    except WebDriverException:  # not interactable yet, or covered
                        return False
            return False
        return click

    def classic_notebook(self):
        d = self.driver
        self.wait(lambda d: d.find_elements(By.ID, "notebook_list"), "the file list")
        tree = d.current_window_handle
        # The button is in the page's HTML before its scripts have drawn the
        # page (a blank page under emulation): click once it takes the click.
        self.wait(self.clicked("#new-buttons > button"), "the New button to take a click")
        self.shot("tree")
        self.wait(lambda d: [e for e in d.find_elements(By.CSS_SELECTOR, "#kernel-python3 a")
                             if e.is_displayed()], "New > Python 3")[0].click()
        self.wait(lambda d: len(d.window_handles) > 1, "the new notebook's tab")
        d.switch_to.window([h for h in d.window_handles if h != tree][0])
        self.say("new notebook from New > Python 3")
        self.wait(lambda d: d.execute_script(
            "return !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel"
            " && Jupyter.notebook.kernel.is_connected())"), "the notebook's kernel")
        self.type_cell_and_run(d.find_element(By.CSS_SELECTOR, "div.input_area"))
        out = self.wait(lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, "div.output_area pre")
                                   if "MEMORY_MAX=" in e.text], "the cell's output")
        self.shot("notebook-cell")
        self.check_cell(out[0])

    def run(self):
        self.wait_hub()
        self.open_browser()
        ui = self.login_and_start()
        if ui == "lab":
            self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-LauncherCard"), "JupyterLab's launcher")
            self.shot("lab")
            uid = self.lab_notebook()
            self.lab_terminal(uid)
        else:
            self.classic_notebook()
            self.say("no terminal step on Debian 12: its notebook 6.4.12 terminal page is broken "
                     "(Debian packaging: static/terminal/js/main.min.js, 'exports is not defined')")

    def quit(self):
        if self.driver is not None:
            try:
                self.driver.quit()  # ends chromium and chromedriver
            except Exception as e:  # the browser may be gone already
                self.say(f"driver.quit: {e}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("--url", "--release", "--password-file", "--lang", "--shots", "--tmp", "--hub-log"):
        p.add_argument(name, required=True)
    p.add_argument("--mem-bytes", type=int, required=True)
    p.add_argument("--profile", required=True, help="the demo profile to choose on the spawn form")
    p.add_argument("--timeout", type=int, default=2400)
    args = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so quit() runs
    check = Check(args)
    try:
        check.run()
        check.say("PASS")
        return 0
    except AssertionError as e:
        check.say(f"FAIL: {e}")
        with open(args.hub_log, errors="replace") as f:
            print("----- the hub's log, last 40 lines\n" + "".join(f.readlines()[-40:]))
        return 1
    finally:
        check.quit()


if __name__ == "__main__":
    sys.exit(main())
