#!/usr/bin/env bash
# check-kernel.sh: will CgroupSpawner's limits and isolation really work on
# this host? This script owns what must be known without cgspawn (the
# kernel config, the cgroup mode, systemd and its version); everything that
# needs the cgroup tree is `cgspawn check`'s, which it runs when cgspawn is
# installed and whose findings it reports as its own.
#
# Usage: check-kernel.sh [--cgroup DIR] [--cgspawn PATH] [--json] [--help]
#
# One line per check, then a summary line starting with "-- ":
#   ok   WHAT[: detail]
#   warn WHAT: REASON; FIX
#   FAIL WHAT: REASON; FIX
#   -- fail: 2 FAIL, 1 warn (cgroup /sys/fs/cgroup/...)
#
# Exit status:
#   0  every needed feature is present (warnings allowed)
#   1  at least one FAIL: a feature CgroupSpawner needs cannot work
#   2  the check itself could not run (bad arguments, /proc not mounted,
#      cgspawn check could not find or resolve the cgroup root)
#
# Needs bash >= 4 and coreutils, grep, gzip; the files in lib/ beside it
# (or, installed, in ../share/cgspawn/kernel-check/lib).
#
# Test hooks (environment variables for the test suite only; leave unset):
#   KERNEL_CHECK_CONFIG=FILE    kernel config to read (.gz is decompressed),
#                               instead of searching the usual places
#   KERNEL_CHECK_PROC=DIR       used instead of /proc: DIR/config.gz,
#                               DIR/1/comm, DIR/self/mountinfo
#   KERNEL_CHECK_ROOT=DIR       prefixed to /boot, /usr/src, /run/systemd/system
#   KERNEL_CHECK_UNAME_R=REL    kernel release instead of `uname -r`
#   KERNEL_CHECK_SYSTEMCTL=CMD  run instead of `systemctl` (for --version)
# and CGSPAWN=PATH (not only a hook): the cgspawn to run; set but empty, as
# if cgspawn were not installed.

set -u
export LC_ALL=C
# A bug in this script (an unset variable, say) must not read as "a feature
# cannot work" (1): anything that ends the script before it decides is 2.
DECIDED=0
trap '[[ $DECIDED == 1 ]] || exit 2' EXIT

PROG=check-kernel.sh
HERE=$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")
PROC=${KERNEL_CHECK_PROC:-/proc}
ROOT=${KERNEL_CHECK_ROOT:-}
SYSTEMCTL=${KERNEL_CHECK_SYSTEMCTL:-systemctl}

lib=''
for d in "$HERE/lib" "$HERE/../share/cgspawn/kernel-check/lib"; do
  [[ -r $d/report.sh ]] && lib=$d && break
done
[[ -n $lib ]] || {
  echo "$PROG: its lib/ directory is missing (looked in $HERE/lib and $HERE/../share/cgspawn/kernel-check/lib); reinstall cgspawn" >&2
  exit 2
}
# shellcheck source=lib/report.sh
source "$lib/report.sh"
# shellcheck source=lib/config.sh
source "$lib/config.sh"
# shellcheck source=lib/mounts.sh
source "$lib/mounts.sh"
# shellcheck source=lib/systemd.sh
source "$lib/systemd.sh"
# shellcheck source=lib/live.sh
source "$lib/live.sh"

usage() {
  cat <<'EOF_USAGE'
Usage: check-kernel.sh [--cgroup DIR] [--cgspawn PATH] [--json] [--help]

Checks, without changing anything, whether this host can enforce
CgroupSpawner's memory, CPU and task limits and its isolation: the kernel
config, the cgroup mode (unified/hybrid/legacy), systemd as PID 1 and its
version. When cgspawn is installed it then runs `cgspawn check`, which
judges the cgroup root, its delegation, the controllers, each limit and the
isolation steps in a throwaway cgroup, and reports those findings too.

  --cgroup DIR    the hub's delegated cgroup (cgspawn's --cgroup-root).
                  Default: cgspawn check's, the caller's own cgroup
  --cgspawn PATH  the cgspawn to run (default: $CGSPAWN, the cgspawn beside
                  this script, then cgspawn on PATH)
  --json          print {"verdict", "exit_status", "cgroup", "checks": [...]}
                  instead of lines; each check has a stable "id"
  --help          this text

Output: one line per check, "ok   WHAT", "warn WHAT: REASON; FIX" or
"FAIL WHAT: REASON; FIX".
Exit status: 0 all needed features present (warnings allowed), 1 at least
one FAIL, 2 the check could not run.
EOF_USAGE
}

# ---------------------------------------------------------------- arguments
json=0
DIR_ARG=''
CGSPAWN_ARG=''
while (($#)); do
  case $1 in
    --json) json=1 ;;
    --help | -h)
      usage
      DECIDED=1
      exit 0
      ;;
    --cgroup | --cgspawn)
      [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value"
      [[ $1 == --cgroup ]] && DIR_ARG=$2 || CGSPAWN_ARG=$2
      shift
      ;;
    --cgroup=*)
      DIR_ARG=${1#--cgroup=}
      [[ -n $DIR_ARG ]] || die "--cgroup needs a value"
      ;;
    --cgspawn=*)
      CGSPAWN_ARG=${1#--cgspawn=}
      [[ -n $CGSPAWN_ARG ]] || die "--cgspawn needs a value"
      ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

UNAME_R=${KERNEL_CHECK_UNAME_R:-$(uname -r)}

[[ -r $PROC/self/mountinfo ]] ||
  die "cannot read $PROC/self/mountinfo: is /proc mounted?"

# ---------------------------------------------------------------- main
find_cgspawn
read_mountinfo
check_config
check_mode
check_systemd
check_live
live=$?

if ((live == 2)); then
  printf '%s: %s\n' "$PROG" "$LIVE_ERROR" >&2
  status=2
  verdict=error
elif ((n_fail)); then
  status=1
  verdict=fail
elif ((n_warn)); then
  status=0
  verdict=warn
else
  status=0
  verdict=ok
fi
if ((json)); then
  emit_json "$verdict" "$status" "$( ((live == 2)) && printf '%s' "$LIVE_ERROR")"
else
  printf -- '-- %s: %d FAIL, %d warn%s\n' "$verdict" "$n_fail" "$n_warn" \
    "${CGROUP_DIR_SHOWN:+ (cgroup $CGROUP_DIR_SHOWN)}"
fi
DECIDED=1
exit "$status"
