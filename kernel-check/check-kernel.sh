#!/usr/bin/env bash
# check-kernel.sh: will CgroupSpawner's limits and isolation really work on
# this host, for this cgroup? Static checks only (files under /proc, /sys,
# /boot); `cgspawn check` is the live counterpart that writes limits.
#
# Usage: check-kernel.sh [--cgroup DIR] [--json] [--help]
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
#      the cgroup directory cannot be found)
#
# Needs bash >= 4 and coreutils, grep, gzip. Reads xattrs with getfattr (package
# `attr`) when it is installed; there is no dependency-free way to read an
# xattr from a shell, so without it that one check is a warning.
#
# Test hooks (environment variables for the test suite only; leave unset):
#   KERNEL_CHECK_CONFIG=FILE    kernel config to read (.gz is decompressed),
#                               instead of searching the usual places
#   KERNEL_CHECK_PROC=DIR       used instead of /proc: DIR/config.gz,
#                               DIR/1/comm, DIR/self/cgroup, DIR/self/mountinfo
#   KERNEL_CHECK_ROOT=DIR       prefixed to every other absolute path read:
#                               /boot, /usr/src, /run/systemd/system and the
#                               cgroup mount points found in mountinfo
#   KERNEL_CHECK_UNAME_R=REL    kernel release instead of `uname -r`
#   KERNEL_CHECK_SYSTEMCTL=CMD  run instead of `systemctl` (for --version)
#   KERNEL_CHECK_GETFATTR=CMD   run instead of `getfattr` ("" = not installed)
#   KERNEL_CHECK_UID=N          the caller's uid instead of `id -u`
# The cgroup mode is read from mountinfo (the filesystem type mounted at
# /sys/fs/cgroup), not from stat -f, so a fake mountinfo exercises it.

set -u
export LC_ALL=C
# A bug in this script (an unset variable, say) must not read as "a feature
# cannot work" (1): anything that ends the script before it decides is 2.
DECIDED=0
trap '[[ $DECIDED == 1 ]] || exit 2' EXIT

PROG=check-kernel.sh
PROC=${KERNEL_CHECK_PROC:-/proc}
ROOT=${KERNEL_CHECK_ROOT:-}
SYSTEMCTL=${KERNEL_CHECK_SYSTEMCTL:-systemctl}
if [[ -n ${KERNEL_CHECK_GETFATTR+set} ]]; then
  GETFATTR=$KERNEL_CHECK_GETFATTR
else
  GETFATTR=$(command -v getfattr 2>/dev/null || true)
fi

REQUIRED_CONTROLLERS="memory cpu pids"
OPTIONAL_CONTROLLERS="io"

usage() {
  cat <<'EOF'
Usage: check-kernel.sh [--cgroup DIR] [--json] [--help]

Checks, without changing anything, whether this host can enforce
CgroupSpawner's memory, CPU and task limits and its isolation: the kernel
config, the cgroup mode (unified/hybrid/legacy), systemd as PID 1 and its
version, the controllers enabled at the root and available in DIR, swap
accounting, whether DIR is delegated to the caller, and whether DIR holds
processes itself.

  --cgroup DIR  the cgroup the hub's servers will live under (cgspawn's
                --cgroup-root). Default: the caller's own cgroup from
                /proc/self/cgroup; a trailing /hub is dropped, since
                `cgspawn init` moves the hub there.
  --json        print {"verdict", "exit_status", "cgroup", "checks": [...]}
                instead of lines
  --help        this text

Output: one line per check, "ok   WHAT", "warn WHAT: REASON; FIX" or
"FAIL WHAT: REASON; FIX".
Exit status: 0 all needed features present (warnings allowed), 1 at least
one FAIL, 2 the check could not run.
EOF
}

# ---------------------------------------------------------------- results
json=0
R_STATUS=()
R_CHECK=()
R_MSG=()
R_FIX=()
n_fail=0
n_warn=0

# result STATUS CHECK MESSAGE [FIX]
result() {
  R_STATUS+=("$1")
  R_CHECK+=("$2")
  R_MSG+=("${3:-}")
  R_FIX+=("${4:-}")
  case $1 in
    FAIL) n_fail=$((n_fail + 1)) ;;
    warn) n_warn=$((n_warn + 1)) ;;
  esac
  if ((json == 0)); then
    local line
    case $1 in
      ok) line="ok   $2" ;;
      warn) line="warn $2" ;;
      FAIL) line="FAIL $2" ;;
    esac
    [[ -n ${3:-} ]] && line+=": $3"
    [[ -n ${4:-} ]] && line+="; $4"
    printf '%s\n' "$line"
  fi
}
ok() { result ok "$@"; }
warn() { result warn "$@"; }
fail() { result FAIL "$@"; }

