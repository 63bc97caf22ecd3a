#!/usr/bin/env bash
# check-kernel.sh and `cgspawn check`: everything below the cgroup2 mount is
# judged by cgspawn check alone, and check-kernel.sh reports its findings
# (ids unchanged) in its own text and JSON. The first cases run the REAL
# cgspawn (argument 2) in a throwaway cgroup on this host; a fake cgspawn
# then covers what this host cannot produce (harness: lib.sh).
# shellcheck source=lib.sh
source "$(dirname -- "$0")/lib.sh"

MOUNT=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
SANDBOX=''
cleanup_sandbox() {
  [[ -n $SANDBOX && -d $SANDBOX ]] || return 0
  find "$SANDBOX" -depth -type d -exec rmdir {} + 2>/dev/null
  [[ ! -d $SANDBOX ]] || echo "test_live.sh: could not remove $SANDBOX" >&2
}
trap 'cleanup_sandbox; rm -rf -- "$T"' EXIT

# real ARGS...: the script unhooked against the real cgspawn, text and --json.
real() {
  F=$T/real
  mkdir -p "$F"
  OUT=$(env -u KERNEL_CHECK_PROC -u KERNEL_CHECK_ROOT -u KERNEL_CHECK_CONFIG -u CGSPAWN \
    "$SCRIPT" --cgspawn "$REAL_CGSPAWN" "$@" 2>"$F/stderr")
  RC=$?
  ERR=$(<"$F/stderr")
  JOUT=$(env -u KERNEL_CHECK_PROC -u KERNEL_CHECK_ROOT -u KERNEL_CHECK_CONFIG -u CGSPAWN \
    "$SCRIPT" --cgspawn "$REAL_CGSPAWN" --json "$@" 2>/dev/null)
  JRC=$?
  check_json
}

