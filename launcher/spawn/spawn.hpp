#pragma once

#include <optional>

#include "launcher/spawn/spawn_plan.hpp"

namespace cgspawn {

// Allocate a dynamic user's uid and home (--dynamic-user; its uid, new or
// allocated earlier, must lie within ALLOWED_UIDS when given), create the unit's
// cgroup, write its limits, and start the server in it:
// a child moves into the cgroup, enters its mount namespace, becomes the user,
// sets no_new_privs, loads seccomp and execs; this process waits only until
// that exec has succeeded (then prints the server's pid and returns 0) or
// failed (then the cgroup is removed and the child's error is thrown).
// JSON_RESULT: print one JSON line instead, {"pid", "path", "cgroup_inode"}
// (the unit's cgroup and its inode, so the spawner needs no `status` after a
// start and can poll that very cgroup's files, issue 17).
int spawn(SpawnPlan plan, std::optional<UidRange> allowed_uids = std::nullopt,
          bool json_result = false);

}  // namespace cgspawn
