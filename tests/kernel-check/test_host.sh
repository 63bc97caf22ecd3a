#!/usr/bin/env bash
# check-kernel.sh: the cgroup mode (unified, hybrid, legacy, none, from
# mountinfo), systemd as PID 1 and its version, the arguments and every
# exit-2 path, and one unhooked run on this host (harness: lib.sh).
# shellcheck source=lib.sh
source "$(dirname -- "$0")/lib.sh"

V1_BOUND='memory (/sys/fs/cgroup/memory), cpu (/sys/fs/cgroup/cpu), pids (/sys/fs/cgroup/pids)'

# ---- cgroup mode
begin "hybrid host: FAIL mode naming where v1 holds each required controller, exit 1"
fixture hybrid
run
expect_rc 1
expect_line "FAIL cgroup mode: hybrid: cgroup v1 hierarchies at /sys/fs/cgroup (tmpfs) and cgroup2 only at /sys/fs/cgroup/unified; the controllers $V1_BOUND are bound to v1, so their limits cannot work in cgroup2; $HYBRID_FIX"
end

begin "hybrid layout with no required controller bound to v1: warn only"
fixture hybrid
grep -v -E '/sys/fs/cgroup/(cpu|memory|pids) ' "$F/proc/self/mountinfo" >"$F/mi" && mv "$F/mi" "$F/proc/self/mountinfo"
run
expect_rc 0
expect_line "warn cgroup mode: hybrid: cgroup v1 hierarchies at /sys/fs/cgroup (tmpfs) and cgroup2 at /sys/fs/cgroup/unified, but no required controller is bound to v1; $HYBRID_FIX"
end

begin "legacy host (no cgroup2): FAIL, cgroup checks skipped, exit 1"
fixture
printf '%s\n' "$MI_LEGACY" >"$F/proc/self/mountinfo"
run
expect_rc 1
expect_line "FAIL cgroup mode: legacy: only cgroup v1 hierarchies are mounted, no cgroup2; cgspawn needs cgroup v2 and no limit can work; $HYBRID_FIX" \
  "warn cgroup checks: skipped: no cgroup2 hierarchy is mounted (see cgroup mode); $HYBRID_FIX" \
  "-- fail: 1 FAIL, 1 warn"
expect_no_line 'cgroup root|delegat'
[[ ! -e $F/live.args ]] || bad "cgspawn was run on a host without cgroup2"
end

begin "legacy host with --cgroup: still the legacy FAIL, exit 1"
fixture
printf '%s\n' "$MI_LEGACY" >"$F/proc/self/mountinfo"
run --cgroup "$D"
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
printf '%s\n' "$MI_SYSFS" '27 22 0:23 / /cg\040two rw - cgroup2 cgroup2 rw' >"$F/proc/self/mountinfo"
run
expect_rc 0
expect_line 'ok   cgroup mode: unified (cgroup2 at /cg two, no cgroup v1 hierarchy)'
end

# ---- systemd
begin "PID 1 not systemd: warn, delegation unverifiable, exit 0"
fixture
echo process_api >"$F/proc/1/comm"
run
expect_rc 0
expect_line "warn systemd as PID 1: PID 1 is process_api, not systemd: no unit can have Delegate=yes; cgspawn still works with --cgroup-root on a cgroup2 directory you delegated by hand; otherwise run the hub on a systemd host"
expect_no_line 'systemd version'
end

begin "PID 1 named otherwise but /run/systemd/system exists: systemd"
fixture
echo init >"$F/proc/1/comm"
mkdir -p "$F/root/run/systemd/system"
run
expect_rc 0
expect_line "$L_SYSTEMD" "ok   systemd version: 252 (hub restarts: the two-unit layout, examples/jupyterhub-servers.service; one unit needs DelegateSubgroup=, systemd 254)"
end

begin "systemd 242: FAIL"
fixture
echo 'systemd 242 (242-7)' >"$F/systemd-version"
run
expect_rc 1
expect_line "FAIL systemd version: 242 < 243: too old for cgroup v2 delegation to the hub (243 is the first release that defaults to the unified hierarchy); upgrade systemd (the distribution) to 243 or later, 245 or later recommended"
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

