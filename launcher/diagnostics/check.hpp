// `cgspawn check`: the live counterpart of kernel-check. Instead of reading
// kernel config, it does each thing a spawn will do, in a throwaway cgroup and
// a forked child, and removes everything afterwards.
#pragma once

#include <string>

namespace cgspawn {

// Exit status: 0 every needed feature works, 1 one cannot work, 2 the check
// itself could not run.
int run_check(const std::string& cgroup_root, bool json);

}  // namespace cgspawn
