# shellcheck shell=bash
# The harness of the kernel-check tests (sourced by test_*.sh).
#
# Usage of each: test_X.sh [PATH/TO/check-kernel.sh [PATH/TO/cgspawn]]
#
# Every case builds a fake host in a temporary directory (kernel config,
# /proc files, a fake systemctl, and a fake cgspawn whose `check --json`
# prints $F/live.json), points the script at it through its KERNEL_CHECK_*
# hooks and CGSPAWN, and asserts exact output lines and the exit status.
# Every run is repeated with --json, which must be valid JSON
# (/usr/bin/python3 -m json.tool) and carry the same checks, verdicts and
# exit status. test_live.sh runs the real cgspawn. Each file prints
# "N passed, M failed" (finish) and exits 1 if anything failed.

set -u
export LC_ALL=C

SCRIPT=$(readlink -f -- "${1:-$(dirname -- "$0")/../../kernel-check/check-kernel.sh}")
REAL_CGSPAWN=${2:-}
PY=/usr/bin/python3
[[ -x $SCRIPT ]] || {
  echo "test_check_kernel.sh: $SCRIPT is not executable" >&2
  exit 2
}
[[ -x $PY ]] || {
  echo "test_check_kernel.sh: $PY is needed to validate --json" >&2
  exit 2
}

T=$(mktemp -d /tmp/kernel-check-test.XXXXXX)
trap 'rm -rf -- "$T"' EXIT
chmod 755 "$T" # the non-root cases read the fake trees as nobody

passed=0
failed=0
CASE=''
case_ok=1
n_fixture=0

# ---------------------------------------------------------------- assertions
begin() {
  CASE=$1
  case_ok=1
}

bad() {
  if ((case_ok)); then
    printf '\n[%s] FAILED\n' "$CASE"
  fi
  case_ok=0
  printf '  %s\n' "$@"
}

end() {
  if ((case_ok)); then
    passed=$((passed + 1))
    printf 'pass  %s\n' "$CASE"
  else
    failed=$((failed + 1))
    printf '  --- stdout (exit %s):\n%s\n  --- stderr:\n%s\n' "$RC" "$OUT" "$ERR" | sed 's/^/  | /'
  fi
}

expect_rc() {
  [[ $RC == "$1" ]] || bad "exit status $RC, expected $1"
}

# expect_line LINE...: each LINE appears exactly as a whole output line.
expect_line() {
  local l
  for l in "$@"; do
    grep -Fxq -- "$l" <<<"$OUT" || bad "missing line: $l"
  done
}

# expect_no_line REGEX: no output line matches REGEX.
expect_no_line() {
  local m
  m=$(grep -E -- "$1" <<<"$OUT")
  [[ -z $m ]] || bad "unexpected line(s) matching /$1/: $m"
}

expect_output() {
  [[ $OUT == "$1" ]] || bad "whole output differs; expected:" "$1"
}

expect_stderr() {
  grep -Fq -- "$1" <<<"$ERR" || bad "stderr lacks: $1"
}

# ---------------------------------------------------------------- fixtures
CONFIG_ALL_Y='CONFIG_CGROUPS=y
CONFIG_MEMCG=y
CONFIG_MEMCG_SWAP=y
CONFIG_BLK_CGROUP=y
CONFIG_CGROUP_SCHED=y
CONFIG_FAIR_GROUP_SCHED=y
CONFIG_CFS_BANDWIDTH=y
CONFIG_CGROUP_PIDS=y
CONFIG_NAMESPACES=y
CONFIG_USER_NS=y
CONFIG_SECCOMP=y
CONFIG_SECCOMP_FILTER=y
CONFIG_SWAP=y
CONFIG_TMPFS=y'

MI_SYSFS='22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw'
MI_UNIFIED="$MI_SYSFS
27 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:8 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot"
MI_TMPFS='31 22 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755'
MI_V1='32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd'
MI_HYBRID="$MI_SYSFS
$MI_TMPFS
$MI_V1
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw"
MI_LEGACY="$MI_SYSFS
$MI_TMPFS
$MI_V1"

D=/sys/fs/cgroup/system.slice/hub.service # the delegated dir as the kernel names it

