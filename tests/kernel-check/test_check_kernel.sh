#!/usr/bin/env bash
# Tests for kernel-check/check-kernel.sh.
#
# Usage: test_check_kernel.sh [PATH/TO/check-kernel.sh]
#
# Every case builds a fake host in a temporary directory (kernel config,
# /proc files, a cgroup tree, fake systemctl and getfattr), points the
# script at it through its KERNEL_CHECK_* test hooks, and asserts exact
# output lines and the exit status. Every run is repeated with --json, which
# must be valid JSON (/usr/bin/python3 -m json.tool) and carry the same
# checks, verdicts and exit status. The last case runs the script unhooked on
# this host. Prints "N passed, M failed"; exits 1 if anything failed.

set -u
export LC_ALL=C

SCRIPT=$(readlink -f -- "${1:-$(dirname -- "$0")/../../kernel-check/check-kernel.sh}")
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

ALL_CTRL='cpuset cpu io memory hugetlb pids rdma misc'
D_CTRL='cpu io memory pids'
D=/sys/fs/cgroup/system.slice/hub.service # the delegated dir as the kernel names it

# mkcg DIR CONTROLLERS SUBTREE_CONTROL [PID...]: a fake cgroup directory.
# Interface files of a controller appear when the parent enables it, as in
# the kernel; mkcg adds memory.max/memory.swap.max when CONTROLLERS has memory.
mkcg() {
  local dir=$1 ctrl=$2 sub=$3
  shift 3
  mkdir -p -- "$dir"
  printf '%s\n' "$ctrl" >"$dir/cgroup.controllers"
  printf '%s\n' "$sub" >"$dir/cgroup.subtree_control"
  : >"$dir/cgroup.procs"
  : >"$dir/cgroup.threads"
  local p
  for p in "$@"; do printf '%s\n' "$p" >>"$dir/cgroup.procs"; done
  if [[ " $ctrl " == *" memory "* ]]; then
    echo max >"$dir/memory.max"
    echo max >"$dir/memory.swap.max"
  fi
}

# fixture [unified|hybrid]: a healthy host: every option =y, systemd 252 as
# PID 1, the hub at $D/hub with $D delegated (trusted.delegate=1), the
# caller root. Sets F (the fixture directory), CG (where $D lives), and the
# run settings (USE_CONFIG, CONFIG_PATH, HOOK_UID, HOOK_GETFATTR, AS_NOBODY).
fixture() {
  local mode=${1:-unified} cgmount
  n_fixture=$((n_fixture + 1))
  F=$T/f$n_fixture
  mkdir -p "$F/proc/self" "$F/proc/1" "$F/root" "$F/bin"
  printf '%s\n' "$CONFIG_ALL_Y" >"$F/config"
  echo systemd >"$F/proc/1/comm"
  echo '0::/system.slice/hub.service/hub' >"$F/proc/self/cgroup"
  echo 'systemd 252 (252.39-1~deb12u2)' >"$F/systemd-version"
  cat >"$F/bin/systemctl" <<'EOF'
#!/bin/sh
[ "$1" = --version ] || exit 1
cat "$(dirname "$0")/../systemd-version"
EOF
  # getfattr --absolute-names --only-values -n NAME -- PATH, reading the
  # value from PATH/.xattr.NAME.
  cat >"$F/bin/getfattr" <<'EOF'
#!/bin/sh
name=''
while [ $# -gt 1 ]; do
  case $1 in -n) name=$2; shift ;; esac
  shift
done
[ -f "$1/.xattr.$name" ] || { echo "$1: $name: No such attribute" >&2; exit 1; }
cat "$1/.xattr.$name"
EOF
  chmod +x "$F/bin/systemctl" "$F/bin/getfattr"
  case $mode in
    unified)
      printf '%s\n' "$MI_UNIFIED" >"$F/proc/self/mountinfo"
      cgmount=$F/root/sys/fs/cgroup
      ;;
    hybrid)
      printf '%s\n' "$MI_HYBRID" >"$F/proc/self/mountinfo"
      cgmount=$F/root/sys/fs/cgroup/unified
      ;;
  esac
  CGROOT=$cgmount
  mkcg "$cgmount" "$ALL_CTRL" "$D_CTRL" 1
  rm "$cgmount"/memory.* # the root cgroup has no memory.max
  mkcg "$cgmount/system.slice" "$D_CTRL" "$D_CTRL"
  CG=$cgmount/system.slice/hub.service
  mkcg "$CG" "$D_CTRL" "$D_CTRL"
  printf 1 >"$CG/.xattr.trusted.delegate"
  mkcg "$CG/hub" "$D_CTRL" '' 4242 4243
  mkcg "$CG/users" "$D_CTRL" "$D_CTRL"
  USE_CONFIG=1
  CONFIG_PATH=$F/config
  HOOK_UID=0
  HOOK_GETFATTR=$F/bin/getfattr
  AS_NOBODY=0
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
else:
    lines = []
    tag = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}
    for c in doc["checks"]:
        if set(c) != {"status", "check", "message", "fix"}:
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
    if doc.get("verdict") != verdict:
        problems.append(f"verdict {doc.get('verdict')!r}, checks say {verdict!r}")
    if (verdict == "fail") != (rc == 1):
        problems.append(f"verdict {verdict} with exit status {rc}")
    summary = [l for l in text if l.startswith("-- ")]
    if summary and not summary[0].startswith(f"-- {verdict}: "):
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
    "KERNEL_CHECK_GETFATTR=$HOOK_GETFATTR"
  )
  ((USE_CONFIG)) && envs+=("KERNEL_CHECK_CONFIG=$CONFIG_PATH")
  [[ -n $HOOK_UID ]] && envs+=("KERNEL_CHECK_UID=$HOOK_UID")
  local pre=(env -u KERNEL_CHECK_CONFIG -u KERNEL_CHECK_UID)
  if ((AS_NOBODY)); then
    pre=(setpriv --reuid=65534 --regid=65534 --clear-groups "${pre[@]}")
  fi
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
L_ROOT_OK="ok   controllers at the root: available: $ALL_CTRL; enabled for children: $D_CTRL"
L_DIR_OK="ok   controllers in $D: available: $D_CTRL"
L_SWAP_OK='ok   swap accounting: memory.swap.max present'
L_WRITE_ROOT="ok   write access to $D: running as root; directory, cgroup.procs, cgroup.subtree_control and cgroup.threads writable"
L_DELEGATED="ok   delegation of $D: trusted.delegate=1 (set by systemd for Delegate=yes)"
L_NO_INTERNAL="ok   internal processes in $D: none"
L_NOT_SYSTEMD_DELEG="warn delegation of $D: PID 1 is not systemd, so nothing marks $D as delegated; make sure no other process manages $D and its parent (cgspawn init, then --cgroup-root)"