# json_str STRING: REPLY=STRING as a JSON string literal. Escapes the
# quote, the backslash and every control character; other bytes pass through.
# (Results go through REPLY rather than $(...) to save a fork per call.)
json_str() {
  local s=$1 out='' c i code
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  if [[ $s == *[[:cntrl:]]* ]]; then
    for ((i = 0; i < ${#s}; i++)); do
      c=${s:i:1}
      case $c in
        $'\n') out+='\n' ;;
        $'\t') out+='\t' ;;
        $'\r') out+='\r' ;;
        [[:cntrl:]])
          printf -v code '%d' "'$c"
          printf -v c '\\u%04x' "$code"
          out+=$c
          ;;
        *) out+=$c ;;
      esac
    done
    s=$out
  fi
  REPLY="\"$s\""
}

CGROUP_DIR_SHOWN=''

emit_json() {
  local verdict=$1 status=$2 i sep='' st cgroup=null j_st j_check j_msg
  if [[ -n $CGROUP_DIR_SHOWN ]]; then
    json_str "$CGROUP_DIR_SHOWN"
    cgroup=$REPLY
  fi
  printf '{"verdict": "%s", "exit_status": %d, "cgroup": %s, "checks": [' "$verdict" "$status" "$cgroup"
  for i in "${!R_STATUS[@]}"; do
    st=${R_STATUS[i]}
    [[ $st == FAIL ]] && st=fail
    json_str "$st"
    j_st=$REPLY
    json_str "${R_CHECK[i]}"
    j_check=$REPLY
    json_str "${R_MSG[i]}"
    j_msg=$REPLY
    json_str "${R_FIX[i]}"
    printf '%s\n  {"status": %s, "check": %s, "message": %s, "fix": %s}' "$sep" \
      "$j_st" "$j_check" "$j_msg" "$REPLY"
    sep=,
  done
  printf '\n]}\n'
}

# die MESSAGE: the check itself cannot run: exit 2.
die() {
  printf '%s: %s\n' "$PROG" "$1" >&2
  if ((json)); then
    json_str "$1"
    printf '{"verdict": "error", "exit_status": 2, "error": %s, "checks": []}\n' "$REPLY"
  fi
  exit 2
}

