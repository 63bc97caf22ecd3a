// The child's side of a spawn: every step between fork and exec.
#pragma once

#include "cgroup/cgroup_dir.hpp"
#include "launcher/spawn/spawn_plan.hpp"

namespace cgspawn {

// Written to the report pipe just before the first execve: EOF without it
// means the child died before exec (a signal), not that exec succeeded.
inline constexpr const char* kExecNext = "x";

// Never returns: execs the server (having written kExecNext to REPORT_FD),
// or writes the failure to REPORT_FD ("<exit status>\n<message>") and exits
// with that status. IN_CGROUP: the kernel started this process in UNIT
// (clone_into_cgroup.hpp); otherwise it moves itself there first.
[[noreturn]] void contain_and_exec(const cg::CgroupDir& unit, const SpawnPlan& plan, bool in_cgroup,
                                   int report_fd);

}  // namespace cgspawn