# ================================================================ cases
# ---- the healthy host, whole output
begin "healthy unified host: every check ok, exit 0"
fixture
run
expect_rc 0
expect_output "ok   kernel config: $F/config
$CONFIG_OK_LINES
ok   swap accounting (config): CONFIG_MEMCG_SWAP=y
$L_MODE_UNIFIED
$L_SYSTEMD
ok   systemd version: 252
$L_ROOT_OK
$L_DIR_OK
$L_SWAP_OK
$L_WRITE_ROOT
$L_DELEGATED
$L_NO_INTERNAL
-- ok: 0 FAIL, 0 warn (cgroup $D)"
end

# ---- kernel config options
declare -A WHY=(
  [CONFIG_CGROUPS]='no cgroups at all: no memory, CPU or task limit can be enforced and cgspawn cannot run'
  [CONFIG_MEMCG]='no memory controller: memory limits (memory.max, memory.low) cannot be enforced'
  [CONFIG_CGROUP_SCHED]='no cpu controller: neither cpu.max nor cpu.weight exists'
  [CONFIG_CFS_BANDWIDTH]='no CPU bandwidth control: cpu.max does not exist, so CPU quotas (cpu_limit) cannot be enforced (cpu.weight still works)'
  [CONFIG_CGROUP_PIDS]='no pids controller: the task limit (pids.max) cannot be enforced and a fork bomb is unbounded'
  [CONFIG_SECCOMP_FILTER]='no seccomp filters: cgspawn --seccomp default cannot load its filter, so spawns fail unless --seccomp none'
  [CONFIG_TMPFS]='no tmpfs: --private-tmp and --private-devices cannot mount their private /tmp and /dev'
)
for opt in CONFIG_CGROUPS CONFIG_MEMCG CONFIG_CGROUP_SCHED CONFIG_CFS_BANDWIDTH CONFIG_CGROUP_PIDS CONFIG_SECCOMP_FILTER CONFIG_TMPFS; do
  begin "$opt absent from the config: FAIL, exit 1"
  fixture
  set_opt "$opt" absent
  run
  expect_rc 1
  expect_line "FAIL $opt: absent from the config: ${WHY[$opt]}; $REBUILD $opt=y (or use a distribution kernel)"
  expect_line "-- fail: 1 FAIL, 0 warn (cgroup $D)"
  end

  begin "$opt is not set: FAIL, exit 1"
  fixture
  set_opt "$opt" n
  run
  expect_rc 1
  expect_line "FAIL $opt: not set: ${WHY[$opt]}; $REBUILD $opt=y (or use a distribution kernel)"
  end

  begin "$opt=m: warn, exit 0"
  fixture
  set_opt "$opt" m
  run
  expect_rc 0
  expect_line "warn $opt: =m: built as a module, works only once it is loaded; make sure the module is loaded at boot, or rebuild with $opt=y"
  expect_line "-- warn: 0 FAIL, 1 warn (cgroup $D)"
  end
done