# live_doc VERDICT STATUS [FINDING-JSON...]: what the fake cgspawn prints
# (cgspawn check --json's shape, pretty-printed as cgspawn does) and exits.
live_doc() {
  local verdict=$1 status=$2 sep='' f
  shift 2
  {
    printf '{\n  "cgroup": "%s",\n  "checks": [' "$D"
    for f in "$@"; do
      printf '%s\n    %s' "$sep" "$f"
      sep=,
    done
    printf '\n  ],\n  "exit_status": %d,\n  "verdict": "%s"\n}\n' "$status" "$verdict"
  } >"$F/live.json"
  echo "$status" >"$F/live.rc"
}
LIVE_ROOT_OK='{"check": "cgroup root '$D'", "fix": "", "id": "root", "message": "", "status": "ok"}'
LIVE_DELEG_OK='{"check": "delegated by systemd (trusted.delegate on '$D')", "fix": "", "id": "delegation", "message": "", "status": "ok"}'

# fixture [unified|hybrid]: a healthy host: every option =y, systemd 252 as
# PID 1, and a fake cgspawn whose check finds $D delegated. Sets F (the
# fixture directory) and the run settings (USE_CONFIG, CONFIG_PATH, HOOK_CGSPAWN).
fixture() {
  local mode=${1:-unified}
  n_fixture=$((n_fixture + 1))
  F=$T/f$n_fixture
  mkdir -p "$F/proc/self" "$F/proc/1" "$F/root" "$F/bin"
  printf '%s\n' "$CONFIG_ALL_Y" >"$F/config"
  echo systemd >"$F/proc/1/comm"
  echo 'systemd 252 (252.39-1~deb12u2)' >"$F/systemd-version"
  cat >"$F/bin/systemctl" <<'EOF_SH'
#!/bin/sh
[ "$1" = --version ] || exit 1
cat "$(dirname "$0")/../systemd-version"
EOF_SH
  # The fake cgspawn records its arguments and prints live.json.
  cat >"$F/bin/cgspawn" <<'EOF_SH'
#!/bin/sh
d=$(dirname "$0")/..
printf '%s\n' "$*" >"$d/live.args"
cat "$d/live.json"
echo "fake cgspawn stderr" >&2
exit "$(cat "$d/live.rc")"
EOF_SH
  chmod +x "$F/bin/systemctl" "$F/bin/cgspawn"
  live_doc ok 0 "$LIVE_ROOT_OK" "$LIVE_DELEG_OK"
  case $mode in
    unified) printf '%s\n' "$MI_UNIFIED" >"$F/proc/self/mountinfo" ;;
    hybrid) printf '%s\n' "$MI_HYBRID" >"$F/proc/self/mountinfo" ;;
  esac
  USE_CONFIG=1
  CONFIG_PATH=$F/config
  HOOK_CGSPAWN=$F/bin/cgspawn
}

# set_opt NAME y|m|n|absent: rewrite NAME in the fake config.
set_opt() {
  local name=$1 v=$2 rest
  rest=$(grep -v -E "^$name=|^# $name is not set" "$F/config")
  printf '%s\n' "$rest" >"$F/config"
  case $v in
    y | m) echo "$name=$v" >>"$F/config" ;;
    n) echo "# $name is not set" >>"$F/config" ;;
    absent) ;;
  esac
}

