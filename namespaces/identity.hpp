// Who the server runs as: looked up during planning, applied in the child.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace cgspawn::ns {

struct Identity {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home;
  std::string shell;
  // false: the primary group only, no lookup of memberships by name. A
  // dynamic user has no account, so a stale "group:...:NAME" line left by a
  // deleted account of the same name must not hand it that group.
  bool supplementary_groups = true;
};

// getpwnam_r; an unknown user is Error(BadRequest) naming the user.
Identity lookup_user(std::string_view name);

// initgroups (or setgroups to the primary group alone, see
// supplementary_groups), setresgid, setresuid, then verify that no id of 0 (or of the
// old identity) remains. Throws Error(System).
void become(const Identity& who);

}  // namespace cgspawn::ns
