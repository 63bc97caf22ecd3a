# shellcheck shell=bash
# check-kernel.sh: the cgroup mode, from /proc/self/mountinfo (sourced, not
# run). Id: cgroup.mode. Everything below the mount (the cgroup root, its
# delegation, controllers) is `cgspawn check`'s (lib/live.sh).

# unescape_mountinfo STRING: REPLY=STRING with \040 etc. turned into the
# bytes they stand for.
unescape_mountinfo() {
  REPLY=$1
  if [[ $REPLY == *\\[0-7][0-7][0-7]* ]]; then
    printf -v REPLY '%b' "${REPLY//\\/\\0}"
  fi
}

CG2_MOUNT=''  # the cgroup2 mount point (as the kernel names it)
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
  return 0
}

MODE=''
HYBRID_FIX="boot with systemd.unified_cgroup_hierarchy=1 on the kernel command line (add cgroup_no_v1=all where v1 hierarchies still get mounted), or use a distribution that defaults to the unified hierarchy"

# v1_bound: REPLY=the required controllers (memory cpu pids) bound to a v1
# hierarchy, each with where: "memory (/sys/fs/cgroup/memory), ...".
v1_bound() {
  local c out=''
  for c in memory cpu pids; do
    [[ -n ${V1_MOUNT[$c]:-} ]] && out+="${out:+, }$c (${V1_MOUNT[$c]})"
  done
  REPLY=$out
}

check_mode() {
  local what="cgroup mode"
  if [[ $SYSFS_TYPE == cgroup2 ]]; then
    MODE=unified
    if ((V1_COUNT)); then
      warn cgroup.mode "$what" "unified (cgroup2 at /sys/fs/cgroup), but $V1_COUNT cgroup v1 hierarchies are mounted as well; controllers bound to them are missing from cgroup2" \
        "unmount them or boot with cgroup_no_v1=all"
    else
      ok cgroup.mode "$what" "unified (cgroup2 at /sys/fs/cgroup)"
    fi
  elif [[ -n $CG2_MOUNT ]] && ((V1_COUNT)); then
    MODE=hybrid
    v1_bound
    if [[ -n $REPLY ]]; then
      fail cgroup.mode "$what" "hybrid: cgroup v1 hierarchies at /sys/fs/cgroup${SYSFS_TYPE:+ ($SYSFS_TYPE)} and cgroup2 only at $CG2_MOUNT; the controllers $REPLY are bound to v1, so their limits cannot work in cgroup2" \
        "$HYBRID_FIX"
    else
      warn cgroup.mode "$what" "hybrid: cgroup v1 hierarchies at /sys/fs/cgroup${SYSFS_TYPE:+ ($SYSFS_TYPE)} and cgroup2 at $CG2_MOUNT, but no required controller is bound to v1" \
        "$HYBRID_FIX"
    fi
  elif [[ -n $CG2_MOUNT ]]; then
    MODE=unified
    ok cgroup.mode "$what" "unified (cgroup2 at $CG2_MOUNT, no cgroup v1 hierarchy)"
  elif ((V1_COUNT)); then
    MODE=legacy
    fail cgroup.mode "$what" "legacy: only cgroup v1 hierarchies are mounted, no cgroup2; cgspawn needs cgroup v2 and no limit can work" \
      "$HYBRID_FIX"
  else
    MODE=none
    fail cgroup.mode "$what" "no cgroup filesystem is mounted" \
      "mount cgroup2 at /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup) or boot with systemd"
  fi
}