begin "CONFIG_FAIR_GROUP_SCHED=y does not stand in for CONFIG_CFS_BANDWIDTH"
fixture
set_opt CONFIG_CFS_BANDWIDTH n
set_opt CONFIG_FAIR_GROUP_SCHED y
run
expect_rc 1
expect_line "FAIL CONFIG_CFS_BANDWIDTH: not set: ${WHY[CONFIG_CFS_BANDWIDTH]}; $REBUILD CONFIG_CFS_BANDWIDTH=y (or use a distribution kernel)"
expect_no_line 'FAIR_GROUP_SCHED'
end

begin "CONFIG_NAMESPACES missing: warn only (mount namespaces need no option), exit 0"
fixture
set_opt CONFIG_NAMESPACES n
run
expect_rc 0
expect_line "warn CONFIG_NAMESPACES: not set: no UTS/IPC/PID/network/user namespaces; cgspawn's isolation uses only the mount namespace, which every kernel has, but other sandboxing tools need these; $REBUILD CONFIG_NAMESPACES=y (or use a distribution kernel)"
end

begin "CONFIG_USER_NS is not required"
fixture
set_opt CONFIG_USER_NS n
run
expect_rc 0
expect_no_line 'USER_NS|^warn|^FAIL'
end

begin "swap accounting (config): CONFIG_MEMCG_SWAP not set: warn"
fixture
set_opt CONFIG_MEMCG_SWAP n
run
expect_rc 0
expect_line "warn swap accounting (config): CONFIG_MEMCG_SWAP is n: memory.swap.max does not exist, mem_swap_limit cannot be enforced; $REBUILD CONFIG_MEMCG_SWAP=y"
end

begin "swap accounting (config): Linux >= 6.1 (no CONFIG_MEMCG_SWAP) with CONFIG_SWAP=y: ok"
fixture
set_opt CONFIG_MEMCG_SWAP absent
run
expect_rc 0
expect_line "ok   swap accounting (config): CONFIG_SWAP=y (no CONFIG_MEMCG_SWAP: since Linux 6.1 swap accounting comes with MEMCG and SWAP)"
end

begin "swap accounting (config): no CONFIG_SWAP: warn"
fixture
set_opt CONFIG_MEMCG_SWAP absent
set_opt CONFIG_SWAP n
run
expect_rc 0
expect_line "warn swap accounting (config): CONFIG_SWAP is not set: the kernel cannot swap, memory.swap.max does not exist; nothing to do unless you want swap; then rebuild with CONFIG_SWAP=y"
end

begin "KERNEL_CHECK_CONFIG=FILE.gz is decompressed"
fixture
set_opt CONFIG_CGROUP_PIDS n
gzip "$F/config"
CONFIG_PATH=$F/config.gz
run
expect_rc 1
expect_line "ok   kernel config: $F/config.gz" "ok   CONFIG_CGROUPS: =y" \
  "FAIL CONFIG_CGROUP_PIDS: not set: ${WHY[CONFIG_CGROUP_PIDS]}; $REBUILD CONFIG_CGROUP_PIDS=y (or use a distribution kernel)"
end

begin "corrupt /proc/config.gz: warn, options not checked"
fixture
USE_CONFIG=0
echo 'not gzip' >"$F/proc/config.gz"
run
expect_rc 0
expect_line "warn kernel config: $F/proc/config.gz is not a readable gzip file; install the kernel's config as /boot/config-6.1.0-test"
expect_no_line '^(ok  |warn|FAIL) CONFIG_'
end

# ---- config search order: /proc/config.gz, /boot/config-R,
# /usr/src/linux-R/.config, /usr/src/linux/.config (each a different config)
search_fixture() {
  fixture
  USE_CONFIG=0
  gzip -c "$F/config" >"$F/proc/config.gz"
  mkdir -p "$F/root/boot" "$F/root/usr/src/linux-6.1.0-test" "$F/root/usr/src/linux"
  set_opt CONFIG_CGROUP_PIDS n
  cp "$F/config" "$F/root/boot/config-6.1.0-test"
  set_opt CONFIG_CGROUP_PIDS y
  set_opt CONFIG_MEMCG n
  cp "$F/config" "$F/root/usr/src/linux-6.1.0-test/.config"
  set_opt CONFIG_MEMCG y
  set_opt CONFIG_TMPFS n
  cp "$F/config" "$F/root/usr/src/linux/.config"
  rm "$F/config"
}
begin "config search: /proc/config.gz first"
search_fixture
run
expect_rc 0
expect_line "ok   kernel config: $F/proc/config.gz" "$CONFIG_OK_LINES"
end

begin "config search: then /boot/config-\$(uname -r)"
search_fixture
rm "$F/proc/config.gz"
run
expect_rc 1
expect_line "ok   kernel config: $F/root/boot/config-6.1.0-test"
expect_no_line '^FAIL CONFIG_(MEMCG|TMPFS)'
expect_line "FAIL CONFIG_CGROUP_PIDS: not set: ${WHY[CONFIG_CGROUP_PIDS]}; $REBUILD CONFIG_CGROUP_PIDS=y (or use a distribution kernel)"
end