# same_as_cgspawn ARGS...: check-kernel.sh's findings after "cgroup checks"
# are exactly (id, status, check) `cgspawn check --json ARGS`'s.
same_as_cgspawn() {
  local own msg
  own=$("$REAL_CGSPAWN" check --json "$@" 2>/dev/null)
  msg=$("$PY" -c '
import json, sys
mine, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ids = [c["id"] for c in mine["checks"]]
live = mine["checks"][ids.index("cgspawn.check") + 1:]
key = lambda cs: [(c["id"], c["status"], c["check"]) for c in cs]
if key(live) != key(theirs["checks"]):
    print("check-kernel.sh:", key(live), "\ncgspawn check:  ", key(theirs["checks"]))
if mine["cgroup"] != theirs["cgroup"]:
    print("cgroup", mine["cgroup"], "!=", theirs["cgroup"])
' "$JOUT" "$own")
  [[ -z $msg ]] || bad "check-kernel.sh's live findings differ from cgspawn check's:" "$msg"
}

if [[ -n $REAL_CGSPAWN && -x $REAL_CGSPAWN && $(id -u) == 0 && -n $MOUNT ]]; then
  # Named as tests/support/owner.hpp names sandboxes (PID-START), so the
  # ctest sweep removes it if this test is killed.
  read -r stat </proc/$$/stat
  read -r -a fields <<<"${stat##*) }"
  SANDBOX=$MOUNT/cgspawn-test-$$-${fields[19]}-kernel-check
  mkdir "$SANDBOX"

  begin "real cgspawn, before init: its units FAIL is the script's, exit 1"
  real --cgroup "$SANDBOX"
  expect_rc 1
  expect_line "ok   cgroup checks: by $REAL_CGSPAWN check" "ok   cgroup root $SANDBOX"
  grep -q "^FAIL units directory: .*run \`cgspawn init --cgroup-root $SANDBOX\`" <<<"$OUT" ||
    bad "no FAIL units line naming cgspawn init"
  same_as_cgspawn --cgroup-root "$SANDBOX"
  end

  begin "real cgspawn, after init: every live finding with its id, exactly cgspawn check's"
  "$REAL_CGSPAWN" init --cgroup-root "$SANDBOX" >/dev/null 2>&1 || bad "cgspawn init failed"
  real --cgroup "$SANDBOX"
  [[ $RC == 0 || $RC == 1 ]] || bad "exit status $RC"
  expect_line "ok   cgroup checks: by $REAL_CGSPAWN check" "ok   create a unit cgroup" \
    "ok   no_new_privs" "ok   seccomp filter (keyctl answered EPERM)"
  same_as_cgspawn --cgroup-root "$SANDBOX"
  ids=$("$PY" -c 'import json, sys; print(" ".join(c["id"] for c in json.loads(sys.argv[1])["checks"]))' "$JOUT")
  for id in kernel.config cgroup.mode systemd.pid1 cgspawn.check root delegation units \
    controller.memory controller.cpu controller.pids controller.io units.create \
    limit.memory.max limit.memory.low limit.memory.swap.max limit.cpu.max limit.cpu.weight \
    limit.pids.max isolation.cgroup_move isolation.mount_namespace isolation.no_new_privs \
    isolation.seccomp; do
    [[ " $ids " == *" $id "* ]] || bad "no finding with id $id (ids: $ids)"
  done
  [[ -z $(find "$SANDBOX/users" -mindepth 1 -type d) ]] || bad "a probe cgroup was left behind"
  end

  begin "real cgspawn, --cgroup missing: cgspawn check cannot run, exit 2 with its error"
  real --cgroup "$SANDBOX/nope"
  expect_rc 2
  expect_stderr "check-kernel.sh: cgspawn check could not run: "
  expect_stderr "$SANDBOX/nope"
  grep -q '^FAIL find the delegated cgroup: ' <<<"$OUT" || bad "no FAIL root line"
  end
  cleanup_sandbox
else
  echo "skip  real cgspawn cases (need root, a cgroup2 mount and the cgspawn binary as argument 2)"
fi

# ---------------------------------------------------------------- fake cgspawn
L_LIMIT_FAIL='{"check": "limit memory.max", "fix": "run kernel-check/check-kernel.sh for the cause", "id": "limit.memory.max", "message": "not offered by the kernel for units; memory.max cannot be enforced", "status": "fail"}'

begin "fake: a FAIL of cgspawn check is the script's FAIL, exit 1, id kept"
fixture
live_doc fail 1 "$LIVE_ROOT_OK" "$L_LIMIT_FAIL"
run
expect_rc 1
expect_line "FAIL limit memory.max: not offered by the kernel for units; memory.max cannot be enforced; run kernel-check/check-kernel.sh for the cause" \
  "-- fail: 1 FAIL, 0 warn (cgroup $D)"
grep -Fq '{"id": "limit.memory.max", "status": "fail", ' <<<"$JOUT" || bad "JSON lacks the finding with its id"
[[ $(<"$F/live.args") == "check --json" ]] || bad "cgspawn ran with: $(<"$F/live.args")"
end

begin "fake: --cgroup DIR is cgspawn check's --cgroup-root DIR"
fixture
run --cgroup=/some/dir
expect_rc 0
[[ $(<"$F/live.args") == "check --json --cgroup-root /some/dir" ]] || bad "cgspawn ran with: $(<"$F/live.args")"
end

begin "fake: cgspawn check exit 2: its findings, its error, exit 2"
fixture
live_doc error 2 '{"check": "find the delegated cgroup", "fix": "", "id": "root", "message": "no cgroup2", "status": "fail"}'
sed -i 's/^  "exit_status"/  "error": "no cgroup2 here",\n  "exit_status"/' "$F/live.json"
run
expect_rc 2
expect_line "FAIL find the delegated cgroup: no cgroup2"
expect_stderr "check-kernel.sh: cgspawn check could not run: no cgroup2 here"
grep -Fq '"error": "cgspawn check could not run: no cgroup2 here"' <<<"$JOUT" || bad "JSON lacks the error"
end

begin "fake: cgspawn prints no report: exit 2 with its stderr"
fixture
echo 'Segmentation fault' >"$F/live.json"
echo 139 >"$F/live.rc"
run
expect_rc 2
expect_stderr "exited 139 without its JSON report: fake cgspawn stderr"
end

begin "fake: a report that does not parse: exit 2"
fixture
printf '{"checks": [{"id": "x", "status": "ok", "check": "c", "message": "", "fix": ""}\n' >"$F/live.json"
run
expect_rc 2
expect_stderr "cannot parse the JSON report of"
end

begin "fake: CGSPAWN set but empty: the live checks are skipped (warn), exit 0"
fixture
HOOK_CGSPAWN=''
run --cgroup /x
expect_rc 0
expect_line "warn cgroup checks: skipped: cgspawn is not installed, so the cgroup root, its delegation, the controllers, the limits and the isolation were not checked; install cgspawn and run this again (or pass --cgspawn PATH), or run \`cgspawn check\` once it is installed" \
  "-- warn: 0 FAIL, 1 warn (cgroup /x)"
end

begin "fake: the cgspawn beside the script is found (an install puts both in sbin)"
fixture
mkdir -p "$F/usr/share/cgspawn/kernel-check" "$F/usr/sbin"
cp "$SCRIPT" "$F/usr/sbin/cgspawn-kernel-check"
cp -r "$(dirname -- "$SCRIPT")/lib" "$F/usr/share/cgspawn/kernel-check/lib"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$F/bin/cgspawn" >"$F/usr/sbin/cgspawn"
chmod +x "$F/usr/sbin/cgspawn"
OUT=$(env -u CGSPAWN KERNEL_CHECK_PROC="$F/proc" KERNEL_CHECK_CONFIG="$F/config" \
  KERNEL_CHECK_SYSTEMCTL="$F/bin/systemctl" "$F/usr/sbin/cgspawn-kernel-check" 2>&1)
RC=$?
ERR=''
expect_rc 0
expect_line "ok   cgroup checks: by $F/usr/sbin/cgspawn check" "ok   cgroup root $D"
end

begin "fake: JSON strings survive the round trip (quote, backslash, tab, \\u0001, brackets, UTF-8)"
fixture
live_doc ok 0 '{"check": "q\"b\\s\tc\u0001 [x], {y}: z", "fix": "é/\/", "id": "root", "message": "", "status": "ok"}'
run
expect_rc 0
expect_line "$(printf 'ok   q"b\\s\tc\001 [x], {y}: z; é//')"
grep -Fq '"check": "q\"b\\s\tc\u0001 [x], {y}: z", "message": "", "fix": "é//"' <<<"$JOUT" ||
  bad "JSON does not carry the escaped strings"
end

finish
