// The lock that serialises changes to D/users: slices are created together
// with their first unit, configured and removed under it, so an idle slice is
// never removed while a spawn puts a unit into it.
//
// It is a file only root can open, /run/cgspawn/users-INODE.lock (INODE: of
// D/users), not D/users itself: any local user, and any server, can open a
// directory and flock() it, and so could hang every spawn, stop and slice
// change (issue 13). The wait is bounded: a holder that does not let go
// within kUsersLockWait is an error naming the lock and the holder's pid.
#pragma once

#include <chrono>
#include <string>

#include "cgroup/cgroup_dir.hpp"
#include "cgroup/layout.hpp"
#include "common/fd.hpp"

namespace cgspawn::cg {

inline constexpr const char* kLockDir = "/run/cgspawn";
inline constexpr std::chrono::seconds kUsersLockWait{15};

class UsersLock {
 public:
  explicit UsersLock(const Layout& layout, std::chrono::milliseconds wait = kUsersLockWait);
  ~UsersLock();  // removes the lock file, then lets go
  UsersLock(const UsersLock&) = delete;
  UsersLock& operator=(const UsersLock&) = delete;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_, name_;
  UniqueFd dir_, lock_;
};

}  // namespace cgspawn::cg