begin "config search: then /usr/src/linux-\$(uname -r)/.config"
search_fixture
rm "$F/proc/config.gz" "$F/root/boot/config-6.1.0-test"
run
expect_rc 1
expect_line "ok   kernel config: $F/root/usr/src/linux-6.1.0-test/.config"
expect_line "FAIL CONFIG_MEMCG: not set: ${WHY[CONFIG_MEMCG]}; $REBUILD CONFIG_MEMCG=y (or use a distribution kernel)"
end

begin "config search: then /usr/src/linux/.config"
search_fixture
rm "$F/proc/config.gz" "$F/root/boot/config-6.1.0-test" "$F/root/usr/src/linux-6.1.0-test/.config"
run
expect_rc 1
expect_line "ok   kernel config: $F/root/usr/src/linux/.config"
expect_line "FAIL CONFIG_TMPFS: not set: ${WHY[CONFIG_TMPFS]}; $REBUILD CONFIG_TMPFS=y (or use a distribution kernel)"
end

begin "config search: nothing found: warn, the cgroup checks still run, exit 0"
search_fixture
rm -r "$F/proc/config.gz" "$F/root/boot" "$F/root/usr"
run
expect_rc 0
expect_line "warn kernel config: not found (searched $F/proc/config.gz $F/root/boot/config-6.1.0-test $F/root/usr/src/linux-6.1.0-test/.config $F/root/usr/src/linux/.config); kernel options cannot be verified, the cgroup checks below still apply; modprobe configs (for /proc/config.gz) or install the kernel's config as /boot/config-6.1.0-test"
expect_no_line 'CONFIG_'
expect_line "$L_MODE_UNIFIED" "$L_DIR_OK" "$L_DELEGATED"
end

# ---- cgroup mode
begin "hybrid host: FAIL mode, controllers missing with where v1 holds them, exit 1"
fixture hybrid
echo hugetlb >"$CGROOT/cgroup.controllers"
: >"$CGROOT/cgroup.subtree_control"
for d in "$CGROOT/system.slice" "$CG" "$CG/hub" "$CG/users"; do
  echo hugetlb >"$d/cgroup.controllers"
  rm -f "$d/memory.max" "$d/memory.swap.max"
done
echo '0::/' >"$F/proc/self/cgroup"
run
expect_rc 1
expect_line "FAIL cgroup mode: hybrid: cgroup v1 hierarchies at /sys/fs/cgroup (tmpfs) and cgroup2 only at /sys/fs/cgroup/unified; the controllers memory cpu pids are bound to v1, so their limits cannot work in cgroup2; $HYBRID_FIX" \
  "FAIL controllers at the root: cgroup2 offers only 'hugetlb', missing: memory cpu pids $V1_NOTE; $HYBRID_FIX" \
  "FAIL controllers in /sys/fs/cgroup/unified: available: 'hugetlb', missing: memory cpu pids $V1_NOTE: the limits of those controllers cannot be set; make the controllers available at the root first (see controllers at the root)" \
  "warn swap accounting: no memory.* files in /sys/fs/cgroup/unified or its children, so swap accounting cannot be verified: mem_swap_limit may not be enforceable; make the memory controller available in /sys/fs/cgroup/unified (see above), then run cgspawn init and this check again" \
  "FAIL delegation of /sys/fs/cgroup/unified: it is the root of the cgroup2 hierarchy: cgspawn refuses to manage it, and nothing there is delegated; add Delegate=yes to the hub's unit and run the check from the hub's cgroup, or pass --cgroup a delegated directory" \
  "ok   internal processes in /sys/fs/cgroup/unified: the root cgroup is exempt from the no-internal-processes rule"
end

begin "hybrid host, --cgroup below the cgroup2 mount"
fixture hybrid
echo hugetlb >"$CGROOT/cgroup.controllers"
for d in "$CGROOT/system.slice" "$CG" "$CG/hub" "$CG/users"; do
  echo hugetlb >"$d/cgroup.controllers"
  rm -f "$d/memory.max" "$d/memory.swap.max"
done
EXPECT_CGROUP=/sys/fs/cgroup/unified/system.slice/hub.service
run --cgroup "$CG"
unset EXPECT_CGROUP
expect_rc 1
expect_line "FAIL controllers in /sys/fs/cgroup/unified/system.slice/hub.service: available: 'hugetlb', missing: memory cpu pids $V1_NOTE: the limits of those controllers cannot be set; make the controllers available at the root first (see controllers at the root)" \
  "ok   delegation of /sys/fs/cgroup/unified/system.slice/hub.service: trusted.delegate=1 (set by systemd for Delegate=yes)"
end