# check_json: the --json run is valid JSON and says what the text run said.
check_json() {
  local jf=$F/out.json tf=$F/out.txt msg
  printf '%s\n' "$JOUT" >"$jf"
  printf '%s\n' "$OUT" >"$tf"
  if ! "$PY" -m json.tool <"$jf" >/dev/null 2>"$F/json.err"; then
    bad "--json output is not valid JSON: $(cat "$F/json.err")" "$JOUT"
    return
  fi
  msg=$("$PY" - "$jf" "$tf" "$RC" "$JRC" "${EXPECT_CGROUP-}" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().split("\n")[:-1]
rc, jrc = int(sys.argv[3]), int(sys.argv[4])
problems = []
if jrc != rc:
    problems.append(f"--json exit status {jrc}, text run {rc}")
if doc.get("exit_status") != rc:
    problems.append(f"exit_status {doc.get('exit_status')} != {rc}")
if rc == 2:
    if doc.get("verdict") != "error" or not doc.get("error"):
        problems.append("exit 2 without verdict 'error' and an error message")
if rc != 2 or doc.get("checks"):
    lines = []
    tag = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    for c in doc["checks"]:
        if set(c) != {"id", "status", "check", "message", "fix"}:
            problems.append(f"check with keys {sorted(c)}")
            continue
        line = tag[c["status"]] + " " + c["check"]
        if c["message"]:
            line += ": " + c["message"]
        if c["fix"]:
            line += "; " + c["fix"]
        lines.append(line)
    want = [l for l in text if not l.startswith("-- ")]
    if lines != want:
        problems.append("checks differ from the text lines:\n" + "\n".join(
            f"    json: {a!r}\n    text: {b!r}" for a, b in zip(lines + [""] * len(want), want + [""] * len(lines)) if a != b))
    st = [c["status"] for c in doc["checks"]]
    verdict = "fail" if "fail" in st else "warn" if "warn" in st else "ok"
    ids = [c["id"] for c in doc["checks"]]
    if len(set(ids)) != len(ids) or not all(ids):
        problems.append(f"ids missing or repeated: {ids}")
    if rc != 2 and doc.get("verdict") != verdict:
        problems.append(f"verdict {doc.get('verdict')!r}, checks say {verdict!r}")
    if rc != 2 and (verdict == "fail") != (rc == 1):
        problems.append(f"verdict {verdict} with exit status {rc}")
    summary = [l for l in text if l.startswith("-- ")]
    if rc != 2 and summary and not summary[0].startswith(f"-- {verdict}: "):
        problems.append(f"text summary {summary[0]!r} disagrees with verdict {verdict}")
    if len(sys.argv) > 5 and sys.argv[5] and doc.get("cgroup") != sys.argv[5]:
        problems.append(f"cgroup {doc.get('cgroup')!r}, expected {sys.argv[5]!r}")
print("\n".join(problems))
EOF
  )
  [[ -z $msg ]] || bad "--json disagrees with the text output:" "$msg"
}

# run [ARGS...]: run the script against the fixture, text and --json.
run() {
  local envs=(
    "KERNEL_CHECK_PROC=$F/proc"
    "KERNEL_CHECK_ROOT=$F/root"
    "KERNEL_CHECK_UNAME_R=6.1.0-test"
    "KERNEL_CHECK_SYSTEMCTL=$F/bin/systemctl"
    "CGSPAWN=$HOOK_CGSPAWN"
  )
  ((USE_CONFIG)) && envs+=("KERNEL_CHECK_CONFIG=$CONFIG_PATH")
  local pre=(env -u KERNEL_CHECK_CONFIG)
  OUT=$("${pre[@]}" "${envs[@]}" "$SCRIPT" "$@" 2>"$F/stderr")
  RC=$?
  ERR=$(<"$F/stderr")
  JOUT=$("${pre[@]}" "${envs[@]}" "$SCRIPT" --json "$@" 2>/dev/null)
  JRC=$?
  check_json
}

# ---------------------------------------------------------------- expected text
CONFIG_OK_LINES='ok   CONFIG_CGROUPS: =y
ok   CONFIG_MEMCG: =y
ok   CONFIG_CGROUP_SCHED: =y
ok   CONFIG_CFS_BANDWIDTH: =y
ok   CONFIG_CGROUP_PIDS: =y
ok   CONFIG_SECCOMP_FILTER: =y
ok   CONFIG_TMPFS: =y
ok   CONFIG_NAMESPACES: =y'
REBUILD='rebuild the kernel with'
HYBRID_FIX='boot with systemd.unified_cgroup_hierarchy=1 on the kernel command line (add cgroup_no_v1=all where v1 hierarchies still get mounted), or use a distribution that defaults to the unified hierarchy'
V1_NOTE='(memory is bound to cgroup v1 at /sys/fs/cgroup/memory, cpu is bound to cgroup v1 at /sys/fs/cgroup/cpu, pids is bound to cgroup v1 at /sys/fs/cgroup/pids)'
L_MODE_UNIFIED='ok   cgroup mode: unified (cgroup2 at /sys/fs/cgroup)'
L_SYSTEMD='ok   systemd as PID 1'
L_LIVE_RAN='ok   cgroup checks: by $F/bin/cgspawn check' # eval'd: $F changes per fixture
L_LIVE_FOUND="ok   cgroup root $D
ok   delegated by systemd (trusted.delegate on $D)"

# finish: the count line; the exit status of the test file.
finish() {
  printf '%d passed, %d failed\n' "$passed" "$failed"
  ((failed == 0))
}