# ---------------------------------------------------------------- arguments
DIR_ARG=''
while (($#)); do
  case $1 in
    --json) json=1 ;;
    --help | -h)
      usage
      DECIDED=1
      exit 0
      ;;
    --cgroup)
      [[ $# -ge 2 && -n $2 ]] || die "--cgroup needs a directory"
      DIR_ARG=$2
      shift
      ;;
    --cgroup=*)
      DIR_ARG=${1#--cgroup=}
      [[ -n $DIR_ARG ]] || die "--cgroup needs a directory"
      ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

CALLER_UID=${KERNEL_CHECK_UID:-$(id -u)}
UNAME_R=${KERNEL_CHECK_UNAME_R:-$(uname -r)}

[[ -r $PROC/self/mountinfo ]] ||
  die "cannot read $PROC/self/mountinfo: is /proc mounted?"

# ---------------------------------------------------------------- kernel config
CONFIG_TEXT=''

load_config() {
  local candidates=() f
  if [[ -n ${KERNEL_CHECK_CONFIG+set} ]]; then
    candidates=("$KERNEL_CHECK_CONFIG")
  else
    # Same order as SystemdSpawner's check-kernel.bash.
    candidates=("$PROC/config.gz" "$ROOT/boot/config-$UNAME_R"
      "$ROOT/usr/src/linux-$UNAME_R/.config" "$ROOT/usr/src/linux/.config")
  fi
  for f in "${candidates[@]}"; do
    [[ -f $f && -r $f ]] || continue
    if [[ $f == *.gz ]]; then
      CONFIG_TEXT=$(gzip -dc -- "$f" 2>/dev/null) || {
        warn "kernel config" "$f is not a readable gzip file" \
          "install the kernel's config as /boot/config-$UNAME_R"
        return 1
      }
    else
      CONFIG_TEXT=$(<"$f")
    fi
    # Keep only the lines of the options looked at below (a config has
    # thousands of lines).
    CONFIG_TEXT=$(grep -E '^(# )?CONFIG_(CGROUPS|MEMCG|MEMCG_SWAP|CGROUP_SCHED|CFS_BANDWIDTH|CGROUP_PIDS|SECCOMP_FILTER|TMPFS|NAMESPACES|SWAP)[= ]' <<<"$CONFIG_TEXT")
    ok "kernel config" "$f"
    return 0
  done
  warn "kernel config" "not found (searched ${candidates[*]}); kernel options cannot be verified, the cgroup checks below still apply" \
    "modprobe configs (for /proc/config.gz) or install the kernel's config as /boot/config-$UNAME_R"
  return 1
}

# config_value NAME: REPLY=y, m, another value, "n" for "# NAME is not
# set", or empty when the option does not appear at all (the last line wins).
config_value() {
  local line
  REPLY=''
  while IFS= read -r line; do
    case $line in
      "# $1 is not set") REPLY=n ;;
      "$1="*) REPLY=${line#"$1"=} ;;
    esac
  done <<<"$CONFIG_TEXT"
}

# check_option NAME SEVERITY-WHEN-MISSING WHAT-STOPS-WORKING
check_option() {
  local name=$1 sev=$2 why=$3 v
  config_value "$name"
  v=$REPLY
  case $v in
    y) ok "$name" "=y" ;;
    m) warn "$name" "=m: built as a module, works only once it is loaded" \
      "make sure the module is loaded at boot, or rebuild with $name=y" ;;
    n | '')
      local state="not set"
      [[ -z $v ]] && state="absent from the config"
      result "$sev" "$name" "$state: $why" "rebuild the kernel with $name=y (or use a distribution kernel)"
      ;;
    *) warn "$name" "unexpected value '$v'" "rebuild the kernel with $name=y" ;;
  esac
}

check_config() {
  load_config || return 0
  check_option CONFIG_CGROUPS FAIL "no cgroups at all: no memory, CPU or task limit can be enforced and cgspawn cannot run"
  check_option CONFIG_MEMCG FAIL "no memory controller: memory limits (memory.max, memory.low) cannot be enforced"
  check_option CONFIG_CGROUP_SCHED FAIL "no cpu controller: neither cpu.max nor cpu.weight exists"
  # CPU quotas (cpu.max, cpu_limit) need CONFIG_CFS_BANDWIDTH.
  # CONFIG_FAIR_GROUP_SCHED, which SystemdSpawner's script checks, only gives
  # proportional shares (cpu.weight); a kernel can have it without
  # CFS_BANDWIDTH and then silently has no cpu.max.
  check_option CONFIG_CFS_BANDWIDTH FAIL "no CPU bandwidth control: cpu.max does not exist, so CPU quotas (cpu_limit) cannot be enforced (cpu.weight still works)"
  check_option CONFIG_CGROUP_PIDS FAIL "no pids controller: the task limit (pids.max) cannot be enforced and a fork bomb is unbounded"
  check_option CONFIG_SECCOMP_FILTER FAIL "no seccomp filters: cgspawn --seccomp default cannot load its filter, so spawns fail unless --seccomp none"
  check_option CONFIG_TMPFS FAIL "no tmpfs: --private-tmp and --private-devices cannot mount their private /tmp and /dev"
  # Mount namespaces (the only kind cgspawn uses) exist in every kernel;
  # CONFIG_NAMESPACES gates the UTS/IPC/PID/network/user namespaces.
  check_option CONFIG_NAMESPACES warn "no UTS/IPC/PID/network/user namespaces; cgspawn's isolation uses only the mount namespace, which every kernel has, but other sandboxing tools need these"

  # Swap accounting: CONFIG_MEMCG_SWAP until Linux 6.0; from 6.1 it is part
  # of MEMCG whenever CONFIG_SWAP is set (and the option is gone).
  local swap memcg_swap
  config_value CONFIG_MEMCG_SWAP
  memcg_swap=$REPLY
  config_value CONFIG_SWAP
  swap=$REPLY
  if [[ $memcg_swap == y ]]; then
    ok "swap accounting (config)" "CONFIG_MEMCG_SWAP=y"
  elif [[ -n $memcg_swap ]]; then
    warn "swap accounting (config)" "CONFIG_MEMCG_SWAP is $memcg_swap: memory.swap.max does not exist, mem_swap_limit cannot be enforced" \
      "rebuild the kernel with CONFIG_MEMCG_SWAP=y"
  elif [[ $swap == y ]]; then
    ok "swap accounting (config)" "CONFIG_SWAP=y (no CONFIG_MEMCG_SWAP: since Linux 6.1 swap accounting comes with MEMCG and SWAP)"
  else
    warn "swap accounting (config)" "CONFIG_SWAP is not set: the kernel cannot swap, memory.swap.max does not exist" \
      "nothing to do unless you want swap; then rebuild with CONFIG_SWAP=y"
  fi
}

