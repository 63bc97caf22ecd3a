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
};

// getpwnam_r; an unknown user is Error(BadRequest) naming the user.
Identity lookup_user(std::string_view name);

// initgroups, setresgid, setresuid, then verify that no id of 0 (or of the
// old identity) remains. Throws Error(System).
void become(const Identity& who);

}  // namespace cgspawn::ns
