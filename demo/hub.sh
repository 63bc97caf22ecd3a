# shellcheck shell=bash
# The demo hub on a systemd host, sourced (bash) by demo.sh when the machine
# itself has systemd and cgroup v2, and by demo/guest-driver.sh inside the
# guest otherwise: both run exactly this code.
#
#   demo_systemd_host                  true if PID 1 is systemd on unified cgroup2
#   demo_free_port                     stop Debian's own jupyterhub.service if it
#                                      holds port 8000 (apt-get starts it)
#   demo_hub_start BUNDLE STATE BIND [SLOW_CONFIG]
#                                      start the hub as a transient delegated unit
#   demo_hub_wait TIMEOUT              until the hub's API answers on 127.0.0.1:
#                                      $demo_port (1 if it fails)
#   demo_hub_stop                      stop it (servers and all); restart what
#                                      demo_free_port stopped
# BUNDLE is what tests/guest/lib.sh's guest_payload lays out (bin/cgspawn,
# site/ with the spawner, demo/); STATE a root-only directory holding the
# password file, the hub's database and cookie secret.

demo_unit=cgspawn-demo.service
# The hub's public port (demo.sh --port; the guest reads it from the bundle).
demo_port=${demo_port:-8000}
# The hub's locale, which JupyterHub passes on to every server (env_keep):
# set here so it does not depend on the machine's defaults, and so the
# browser check (tests/browser/) knows what the servers must see.
demo_lang=C.UTF-8
# systemd-run puts a transient service in system.slice.
demo_cgroup=/sys/fs/cgroup/system.slice/$demo_unit
demo_stopped_debian_hub=0

demo_log() { printf 'demo: %s\n' "$*"; }

demo_systemd_host() {
    [[ -d /run/systemd/system && $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ]]
}

demo_free_port() {
    if systemctl is-active -q jupyterhub.service 2>/dev/null; then
        demo_log "stopping Debian's jupyterhub.service, which listens on port 8000 (restarted when the demo ends)"
        systemctl stop jupyterhub.service
        demo_stopped_debian_hub=1
    fi
}

demo_hub_start() {
    local bundle=$1 state=$2 bind=$3 slow=${4:-}
    systemctl reset-failed "$demo_unit" 2>/dev/null || true
    if systemctl is-active -q "$demo_unit"; then
        demo_log "error: $demo_unit already runs (another demo?); stop it with: systemctl stop $demo_unit"
        return 1
    fi
    # One transient unit with Delegate=yes owns the hub and its servers:
    # `cgspawn init` moves the hub into D/hub and the servers go to D/users.
    # (A production install keeps the servers in their own unit, so the hub
    # can restart without them: spawner/examples/ and README "Hub restarts".
    # For a demo, stopping the one unit stopping everything is the point.)
    # shellcheck disable=SC2016
    systemd-run --quiet --unit="$demo_unit" --description="CgroupSpawner demo hub" \
        -p Delegate=yes -p TimeoutStopSec=120 --working-directory="$state" \
        --setenv=PYTHONPATH="$bundle/site" --setenv=LANG="$demo_lang" \
        --setenv=CGSPAWN_DEMO_STATE="$state" \
        --setenv=CGSPAWN_DEMO_BIND="$bind" \
        --setenv=CGSPAWN_DEMO_LAUNCHER="$bundle/bin/cgspawn" \
        --setenv=CGSPAWN_DEMO_CGROUP="$demo_cgroup" \
        --setenv=CGSPAWN_DEMO_ACCOUNTS="${CGSPAWN_DEMO_ACCOUNTS:-}" \
        --setenv=CGSPAWN_DEMO_SLOW_CONFIG="$slow" \
        /bin/sh -c '"$0" init --cgroup-root "$1" && exec /usr/bin/jupyterhub -f "$2"' \
        "$bundle/bin/cgspawn" "$demo_cgroup" "$bundle/demo/jupyterhub_config.py"
}

demo_hub_wait() {
    local timeout=$1 start=$SECONDS
    while ((SECONDS - start < timeout)); do
        if ! systemctl is-active -q "$demo_unit"; then
            demo_log "error: the hub stopped; its last log lines:"
            journalctl -u "$demo_unit" -n 40 --no-pager -o cat | sed 's/^/demo: | /'
            return 1
        fi
        /usr/bin/python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=10)' \
            "http://127.0.0.1:$demo_port/hub/api/" 2>/dev/null && return 0
        sleep 3
    done
    demo_log "error: the hub did not answer within ${timeout} s; its last log lines:"
    journalctl -u "$demo_unit" -n 40 --no-pager -o cat | sed 's/^/demo: | /'
    return 1
}

demo_hub_stop() {
    if systemctl is-active -q "$demo_unit" 2>/dev/null; then
        demo_log "stopping the hub and every server ($demo_unit)"
        systemctl stop "$demo_unit" || true
    fi
    systemctl reset-failed "$demo_unit" 2>/dev/null || true
    if ((demo_stopped_debian_hub)); then
        systemctl start jupyterhub.service || true
        demo_stopped_debian_hub=0
    fi
}
