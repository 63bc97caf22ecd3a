// In sudo mode the paths a caller names are judged with the caller's rights
// (issue 13, finding 11). cgspawn resolves them as root: its answers ("does
// not exist", "is inside the private /tmp" naming a symlink's target, an
// executable shell) would tell the caller about files it cannot see.
//
// So before any root-side check, a child with the caller's uid, gid and
// groups resolves each --read-only, --read-write and --device path and checks
// --dynamic-user-shell for execution. A path the caller cannot reach is
// refused with the same line whether it exists or not, naming it only as
// given. What passes the caller can resolve itself, so later messages that
// name a resolved target tell it nothing new.
#pragma once

#include "launcher/policy/policy.hpp"

namespace cgspawn {

// Error(Refused), rule "paths", for the first path CALLER cannot reach.
// Relative paths are left to the mount plan, which refuses them as given.
void check_paths_as_caller(const Caller& caller, const SpawnQuery& req);

}  // namespace cgspawn
