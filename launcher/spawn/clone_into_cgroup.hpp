// Starting the server's process directly in its unit's cgroup.
#pragma once

#include <sys/types.h>

#include "cgroup/cgroup_dir.hpp"

namespace cgspawn {

struct Forked {
  pid_t pid = 0;           // as fork(): 0 in the child
  bool in_cgroup = false;  // the kernel put the child in the unit's cgroup
};

// clone3(CLONE_INTO_CGROUP) where the kernel has it (5.7+): the child starts
// in UNIT, so it never migrates (a migration takes the cgroup subsystem's
// global threadgroup lock). Otherwise (an older kernel, a container's
// seccomp profile that refuses clone3, any error of clone3) plain fork(),
// and the child moves itself, so a real problem with the cgroup is still
// reported as that move's error. Only for a single-threaded caller: no
// atfork handlers run in the child.
Forked fork_into(const cg::CgroupDir& unit);

}  // namespace cgspawn
