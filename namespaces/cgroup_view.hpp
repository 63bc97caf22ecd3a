// The server's own view of the cgroup tree (as container runtimes give on
// cgroup v2): a cgroup namespace rooted at the cgroup it was just moved
// into, and that root mounted read-only at /sys/fs/cgroup. Inside,
// /sys/fs/cgroup/memory.max is the server's own limit (so are cpu.max and
// pids.max, and memory.events counts its own OOM kills), /proc/self/cgroup
// reads "0::/", and nothing of the other servers' or the hub's cgroups is
// visible. Read-only: the server cannot write its limits or move processes.
#pragma once

namespace cgspawn::ns {

inline constexpr const char* kCgroupView = "/sys/fs/cgroup";

// In the child, after it moved into its cgroup and unshared its mount
// namespace. Throws Error(System) naming the step.
void enter_own_cgroup_view();

}  // namespace cgspawn::ns
