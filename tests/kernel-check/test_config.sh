#!/usr/bin/env bash
# check-kernel.sh: the kernel config: each option present, absent, not set and =m, the
# search order, gzip'd and corrupt configs, and the healthy host's whole output
# (harness and fixtures: lib.sh).
# shellcheck source=lib.sh
source "$(dirname -- "$0")/lib.sh"

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
ok   systemd version: 252 (hub restarts: the two-unit layout, examples/jupyterhub-servers.service; one unit needs DelegateSubgroup=, systemd 254)
$(eval echo "\"$L_LIVE_RAN\"")
$L_LIVE_FOUND
-- ok: 0 FAIL, 0 warn (cgroup $D)"
end

# ---- kernel config options
declare -A WHY=(
  [CONFIG_CGROUPS]='no cgroups at all: no memory, CPU or task limit can be enforced and cgspawn cannot run'
  [CONFIG_MEMCG]='no memory controller: memory limits (memory.max, memory.low) cannot be enforced'
  [CONFIG_CGROUP_SCHED]='no cpu controller: neither cpu.max nor cpu.weight exists'
  [CONFIG_CFS_BANDWIDTH]='no CPU bandwidth control: cpu.max does not exist, so CPU quotas cannot be enforced (cpu.weight still works)'
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
expect_line "warn swap accounting (config): CONFIG_MEMCG_SWAP is n: memory.swap.max does not exist and cannot be enforced; $REBUILD CONFIG_MEMCG_SWAP=y"
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
expect_line "$L_MODE_UNIFIED" "ok   cgroup root $D"
end

finish