begin "hybrid layout with no required controller bound to v1: warn only"
fixture hybrid
grep -v -E '/sys/fs/cgroup/(cpu|memory|pids) ' "$F/proc/self/mountinfo" >"$F/mi" && mv "$F/mi" "$F/proc/self/mountinfo"
run
expect_rc 0
expect_line "warn cgroup mode: hybrid: cgroup v1 hierarchies at /sys/fs/cgroup (tmpfs) and cgroup2 at /sys/fs/cgroup/unified, but no required controller is bound to v1; $HYBRID_FIX" \
  "ok   controllers in /sys/fs/cgroup/unified/system.slice/hub.service: available: $D_CTRL"
end

begin "legacy host (no cgroup2): FAIL, cgroup checks skipped, exit 1"
fixture
printf '%s\n' "$MI_LEGACY" >"$F/proc/self/mountinfo"
run
expect_rc 1
expect_line "FAIL cgroup mode: legacy: only cgroup v1 hierarchies are mounted, no cgroup2; cgspawn needs cgroup v2 and no limit can work; $HYBRID_FIX" \
  "warn cgroup checks: skipped: no cgroup2 hierarchy is mounted (see cgroup mode); $HYBRID_FIX" \
  "-- fail: 1 FAIL, 1 warn"
expect_no_line 'controllers|delegation'
end

begin "legacy host with --cgroup: still the legacy FAIL, exit 1"
fixture
printf '%s\n' "$MI_LEGACY" >"$F/proc/self/mountinfo"
run --cgroup "$CG"
expect_rc 1
expect_line "warn cgroup checks: skipped: no cgroup2 hierarchy is mounted (see cgroup mode); $HYBRID_FIX"
end

begin "no cgroup filesystem at all: FAIL, exit 1"
fixture
printf '%s\n' "$MI_SYSFS" >"$F/proc/self/mountinfo"
run
expect_rc 1
expect_line "FAIL cgroup mode: no cgroup filesystem is mounted; mount cgroup2 at /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup) or boot with systemd"
end

begin "unified with a stray v1 hierarchy: warn"
fixture
echo '50 22 0:40 / /run/netcls rw,relatime - cgroup cgroup rw,net_cls' >>"$F/proc/self/mountinfo"
run
expect_rc 0
expect_line "warn cgroup mode: unified (cgroup2 at /sys/fs/cgroup), but 1 cgroup v1 hierarchies are mounted as well; controllers bound to them are missing from cgroup2; unmount them or boot with cgroup_no_v1=all"
end

