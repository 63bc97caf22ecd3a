// The child's side of a spawn: every step between fork and exec.
#pragma once

#include "cgroup/cgroup_dir.hpp"
#include "launcher/spawn_plan.hpp"

namespace cgspawn {

// Never returns: execs the server, or writes the failure to REPORT_FD
// ("<exit status>\n<message>") and exits with that status.
[[noreturn]] void contain_and_exec(const cg::CgroupDir& unit, const SpawnPlan& plan, int report_fd);

}  // namespace cgspawn