# ---------------------------------------------------------------- mountinfo
# unescape_mountinfo STRING: REPLY=STRING with \040 etc. turned into the
# bytes they stand for.
unescape_mountinfo() {
  REPLY=$1
  if [[ $REPLY == *\\[0-7][0-7][0-7]* ]]; then
    printf -v REPLY '%b' "${REPLY//\\/\\0}"
  fi
}

CG2_MOUNT=''  # the cgroup2 mount point (as the kernel names it)
CG2_REAL=''   # the same with $ROOT prefixed: where this script reads it
SYSFS_TYPE='' # filesystem type mounted at /sys/fs/cgroup
declare -A V1_MOUNT=() # v1 controller -> its mount point
V1_COUNT=0

read_mountinfo() {
  local line head tail fields tfields mp fstype superopts opt opts
  while IFS= read -r line || [[ -n $line ]]; do
    [[ $line == *" - "* ]] || continue
    head=${line%% - *}
    tail=${line#* - }
    read -r -a fields <<<"$head"
    read -r -a tfields <<<"$tail"
    ((${#fields[@]} >= 5 && ${#tfields[@]} >= 1)) || continue
    unescape_mountinfo "${fields[4]}"
    mp=$REPLY
    fstype=${tfields[0]}
    superopts=${tfields[2]:-}
    [[ $mp == /sys/fs/cgroup ]] && SYSFS_TYPE=$fstype
    case $fstype in
      cgroup2)
        # Only a mount of the hierarchy's root ("/" as its root field) maps
        # /proc/self/cgroup paths onto directories.
        if [[ ${fields[3]} == / && -z $CG2_MOUNT ]]; then CG2_MOUNT=$mp; fi
        ;;
      cgroup)
        V1_COUNT=$((V1_COUNT + 1))
        IFS=, read -r -a opts <<<"$superopts"
        for opt in "${opts[@]}"; do
          case $opt in
            rw | ro | name=* | none | noprefix | xattr | clone_children | release_agent=* | cpuset_v2_mode | favordynmods) ;;
            *) [[ -z ${V1_MOUNT[$opt]:-} ]] && V1_MOUNT[$opt]=$mp ;;
          esac
        done
        ;;
    esac
  done <"$PROC/self/mountinfo"
  [[ -n $CG2_MOUNT ]] && CG2_REAL=$ROOT$CG2_MOUNT
  return 0
}

# v1_note CONTROLLERS...: " (memory bound to cgroup v1 at /sys/fs/cgroup/memory, ...)"
v1_note() {
  local c out=''
  for c in "$@"; do
    [[ -n ${V1_MOUNT[$c]:-} ]] || continue
    out+="${out:+, }$c is bound to cgroup v1 at ${V1_MOUNT[$c]}"
  done
  [[ -n $out ]] && printf ' (%s)' "$out"
  return 0
}

MODE=''
HYBRID_FIX="boot with systemd.unified_cgroup_hierarchy=1 on the kernel command line (add cgroup_no_v1=all where v1 hierarchies still get mounted), or use a distribution that defaults to the unified hierarchy"