begin "systemd 245 and 250: < 251 sets no delegate xattr, so cgspawn check cannot prove delegation: warn"
for v in 245 250; do
  fixture
  echo "systemd $v (v$v)" >"$F/systemd-version"
  run
  expect_rc 0
  expect_line "warn systemd version: $v < 251 marks no delegated cgroup, so cgspawn check cannot verify delegation; make sure the hub's unit has Delegate=yes (systemctl show -p Delegate UNIT)"
done
end

begin "systemd 253 and 254: the one-unit layout (DelegateSubgroup=) is named from 254 on"
fixture
echo "systemd 253 (253.5-1)" >"$F/systemd-version"
run
expect_rc 0
expect_line "ok   systemd version: 253 (hub restarts: the two-unit layout, examples/jupyterhub-servers.service; one unit needs DelegateSubgroup=, systemd 254)"
fixture
echo "systemd 254 (254.1-1)" >"$F/systemd-version"
run
expect_rc 0
expect_line "ok   systemd version: 254 (DelegateSubgroup=: one unit may own hub and servers, examples/jupyterhub-subgroup.service)"
end

begin "systemd version unreadable: warn"
fixture
echo 'garbage' >"$F/systemd-version"
run
expect_rc 0
expect_line "warn systemd version: could not read it from '$F/bin/systemctl --version'; make sure systemd is at least 243 (245 recommended)"
end

# ---- arguments and the check's own failures (exit 2)
begin "--cgspawn PATH not executable: exit 2 before any check"
fixture
run --cgspawn "$F/nope"
expect_rc 2
expect_stderr "check-kernel.sh: cgspawn '$F/nope' is not an executable file (--cgspawn PATH or CGSPAWN=PATH)"
[[ -z $OUT ]] || bad "output before the argument error"
end

for a in --cgroup --cgspawn; do
  begin "$a without a value: exit 2"
  fixture
  run "$a"
  expect_rc 2
  expect_stderr "$a needs a value"
  end
done

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

begin "--help: usage, exit 0"
OUT=$("$SCRIPT" --help 2>&1)
RC=$?
ERR=''
expect_rc 0
[[ $OUT == "Usage: check-kernel.sh [--cgroup DIR] [--cgspawn PATH] [--json] [--help]"* ]] || bad "--help does not start with the usage line"
end

begin "lib/ missing: exit 2 naming where it looked"
fixture
cp "$SCRIPT" "$F/check-kernel.sh"
OUT=$("$F/check-kernel.sh" 2>"$F/stderr")
RC=$?
ERR=$(<"$F/stderr")
expect_rc 2
expect_stderr "its lib/ directory is missing (looked in $F/lib and"
end

# ---- this very host, unhooked (cgspawn not run: test_live.sh does that)
begin "this host, unhooked: reports its real cgroup mode"
hostfs=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)
OUT=$(env -u KERNEL_CHECK_CONFIG -u KERNEL_CHECK_PROC -u KERNEL_CHECK_ROOT -u KERNEL_CHECK_UNAME_R \
  -u KERNEL_CHECK_SYSTEMCTL CGSPAWN= "$SCRIPT" 2>"$T/host.err")
RC=$?
ERR=$(<"$T/host.err")
if [[ $hostfs == tmpfs && -f /sys/fs/cgroup/unified/cgroup.controllers ]]; then
  expect_rc 1
  grep -q '^FAIL cgroup mode: hybrid: cgroup v1 hierarchies at /sys/fs/cgroup (tmpfs) and cgroup2 only at /sys/fs/cgroup/unified; ' <<<"$OUT" ||
    bad "no hybrid FAIL line"
  expect_line "warn cgroup checks: skipped: cgspawn is not installed, so the cgroup root, its delegation, the controllers, the limits and the isolation were not checked; install cgspawn and run this again (or pass --cgspawn PATH), or run \`cgspawn check\` once it is installed"
  JOUT=$(CGSPAWN= "$SCRIPT" --json 2>/dev/null)
  JRC=$?
  F=$T # check_json writes its scratch files under $F
  check_json
  end
else
  printf 'skip  %s (/sys/fs/cgroup is %s, not the hybrid layout this case expects)\n' "$CASE" "$hostfs"
fi

finish
