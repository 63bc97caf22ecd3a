# shellcheck shell=bash
# check-kernel.sh: systemd as PID 1 and its version (sourced, not run).
# Ids: systemd.pid1, systemd.version.

check_systemd() {
  local comm='' first v
  [[ -r $PROC/1/comm ]] && comm=$(<"$PROC/1/comm")
  if [[ $comm == systemd || -d $ROOT/run/systemd/system ]]; then
    ok systemd.pid1 "systemd as PID 1"
  else
    warn systemd.pid1 "systemd as PID 1" "PID 1 is ${comm:-unknown}, not systemd: no unit can have Delegate=yes" \
      "cgspawn still works with --cgroup-root on a cgroup2 directory you delegated by hand; otherwise run the hub on a systemd host"
    return 0
  fi
  first=$("$SYSTEMCTL" --version 2>/dev/null | head -n 1)
  if [[ ! $first =~ ^systemd\ ([0-9]+) ]]; then
    warn systemd.version "systemd version" "could not read it from '$SYSTEMCTL --version'" \
      "make sure systemd is at least 243 (245 recommended)"
    return 0
  fi
  v=${BASH_REMATCH[1]}
  if ((v < 243)); then
    fail systemd.version "systemd version" "$v < 243: too old for cgroup v2 delegation to the hub (243 is the first release that defaults to the unified hierarchy)" \
      "upgrade systemd (the distribution) to 243 or later, 245 or later recommended"
  elif ((v < 245)); then
    warn systemd.version "systemd version" "$v < 245: cgroup v2 delegation was still maturing" \
      "upgrade systemd to 245 or later"
  elif ((v < 251)); then
    # `cgspawn check` proves delegation by the trusted.delegate xattr, which
    # systemd sets from 251 on; below that its delegation finding FAILs.
    warn systemd.version "systemd version" "$v < 251 marks no delegated cgroup, so cgspawn check cannot verify delegation" \
      "make sure the hub's unit has Delegate=yes (systemctl show -p Delegate UNIT)"
  elif ((v < 254)); then
    ok systemd.version "systemd version" "$v (hub restarts: the two-unit layout, examples/jupyterhub-servers.service; one unit needs DelegateSubgroup=, systemd 254)"
  else
    ok systemd.version "systemd version" "$v (DelegateSubgroup=: one unit may own hub and servers, examples/jupyterhub-subgroup.service)"
  fi
}