check_mode() {
  if [[ $SYSFS_TYPE == cgroup2 ]]; then
    MODE=unified
    if ((V1_COUNT)); then
      warn "cgroup mode" "unified (cgroup2 at /sys/fs/cgroup), but $V1_COUNT cgroup v1 hierarchies are mounted as well; controllers bound to them are missing from cgroup2" \
        "unmount them or boot with cgroup_no_v1=all"
    else
      ok "cgroup mode" "unified (cgroup2 at /sys/fs/cgroup)"
    fi
  elif [[ -n $CG2_MOUNT ]] && ((V1_COUNT)); then
    MODE=hybrid
    local c bound=()
    for c in $REQUIRED_CONTROLLERS; do
      [[ -n ${V1_MOUNT[$c]:-} ]] && bound+=("$c")
    done
    if ((${#bound[@]})); then
      fail "cgroup mode" "hybrid: cgroup v1 hierarchies at /sys/fs/cgroup${SYSFS_TYPE:+ ($SYSFS_TYPE)} and cgroup2 only at $CG2_MOUNT; the controllers ${bound[*]} are bound to v1, so their limits cannot work in cgroup2" \
        "$HYBRID_FIX"
    else
      warn "cgroup mode" "hybrid: cgroup v1 hierarchies at /sys/fs/cgroup${SYSFS_TYPE:+ ($SYSFS_TYPE)} and cgroup2 at $CG2_MOUNT, but no required controller is bound to v1" \
        "$HYBRID_FIX"
    fi
  elif [[ -n $CG2_MOUNT ]]; then
    MODE=unified
    ok "cgroup mode" "unified (cgroup2 at $CG2_MOUNT, no cgroup v1 hierarchy)"
  elif ((V1_COUNT)); then
    MODE=legacy
    fail "cgroup mode" "legacy: only cgroup v1 hierarchies are mounted, no cgroup2; cgspawn needs cgroup v2 and no limit can work" \
      "$HYBRID_FIX"
  else
    MODE=none
    fail "cgroup mode" "no cgroup filesystem is mounted" \
      "mount cgroup2 at /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup) or boot with systemd"
  fi
}

# ---------------------------------------------------------------- systemd
SYSTEMD_PID1=0
SYSTEMD_VERSION=0

check_systemd() {
  local comm='' first
  [[ -r $PROC/1/comm ]] && comm=$(<"$PROC/1/comm")
  if [[ $comm == systemd || -d $ROOT/run/systemd/system ]]; then
    SYSTEMD_PID1=1
    ok "systemd as PID 1"
  else
    warn "systemd as PID 1" "PID 1 is ${comm:-unknown}, not systemd: no unit can have Delegate=yes" \
      "cgspawn still works with --cgroup-root on a cgroup2 directory you delegated by hand; otherwise run the hub on a systemd host"
    return 0
  fi
  first=$("$SYSTEMCTL" --version 2>/dev/null | head -n 1)
  if [[ $first =~ ^systemd\ ([0-9]+) ]]; then
    SYSTEMD_VERSION=${BASH_REMATCH[1]}
    if ((SYSTEMD_VERSION < 243)); then
      fail "systemd version" "$SYSTEMD_VERSION < 243: too old for cgroup v2 delegation to the hub (243 is the first release that defaults to the unified hierarchy)" \
        "upgrade systemd (the distribution) to 243 or later, 245 or later recommended"
    elif ((SYSTEMD_VERSION < 245)); then
      warn "systemd version" "$SYSTEMD_VERSION < 245: cgroup v2 delegation was still maturing" \
        "upgrade systemd to 245 or later"
    else
      ok "systemd version" "$SYSTEMD_VERSION"
    fi
  else
    warn "systemd version" "could not read it from '$SYSTEMCTL --version'" \
      "make sure systemd is at least 243 (245 recommended)"
  fi
}

# ---------------------------------------------------------------- cgroups
# words_missing "WANTED" "HAVE": REPLY=the words of WANTED not in HAVE.
words_missing() {
  local w out=()
  for w in $1; do
    [[ " $2 " == *" $w "* ]] || out+=("$w")
  done
  REPLY="${out[*]}"
}

# read_words FILE: REPLY=its whitespace-separated words on one line.
read_words() {
  local -a words=()
  [[ -r $1 ]] && read -r -d '' -a words <"$1"
  REPLY="${words[*]}"
}

ROOT_AVAILABLE=''

check_root_controllers() {
  local avail enabled missing opt_missing not_enabled
  if [[ ! -r $CG2_REAL/cgroup.controllers ]]; then
    fail "controllers at the root" "cannot read $CG2_MOUNT/cgroup.controllers" \
      "check that cgroup2 is mounted at $CG2_MOUNT"
    return
  fi
  read_words "$CG2_REAL/cgroup.controllers"
  avail=$REPLY
  read_words "$CG2_REAL/cgroup.subtree_control"
  enabled=$REPLY
  ROOT_AVAILABLE=$avail
  words_missing "$REQUIRED_CONTROLLERS" "$avail"
  missing=$REPLY
  words_missing "$OPTIONAL_CONTROLLERS" "$avail"
  opt_missing=$REPLY
  words_missing "$REQUIRED_CONTROLLERS" "$enabled"
  not_enabled=$REPLY
  # shellcheck disable=SC2086
  if [[ -n $missing ]]; then
    local fix=$HYBRID_FIX
    [[ $MODE == unified ]] && fix="enable it in the kernel config (see above) and remove any cgroup_disable= or cgroup_no_v1= exception from the kernel command line"
    fail "controllers at the root" "cgroup2 offers only '${avail}', missing: $missing$(v1_note $missing)" "$fix"
  elif [[ -n $not_enabled ]]; then
    warn "controllers at the root" "available: $avail; not enabled for children at the root: $not_enabled" \
      "systemd enables them for units with Delegate=yes; without systemd: echo +${not_enabled// / +} > $CG2_MOUNT/cgroup.subtree_control"
  elif [[ -n $opt_missing ]]; then
    warn "controllers at the root" "available: $avail; optional io controller missing: no I/O limits" \
      "enable CONFIG_BLK_CGROUP and boot the unified hierarchy if you want I/O limits"
  else
    ok "controllers at the root" "available: $avail; enabled for children: $enabled"
  fi
}

DIR=''
DIR_SHOWN=''

# Resolve the cgroup directory to check into DIR (a path this script reads)
# and DIR_SHOWN (the same as the kernel names it, without $ROOT).
resolve_dir() {
  local real mount_real
  mount_real=$(readlink -f -- "$CG2_REAL") || die "cannot resolve the cgroup2 mount $CG2_REAL"
  if [[ -n $DIR_ARG ]]; then
    [[ -d $DIR_ARG ]] || die "--cgroup $DIR_ARG: no such directory"
    real=$(readlink -f -- "$DIR_ARG") || die "--cgroup $DIR_ARG: cannot resolve it"
  else
    local line path=''
    [[ -r $PROC/self/cgroup ]] || die "cannot read $PROC/self/cgroup: is /proc mounted?"
    while IFS= read -r line || [[ -n $line ]]; do
      if [[ $line == 0::* ]]; then
        path=${line#0::}
        break
      fi
    done <"$PROC/self/cgroup"
    [[ $path == /* ]] ||
      die "no cgroup v2 entry (0::/...) in $PROC/self/cgroup; pass --cgroup DIR"
    [[ $path == */hub ]] && path=${path%/hub}
    [[ -z $path ]] && path=/
    real=$CG2_REAL${path%/}
    [[ $path == / ]] && real=$CG2_REAL
    [[ -d $real ]] ||
      die "the caller's cgroup $CG2_MOUNT$path does not exist (a cgroup namespace?); pass --cgroup DIR"
    real=$(readlink -f -- "$real")
  fi
  if [[ $real != "$mount_real" && $real != "$mount_real"/* ]]; then
    die "--cgroup $DIR_ARG is not on the cgroup2 hierarchy mounted at $CG2_MOUNT"
  fi
  [[ -e $real/cgroup.procs ]] || die "$real is not a cgroup directory (no cgroup.procs)"
  DIR=$real
  DIR_SHOWN=$CG2_MOUNT${real#"$mount_real"}
  [[ $DIR_SHOWN == //* ]] && DIR_SHOWN=${DIR_SHOWN#/}
  CGROUP_DIR_SHOWN=$DIR_SHOWN
}

DIR_IS_ROOT=0

check_dir_controllers() {
  local avail missing opt_missing fix
  read_words "$DIR/cgroup.controllers"
  avail=$REPLY
  words_missing "$REQUIRED_CONTROLLERS" "$avail"
  missing=$REPLY
  words_missing "$OPTIONAL_CONTROLLERS" "$avail"
  opt_missing=$REPLY
  if [[ -n $missing ]]; then
    words_missing "$missing" "$ROOT_AVAILABLE"
    if [[ -n $REPLY ]]; then
      fix="make the controllers available at the root first (see controllers at the root)"
    else
      fix="enable them in cgroup.subtree_control of every ancestor of $DIR_SHOWN: add Delegate=yes to the hub's unit, which makes systemd do that"
    fi
    # shellcheck disable=SC2086
    fail "controllers in $DIR_SHOWN" "available: '${avail}', missing: $missing$(v1_note $missing): the limits of those controllers cannot be set" "$fix"
  elif [[ -n $opt_missing ]]; then
    warn "controllers in $DIR_SHOWN" "available: $avail; optional io controller missing: no I/O limits" \
      "add Delegate=yes (or Delegate=cpu memory pids io) to the hub's unit if you want I/O limits"
  else
    ok "controllers in $DIR_SHOWN" "available: $avail"
  fi
}

check_swap_files() {
  local f found='' has_memory_files=0
  for f in "$DIR/memory.swap.max" "$DIR"/*/memory.swap.max; do
    [[ -e $f ]] && {
      found=$f
      break
    }
  done
  for f in "$DIR/memory.max" "$DIR"/*/memory.max; do
    [[ -e $f ]] && {
      has_memory_files=1
      break
    }
  done
  if [[ -n $found ]]; then
    if [[ $found == "$DIR/memory.swap.max" ]]; then
      ok "swap accounting" "memory.swap.max present"
    else
      ok "swap accounting" "memory.swap.max present in ${found#"$DIR"/}"
    fi
  elif ((has_memory_files)); then
    warn "swap accounting" "memory.max exists but memory.swap.max does not: mem_swap_limit cannot be enforced (swap accounting is off)" \
      "boot without swapaccount=0 (CONFIG_MEMCG_SWAP=y before Linux 6.1, CONFIG_SWAP=y after)"
  else
    warn "swap accounting" "no memory.* files in $DIR_SHOWN or its children, so swap accounting cannot be verified: mem_swap_limit may not be enforceable" \
      "make the memory controller available in $DIR_SHOWN (see above), then run cgspawn init and this check again"
  fi
}

check_write_access() {
  local f owner bad=()
  if ((DIR_IS_ROOT)); then
    fail "delegation of $DIR_SHOWN" "it is the root of the cgroup2 hierarchy: cgspawn refuses to manage it, and nothing there is delegated" \
      "add Delegate=yes to the hub's unit and run the check from the hub's cgroup, or pass --cgroup a delegated directory"
    return 1
  fi
  owner=$(stat -c %u -- "$DIR")
  [[ -w $DIR ]] || bad+=("the directory")
  for f in cgroup.procs cgroup.subtree_control cgroup.threads; do
    [[ -e $DIR/$f && -w $DIR/$f ]] || bad+=("$f")
  done
  # A FAIL here returns 1: the delegation marker is not looked at then.
  if [[ $owner != "$CALLER_UID" && $CALLER_UID != 0 ]]; then
    fail "write access to $DIR_SHOWN" "owned by uid $owner, not by the caller (uid $CALLER_UID)${bad:+; not writable: ${bad[*]}}" \
      "add Delegate=yes to the hub's unit (with User=, systemd then chowns the cgroup to that user)"
    return 1
  elif ((${#bad[@]})); then
    fail "write access to $DIR_SHOWN" "not writable by uid $CALLER_UID: ${bad[*]}" \
      "add Delegate=yes to the hub's unit; if the cgroup filesystem is mounted read-only (a container), delegate a writable one"
    return 1
  elif [[ $CALLER_UID == 0 ]]; then
    ok "write access to $DIR_SHOWN" "running as root; directory, cgroup.procs, cgroup.subtree_control and cgroup.threads writable"
  else
    ok "write access to $DIR_SHOWN" "owned by uid $CALLER_UID; cgroup.procs, cgroup.subtree_control and cgroup.threads writable"
  fi
}

# read_xattr NAME PATH: prints the value of xattr NAME of PATH, fails if absent.
read_xattr() {
  "$GETFATTR" --absolute-names --only-values -n "$1" -- "$2" 2>/dev/null
}

check_delegate_marker() {
  local what="delegation of $DIR_SHOWN" name value
  if ((!SYSTEMD_PID1)); then
    warn "$what" "PID 1 is not systemd, so nothing marks $DIR_SHOWN as delegated" \
      "make sure no other process manages $DIR_SHOWN and its parent (cgspawn init, then --cgroup-root)"
    return
  fi
  if ((SYSTEMD_VERSION > 0 && SYSTEMD_VERSION < 251)); then
    warn "$what" "systemd $SYSTEMD_VERSION < 251 marks no delegated cgroup, so delegation cannot be verified" \
      "make sure the hub's unit has Delegate=yes (systemctl show -p Delegate UNIT)"
    return
  fi
  if [[ -z $GETFATTR ]] || ! command -v "$GETFATTR" >/dev/null 2>&1; then
    warn "$what" "the trusted.delegate/user.delegate xattr could not be read: getfattr is not installed" \
      "apt-get install attr and run again, or check systemctl show -p Delegate UNIT"
    return
  fi
  # systemd marks the unit's own cgroup; DIR may be a directory below it
  # (D/users), so look at DIR and then its ancestors up to the mount.
  local d=$DIR mount_real where
  mount_real=$(readlink -f -- "$CG2_REAL")
  while [[ $d == "$mount_real"/* ]]; do
    for name in trusted.delegate user.delegate; do
      value=$(read_xattr "$name" "$d") || continue
      if [[ $value == 1 ]]; then
        where=''
        [[ $d != "$DIR" ]] && where=" on $CG2_MOUNT${d#"$mount_real"}"
        ok "$what" "$name=1$where (set by systemd for Delegate=yes)"
        return
      fi
    done
    d=${d%/*}
  done
  if [[ $CALLER_UID != 0 ]]; then
    # trusted.* needs CAP_SYS_ADMIN to read; systemd < 253 sets only that one.
    ok "$what" "no user.delegate xattr readable, but $DIR_SHOWN is owned by the caller, which systemd does only for Delegate=yes"
    return
  fi
  fail "$what" "neither $DIR_SHOWN nor an ancestor has a trusted.delegate or user.delegate xattr: systemd does not consider it delegated and may reset its cgroup.subtree_control or move its processes" \
    "add Delegate=yes to the hub's unit"
}

check_internal_processes() {
  local pids=() n=0 children=() d subtree
  if ((DIR_IS_ROOT)); then
    ok "internal processes in $DIR_SHOWN" "the root cgroup is exempt from the no-internal-processes rule"
    return
  fi
  [[ -r $DIR/cgroup.procs ]] && read -r -d '' -a pids <"$DIR/cgroup.procs"
  # This check's own process does not count (run from ExecStartPre=, it
  # sits in DIR itself).
  for d in "${pids[@]}"; do
    [[ $d == "$$" ]] || n=$((n + 1))
  done
  for d in "$DIR"/*/; do
    [[ -d $d ]] || continue
    d=${d%/}
    children+=("${d##*/}")
  done
  read_words "$DIR/cgroup.subtree_control"
  subtree=$REPLY
  if ((n == 0)); then
    ok "internal processes in $DIR_SHOWN" "none"
  elif ((${#children[@]})) || [[ -n $subtree ]]; then
    warn "internal processes in $DIR_SHOWN" "$n processes live in $DIR_SHOWN itself while it has child cgroups (${children[*]:-none}); controllers cannot be enabled for its children until they leave" \
      "run cgspawn init (moves them to $DIR_SHOWN/hub)"
  else
    warn "internal processes in $DIR_SHOWN" "$n processes live in $DIR_SHOWN itself (the hub before cgspawn init); no controller can be enabled for children while they are there" \
      "run cgspawn init (moves them to $DIR_SHOWN/hub)"
  fi
}

check_cgroup_dir() {
  if [[ $MODE == legacy || $MODE == none ]]; then
    warn "cgroup checks" "skipped: no cgroup2 hierarchy is mounted (see cgroup mode)" \
      "$HYBRID_FIX"
    return
  fi
  check_root_controllers
  resolve_dir
  [[ $DIR == "$(readlink -f -- "$CG2_REAL")" ]] && DIR_IS_ROOT=1
  check_dir_controllers
  check_swap_files
  if check_write_access; then
    check_delegate_marker
  fi
  check_internal_processes
}

# ---------------------------------------------------------------- main
read_mountinfo
check_config
check_mode
check_systemd
check_cgroup_dir

if ((n_fail)); then
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
  emit_json "$verdict" "$status"
else
  printf -- '-- %s: %d FAIL, %d warn%s\n' "$verdict" "$n_fail" "$n_warn" \
    "${CGROUP_DIR_SHOWN:+ (cgroup $CGROUP_DIR_SHOWN)}"
fi
DECIDED=1
exit "$status"
