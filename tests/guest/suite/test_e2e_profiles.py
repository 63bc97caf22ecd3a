"""End to end: resource profiles (issue 18) through a real hub. alice (group
staff) is offered both profiles on the spawn page, starts "large" through
the REST API and gets its memory.max; bob, in no group, asking for "large"
is refused with the choices named (the progress stream's last event, where
the spawn page shows it), and nothing of his starts."""
import http.cookiejar
import json
import re
import urllib.parse
import urllib.request

import pytest

from e2e.hub import PROXY, SLOW, read, unit_cgroup, wait_for
from test_e2e_hub import TIMEOUT, hubs  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(TIMEOUT)

PROFILES = """
    c.JupyterHub.load_groups = {"staff": ["alice"]}
    c.CgroupSpawner.profiles = [
        {"name": "small", "display_name": "Small", "description": "256 MiB",
         "default": True, "options": {"mem_limit": "256M"}},
        {"name": "large", "display_name": "Large", "description": "768 MiB",
         "groups": ["staff"], "options": {"mem_limit": "768M", "tasks_limit": 300}},
    ]
"""


def logged_in(user):
    """A browser's session of USER: the spawn page takes a login cookie, not
    an API token (the test hub's DummyAuthenticator takes any password)."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{PROXY}/hub/login", timeout=SLOW).read().decode()
    form = {"username": user, "password": "e2e"}
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page)
    if xsrf:
        form["_xsrf"] = xsrf.group(1)
    opener.open(f"{PROXY}/hub/login", urllib.parse.urlencode(form).encode(), timeout=SLOW)
    return opener


def last_progress_event(hub, user):
    """The last event of GET .../server/progress (an event stream)."""
    status, raw = hub.request("GET", f"{PROXY}/hub/api/users/{user}/server/progress", timeout=SLOW)
    assert status == 200, f"progress of {user} -> {status}: {raw[:300]}"
    events = [json.loads(line[len(b"data:"):]) for line in raw.splitlines()
              if line.startswith(b"data:")]
    assert events, raw[:300]
    return events[-1]


def test_e2e_profiles_offered_chosen_and_refused(hubs):  # noqa: F811
    hub = hubs.new()
    with hubs.diagnose():
        hub.write_config(mem_limit=None, extra=PROFILES)
        hub.install_units()
        hub.start()
        # alice's spawn page: a form with both profiles, the default checked
        page = logged_in("alice").open(f"{PROXY}/hub/spawn", timeout=SLOW).read().decode()
        assert 'value="small" checked' in page and 'value="large"' in page, page[-2000:]
        # alice chooses "large" through the REST API
        status, body = hub.api("POST", "/hub/api/users/alice/server", {"profile": "large"},
                               timeout=SLOW)
        assert status in (201, 202), f"POST alice's server -> {status}: {body}"
        hub.wait_server("alice", ready=True)
        path = unit_cgroup("jupyter-alice-singleuser")
        assert read(f"{path}/memory.max") == str(768 << 20)
        assert read(f"{path}/pids.max") == "300"
        # bob may not: refused, the choices named, nothing started
        status, body = hub.api("POST", "/hub/api/users/bob/server", {"profile": "large"},
                               timeout=SLOW)
        assert status not in (201, 202), f"bob's 'large' was accepted: {status} {body}"
        event = wait_for(lambda: last_progress_event(hub, "bob"), 60, "bob's progress")
        assert event.get("failed"), event
        assert "profile 'large' is not one you may use: choose one of 'small'" in event["message"]
        hub.wait_server("bob", ready=False)
        assert hub.user_model("bob")["servers"] == {}
        hub.stop_server("alice")