begin "cgroup2 mounted elsewhere, no v1: unified; octal escapes in mountinfo decoded"
fixture
mkdir -p "$F/root/cg two"
mv "$F/root/sys/fs/cgroup"/* "$F/root/cg two/"
printf '%s\n' "$MI_SYSFS" '27 22 0:23 / /cg\040two rw - cgroup2 cgroup2 rw' >"$F/proc/self/mountinfo"
EXPECT_CGROUP='/cg two/system.slice/hub.service'
run
unset EXPECT_CGROUP
expect_rc 0
expect_line 'ok   cgroup mode: unified (cgroup2 at /cg two, no cgroup v1 hierarchy)' \
  'ok   controllers in /cg two/system.slice/hub.service: available: cpu io memory pids'
end

# ---- systemd
begin "PID 1 not systemd: warn, delegation unverifiable, exit 0"
fixture
echo process_api >"$F/proc/1/comm"
run
expect_rc 0
expect_line "warn systemd as PID 1: PID 1 is process_api, not systemd: no unit can have Delegate=yes; cgspawn still works with --cgroup-root on a cgroup2 directory you delegated by hand; otherwise run the hub on a systemd host" \
  "$L_NOT_SYSTEMD_DELEG"
expect_no_line 'systemd version'
end

begin "PID 1 named otherwise but /run/systemd/system exists: systemd"
fixture
echo init >"$F/proc/1/comm"
mkdir -p "$F/root/run/systemd/system"
run
expect_rc 0
expect_line "$L_SYSTEMD" "ok   systemd version: 252"
end

begin "systemd 242: FAIL"
fixture
echo 'systemd 242 (242-7)' >"$F/systemd-version"
run
expect_rc 1
expect_line "FAIL systemd version: 242 < 243: too old for cgroup v2 delegation to the hub (243 is the first release that defaults to the unified hierarchy); upgrade systemd (the distribution) to 243 or later, 245 or later recommended" \
  "warn delegation of $D: systemd 242 < 251 marks no delegated cgroup, so delegation cannot be verified; make sure the hub's unit has Delegate=yes (systemctl show -p Delegate UNIT)"
end

begin "systemd 243 and 244: warn"
for v in 243 244; do
  fixture
  echo "systemd $v" >"$F/systemd-version"
  run
  expect_rc 0
  expect_line "warn systemd version: $v < 245: cgroup v2 delegation was still maturing; upgrade systemd to 245 or later"
done
end

begin "systemd 245 and 250: ok, but < 251 sets no delegate xattr: warn"
for v in 245 250; do
  fixture
  echo "systemd $v (v$v)" >"$F/systemd-version"
  run
  expect_rc 0
  expect_line "ok   systemd version: $v" \
    "warn delegation of $D: systemd $v < 251 marks no delegated cgroup, so delegation cannot be verified; make sure the hub's unit has Delegate=yes (systemctl show -p Delegate UNIT)"
done
end

begin "systemd version unreadable: warn"
fixture
echo 'garbage' >"$F/systemd-version"
run
expect_rc 0
expect_line "warn systemd version: could not read it from '$F/bin/systemctl --version'; make sure systemd is at least 243 (245 recommended)"
end

# ---- controllers
begin "unified root without pids: FAIL at the root and in DIR"
fixture
echo 'cpuset cpu io memory hugetlb rdma misc' >"$CGROOT/cgroup.controllers"
for d in "$CGROOT/system.slice" "$CG" "$CG/hub" "$CG/users"; do echo 'cpu io memory' >"$d/cgroup.controllers"; done
run
expect_rc 1
expect_line "FAIL controllers at the root: cgroup2 offers only 'cpuset cpu io memory hugetlb rdma misc', missing: pids; enable it in the kernel config (see above) and remove any cgroup_disable= or cgroup_no_v1= exception from the kernel command line" \
  "FAIL controllers in $D: available: 'cpu io memory', missing: pids: the limits of those controllers cannot be set; make the controllers available at the root first (see controllers at the root)"
end

begin "root has the controllers but does not enable them for children: warn at root"
fixture
echo 'cpu io' >"$CGROOT/cgroup.subtree_control"
run
expect_line "warn controllers at the root: available: $ALL_CTRL; not enabled for children at the root: memory pids; systemd enables them for units with Delegate=yes; without systemd: echo +memory +pids > /sys/fs/cgroup/cgroup.subtree_control"
end

begin "no io controller anywhere: warn (optional), exit 0"
fixture
echo 'cpuset cpu memory hugetlb pids' >"$CGROOT/cgroup.controllers"
for d in "$CGROOT/system.slice" "$CG" "$CG/hub" "$CG/users"; do echo 'cpu memory pids' >"$d/cgroup.controllers"; done
run
expect_rc 0
expect_line "warn controllers at the root: available: cpuset cpu memory hugetlb pids; optional io controller missing: no I/O limits; enable CONFIG_BLK_CGROUP and boot the unified hierarchy if you want I/O limits" \
  "warn controllers in $D: available: cpu memory pids; optional io controller missing: no I/O limits; add Delegate=yes (or Delegate=cpu memory pids io) to the hub's unit if you want I/O limits"
end

begin "DIR lacks memory although the root has it: FAIL with the Delegate= fix"
fixture
echo 'cpu io pids' >"$CG/cgroup.controllers"
run
expect_rc 1
expect_line "$L_ROOT_OK" \
  "FAIL controllers in $D: available: 'cpu io pids', missing: memory: the limits of those controllers cannot be set; enable them in cgroup.subtree_control of every ancestor of $D: add Delegate=yes to the hub's unit, which makes systemd do that"
end

# ---- swap accounting in the tree
begin "memory.max without memory.swap.max: warn"
fixture
find "$CG" -name memory.swap.max -delete
run
expect_rc 0
expect_line "warn swap accounting: memory.max exists but memory.swap.max does not: mem_swap_limit cannot be enforced (swap accounting is off); boot without swapaccount=0 (CONFIG_MEMCG_SWAP=y before Linux 6.1, CONFIG_SWAP=y after)"
end

begin "memory.swap.max only in a child: ok"
fixture
rm "$CG/memory.swap.max" "$CG/memory.max" "$CG/hub/memory.swap.max"
run
expect_rc 0
expect_line "ok   swap accounting: memory.swap.max present in users/memory.swap.max"
end

begin "no memory files at all: warn"
fixture
find "$CG" -name 'memory.*' -delete
run
expect_rc 0
expect_line "warn swap accounting: no memory.* files in $D or its children, so swap accounting cannot be verified: mem_swap_limit may not be enforceable; make the memory controller available in $D (see above), then run cgspawn init and this check again"
end

# ---- delegation
begin "no delegate xattr (systemd 252, root): FAIL add Delegate=yes"
fixture
rm "$CG/.xattr.trusted.delegate"
run
expect_rc 1
expect_line "FAIL delegation of $D: neither $D nor an ancestor has a trusted.delegate or user.delegate xattr: systemd does not consider it delegated and may reset its cgroup.subtree_control or move its processes; add Delegate=yes to the hub's unit"
end

begin "user.delegate=1 only: ok"
fixture
mv "$CG/.xattr.trusted.delegate" "$CG/.xattr.user.delegate"
run
expect_rc 0
expect_line "ok   delegation of $D: user.delegate=1 (set by systemd for Delegate=yes)"
end

begin "trusted.delegate=0: FAIL"
fixture
printf 0 >"$CG/.xattr.trusted.delegate"
run
expect_rc 1
expect_line "FAIL delegation of $D: neither $D nor an ancestor has a trusted.delegate or user.delegate xattr: systemd does not consider it delegated and may reset its cgroup.subtree_control or move its processes; add Delegate=yes to the hub's unit"
end

begin "getfattr not installed: warn that the xattr could not be read"
fixture
HOOK_GETFATTR=''
run
expect_rc 0
expect_line "warn delegation of $D: the trusted.delegate/user.delegate xattr could not be read: getfattr is not installed; apt-get install attr and run again, or check systemctl show -p Delegate UNIT"
end

begin "caller's cgroup is the hierarchy root: FAIL"
fixture
echo '0::/' >"$F/proc/self/cgroup"
run
expect_rc 1
expect_line "FAIL delegation of /sys/fs/cgroup: it is the root of the cgroup2 hierarchy: cgspawn refuses to manage it, and nothing there is delegated; add Delegate=yes to the hub's unit and run the check from the hub's cgroup, or pass --cgroup a delegated directory"
expect_no_line 'write access'
end

begin "caller uid 1000, DIR owned by root: FAIL with the Delegate= fix"
fixture
HOOK_UID=1000
run
expect_rc 1
expect_line "FAIL write access to $D: owned by uid 0, not by the caller (uid 1000); add Delegate=yes to the hub's unit (with User=, systemd then chowns the cgroup to that user)"
expect_no_line "^(ok  |warn|FAIL) delegation of"
end

if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
  begin "really non-root (nobody), DIR owned by root: FAIL owned and not writable"
  fixture
  HOOK_UID=''
  AS_NOBODY=1
  run
  expect_rc 1
  expect_line "FAIL write access to $D: owned by uid 0, not by the caller (uid 65534); not writable: the directory cgroup.procs cgroup.subtree_control cgroup.threads; add Delegate=yes to the hub's unit (with User=, systemd then chowns the cgroup to that user)"
  end

  begin "really non-root (nobody), DIR chowned to nobody: ok"
  fixture
  HOOK_UID=''
  AS_NOBODY=1
  chown 65534 "$CG" "$CG/cgroup.procs" "$CG/cgroup.subtree_control" "$CG/cgroup.threads"
  rm "$CG/.xattr.trusted.delegate"
  run
  expect_rc 0
  expect_line "ok   write access to $D: owned by uid 65534; cgroup.procs, cgroup.subtree_control and cgroup.threads writable" \
    "ok   delegation of $D: no user.delegate xattr readable, but $D is owned by the caller, which systemd does only for Delegate=yes"
  end

  begin "really non-root, owned by nobody but cgroup.threads not writable: FAIL"
  fixture
  HOOK_UID=''
  AS_NOBODY=1
  chown 65534 "$CG" "$CG/cgroup.procs" "$CG/cgroup.subtree_control"
  run
  expect_rc 1
  expect_line "FAIL write access to $D: not writable by uid 65534: cgroup.threads; add Delegate=yes to the hub's unit; if the cgroup filesystem is mounted read-only (a container), delegate a writable one"
  end
else
  echo "skip  non-root cases (need root and setpriv to switch to nobody)"
fi

# ---- internal processes
begin "pre-init: the hub still in DIR, no children: warn run cgspawn init"
fixture
rm -r "$CG/hub" "$CG/users"
: >"$CG/cgroup.subtree_control"
printf '4242\n4243\n' >"$CG/cgroup.procs"
echo '0::/system.slice/hub.service' >"$F/proc/self/cgroup"
run
expect_rc 0
expect_line "warn internal processes in $D: 2 processes live in $D itself (the hub before cgspawn init); no controller can be enabled for children while they are there; run cgspawn init (moves them to $D/hub)"
end

begin "processes in DIR while it has children: warn run cgspawn init"
fixture
echo 777 >"$CG/cgroup.procs"
run
expect_rc 0
expect_line "warn internal processes in $D: 1 processes live in $D itself while it has child cgroups (hub users); controllers cannot be enabled for its children until they leave; run cgspawn init (moves them to $D/hub)"
end

begin "the check's own process in DIR (run from ExecStartPre=) is not counted"
fixture
rm -r "$CG/hub" "$CG/users"
: >"$CG/cgroup.subtree_control"
echo '0::/system.slice/hub.service' >"$F/proc/self/cgroup"
# sh writes its pid into the fake cgroup.procs, then execs the script, which
# keeps that pid.
OUT=$(KERNEL_CHECK_PROC=$F/proc KERNEL_CHECK_ROOT=$F/root KERNEL_CHECK_CONFIG=$F/config \
  KERNEL_CHECK_SYSTEMCTL=$F/bin/systemctl KERNEL_CHECK_GETFATTR=$F/bin/getfattr KERNEL_CHECK_UID=0 \
  sh -c 'echo $$ >"$1/cgroup.procs"; exec "$2"' sh "$CG" "$SCRIPT" 2>&1)
RC=$?
ERR=''
expect_rc 0
expect_line "$L_NO_INTERNAL"
[[ -s $CG/cgroup.procs ]] || bad "the fake cgroup.procs stayed empty: the case proves nothing"
end

# ---- arguments and the check's own failures (exit 2)
begin "--cgroup DIR is used instead of the caller's cgroup"
fixture
echo '0::/' >"$F/proc/self/cgroup"
EXPECT_CGROUP=$D
run --cgroup "$CG"
unset EXPECT_CGROUP
expect_rc 0
expect_line "$L_DIR_OK" "$L_DELEGATED"
end

begin "--cgroup=DIR form"
fixture
run --cgroup="$CG/users"
expect_rc 0
expect_line "ok   controllers in $D/users: available: $D_CTRL" \
  "ok   delegation of $D/users: trusted.delegate=1 on $D (set by systemd for Delegate=yes)"
end

begin "JSON escaping: a cgroup named with a quote, a backslash, a tab and \\x01"
fixture
weird=$'q"b\\s\tc\x01'
mkcg "$CG/$weird" "$D_CTRL" ''
printf 1 >"$CG/$weird/.xattr.trusted.delegate"
EXPECT_CGROUP="$D/$weird"
run --cgroup "$CG/$weird"
unset EXPECT_CGROUP
expect_rc 0
grep -Fq 'q\"b\\s\tc\u0001' <<<"$JOUT" || bad "JSON lacks the escaped name q\\\"b\\\\s\\tc\\u0001"
end

begin "--cgroup nonexistent: exit 2"
fixture
run --cgroup "$F/nope"
expect_rc 2
expect_stderr "check-kernel.sh: --cgroup $F/nope: no such directory"
end

begin "--cgroup outside the cgroup2 mount: exit 2"
fixture
run --cgroup "$F/proc"
expect_rc 2
expect_stderr "is not on the cgroup2 hierarchy mounted at /sys/fs/cgroup"
end

begin "--cgroup without a value: exit 2"
fixture
run --cgroup
expect_rc 2
expect_stderr "--cgroup needs a directory"
end

begin "unknown argument: exit 2"
fixture
run --frobnicate
expect_rc 2
expect_stderr "unknown argument '--frobnicate'"
end

begin "/proc not mounted: exit 2"
fixture
rm -r "$F/proc/self"
run
expect_rc 2
expect_stderr "cannot read $F/proc/self/mountinfo: is /proc mounted?"
end

begin "no 0:: line in /proc/self/cgroup: exit 2"
fixture
echo '4:memory:/' >"$F/proc/self/cgroup"
run
expect_rc 2
expect_stderr "no cgroup v2 entry (0::/...) in $F/proc/self/cgroup; pass --cgroup DIR"
end

begin "caller's cgroup missing from the mount: exit 2"
fixture
echo '0::/elsewhere/x' >"$F/proc/self/cgroup"
run
expect_rc 2
expect_stderr "the caller's cgroup /sys/fs/cgroup/elsewhere/x does not exist"
end

begin "--help: usage, exit 0"
OUT=$("$SCRIPT" --help 2>&1)
RC=$?
ERR=''
expect_rc 0
[[ $OUT == "Usage: check-kernel.sh [--cgroup DIR] [--json] [--help]"* ]] || bad "--help does not start with the usage line"
end

# ---- this very host, unhooked
begin "this host, unhooked: reports its real cgroup mode"
hostfs=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)
OUT=$(env -u KERNEL_CHECK_CONFIG -u KERNEL_CHECK_PROC -u KERNEL_CHECK_ROOT -u KERNEL_CHECK_UNAME_R \
  -u KERNEL_CHECK_SYSTEMCTL -u KERNEL_CHECK_GETFATTR -u KERNEL_CHECK_UID "$SCRIPT" 2>"$T/host.err")
RC=$?
ERR=$(<"$T/host.err")
if [[ $hostfs == tmpfs && -f /sys/fs/cgroup/unified/cgroup.controllers ]]; then
  expect_rc 1
  grep -q '^FAIL cgroup mode: hybrid: cgroup v1 hierarchies at /sys/fs/cgroup (tmpfs) and cgroup2 only at /sys/fs/cgroup/unified; ' <<<"$OUT" ||
    bad "no hybrid FAIL line"
  missing=''
  for c in memory cpu pids; do
    grep -qw "$c" /sys/fs/cgroup/unified/cgroup.controllers || missing+="${missing:+ }$c"
  done
  if [[ -n $missing ]]; then
    grep -q "^FAIL controllers in /sys/fs/cgroup/unified.*: available: '[^']*', missing: $missing " <<<"$OUT" ||
      bad "no FAIL line naming the missing controllers '$missing'"
  fi
  JOUT=$("$SCRIPT" --json 2>/dev/null)
  JRC=$?
  F=$T # check_json writes its scratch files under $F
  check_json
  end
else
  printf 'skip  %s (/sys/fs/cgroup is %s, not the hybrid layout this case expects)\n' "$CASE" "$hostfs"
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
