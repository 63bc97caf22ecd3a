// cgspawn's locks: root-only files in /run/cgspawn, taken with flock().
//
// - The users lock serialises changes to D/users: slices are created
//   together with their first unit, configured and removed under it, so an
//   idle slice is never removed while a spawn puts a unit into it.
// - A unit lock serialises the commands that change one unit: `spawn`,
//   `stop` and `cleanup` of the same NAME never interleave (issue 15). A stop
//   issued while a spawn of that unit runs waits for the spawn to finish and
//   then stops what it started; a spawn issued during a stop waits for the
//   stop. Units of other names do not wait for each other. A command that
//   needs both takes the unit lock first, then the users lock, never the
//   other way round.
//
// Each is a file only root can open, /run/cgspawn/users-INODE.lock and
// /run/cgspawn/unit-INODE-NAME.lock (INODE: of D/users, so two delegated
// roots never share a lock), not D/users itself: any local user, and any
// server, can open a directory and flock() it, and so could hang every
// spawn, stop and slice change (issue 13). The wait is bounded: a holder
// that does not let go in time is an error naming the lock and the holder's
// pid.
#pragma once

#include <chrono>
#include <string>

#include "cgroup/cgroup_dir.hpp"
#include "cgroup/layout.hpp"
#include "common/fd.hpp"

namespace cgspawn::cg {

inline constexpr const char* kLockDir = "/run/cgspawn";
inline constexpr std::chrono::seconds kUsersLockWait{15};
// Longer than a stop with JupyterHub's stop_timeout (10 s) takes to kill
// and remove a unit: a spawn or stop behind it still gets its turn.
inline constexpr std::chrono::seconds kUnitLockWait{60};

// /run/cgspawn/FILE, held from construction to destruction. WHAT names what
// it guards in the error of a wait that timed out; STEP is that error's step.
class RootLock {
 public:
  RootLock(std::string file, std::string what, const char* step, std::chrono::milliseconds wait);
  ~RootLock();  // removes the lock file, then lets go
  RootLock(const RootLock&) = delete;
  RootLock& operator=(const RootLock&) = delete;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }

 private:
  std::string path_, name_;
  UniqueFd dir_, lock_;
};

class UsersLock : public RootLock {
 public:
  explicit UsersLock(const Layout& layout, std::chrono::milliseconds wait = kUsersLockWait);
};

// UNIT must be a valid unit name (validate_name): it is part of a file name.
class UnitLock : public RootLock {
 public:
  UnitLock(const Layout& layout, const std::string& unit,
           std::chrono::milliseconds wait = kUnitLockWait);
};

}  // namespace cgspawn::cg
