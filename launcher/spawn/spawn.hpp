#pragma once

#include "launcher/spawn/spawn_plan.hpp"

namespace cgspawn {

// Allocate a dynamic user's uid and home (--dynamic-user), create the unit's
// cgroup, write its limits, and start the server in it:
// a child moves into the cgroup, enters its mount namespace, becomes the user,
// sets no_new_privs, loads seccomp and execs; this process waits only until
// that exec has succeeded (then prints the server's pid and returns 0) or
// failed (then the cgroup is removed and the child's error is thrown).
int spawn(SpawnPlan plan);

}  // namespace cgspawn
