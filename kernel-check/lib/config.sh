# shellcheck shell=bash
# check-kernel.sh: the kernel config (sourced, not run). Ids:
# kernel.config, kernel.config.<option without CONFIG_, lowercase>,
# kernel.config.swap_accounting.

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
        warn kernel.config "kernel config" "$f is not a readable gzip file" \
          "install the kernel's config as /boot/config-$UNAME_R"
        return 1
      }
    else
      CONFIG_TEXT=$(<"$f")
    fi
    # Keep only the lines of the options looked at below (a config has
    # thousands of lines).
    CONFIG_TEXT=$(grep -E '^(# )?CONFIG_(CGROUPS|MEMCG|MEMCG_SWAP|CGROUP_SCHED|CFS_BANDWIDTH|CGROUP_PIDS|SECCOMP_FILTER|TMPFS|NAMESPACES|SWAP)[= ]' <<<"$CONFIG_TEXT")
    ok kernel.config "kernel config" "$f"
    return 0
  done
  warn kernel.config "kernel config" "not found (searched ${candidates[*]}); kernel options cannot be verified, the cgroup checks below still apply" \
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
  local name=$1 sev=$2 why=$3 v id
  id=${name#CONFIG_}
  id=kernel.config.${id,,}
  config_value "$name"
  v=$REPLY
  case $v in
    y) ok "$id" "$name" "=y" ;;
    m) warn "$id" "$name" "=m: built as a module, works only once it is loaded" \
      "make sure the module is loaded at boot, or rebuild with $name=y" ;;
    n | '')
      local state="not set"
      [[ -z $v ]] && state="absent from the config"
      result "$sev" "$id" "$name" "$state: $why" "rebuild the kernel with $name=y (or use a distribution kernel)"
      ;;
    *) warn "$id" "$name" "unexpected value '$v'" "rebuild the kernel with $name=y" ;;
  esac
}

# Swap accounting: CONFIG_MEMCG_SWAP until Linux 6.0; from 6.1 it is part
# of MEMCG whenever CONFIG_SWAP is set (and the option is gone).
check_swap_config() {
  local swap memcg_swap id=kernel.config.swap_accounting what="swap accounting (config)"
  config_value CONFIG_MEMCG_SWAP
  memcg_swap=$REPLY
  config_value CONFIG_SWAP
  swap=$REPLY
  if [[ $memcg_swap == y ]]; then
    ok $id "$what" "CONFIG_MEMCG_SWAP=y"
  elif [[ -n $memcg_swap ]]; then
    warn $id "$what" "CONFIG_MEMCG_SWAP is $memcg_swap: memory.swap.max does not exist and cannot be enforced" \
      "rebuild the kernel with CONFIG_MEMCG_SWAP=y"
  elif [[ $swap == y ]]; then
    ok $id "$what" "CONFIG_SWAP=y (no CONFIG_MEMCG_SWAP: since Linux 6.1 swap accounting comes with MEMCG and SWAP)"
  else
    warn $id "$what" "CONFIG_SWAP is not set: the kernel cannot swap, memory.swap.max does not exist" \
      "nothing to do unless you want swap; then rebuild with CONFIG_SWAP=y"
  fi
}

check_config() {
  load_config || return 0
  check_option CONFIG_CGROUPS FAIL "no cgroups at all: no memory, CPU or task limit can be enforced and cgspawn cannot run"
  check_option CONFIG_MEMCG FAIL "no memory controller: memory limits (memory.max, memory.low) cannot be enforced"
  check_option CONFIG_CGROUP_SCHED FAIL "no cpu controller: neither cpu.max nor cpu.weight exists"
  # CPU quotas (cpu.max) need CONFIG_CFS_BANDWIDTH. CONFIG_FAIR_GROUP_SCHED,
  # which SystemdSpawner's script checks, only gives proportional shares
  # (cpu.weight); a kernel can have it without CFS_BANDWIDTH and then
  # silently has no cpu.max.
  check_option CONFIG_CFS_BANDWIDTH FAIL "no CPU bandwidth control: cpu.max does not exist, so CPU quotas cannot be enforced (cpu.weight still works)"
  check_option CONFIG_CGROUP_PIDS FAIL "no pids controller: the task limit (pids.max) cannot be enforced and a fork bomb is unbounded"
  check_option CONFIG_SECCOMP_FILTER FAIL "no seccomp filters: cgspawn --seccomp default cannot load its filter, so spawns fail unless --seccomp none"
  check_option CONFIG_TMPFS FAIL "no tmpfs: --private-tmp and --private-devices cannot mount their private /tmp and /dev"
  # Mount namespaces (the only kind cgspawn uses) exist in every kernel;
  # CONFIG_NAMESPACES gates the UTS/IPC/PID/network/user namespaces.
  check_option CONFIG_NAMESPACES warn "no UTS/IPC/PID/network/user namespaces; cgspawn's isolation uses only the mount namespace, which every kernel has, but other sandboxing tools need these"
  check_swap_config
}
