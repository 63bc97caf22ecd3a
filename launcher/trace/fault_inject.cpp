// cgspawn-faults only (tests): SIGKILL at the step named by CGSPAWN_FAULT_AT,
// as an OOM kill, a reboot or an admin's kill -9 would stop cgspawn there;
// SIGSTOP at CGSPAWN_PAUSE_AT, so a test can change the system between two
// steps (remove a controller, fill a disk) and then SIGCONT it.
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "launcher/trace/fault_point.hpp"

namespace cgspawn {

void fault_point(const char* step) noexcept {
  static const char* const kill_at = std::getenv("CGSPAWN_FAULT_AT");
  static const char* const pause_at = std::getenv("CGSPAWN_PAUSE_AT");
  if (kill_at != nullptr && std::strcmp(kill_at, step) == 0) std::raise(SIGKILL);
  if (pause_at != nullptr && std::strcmp(pause_at, step) == 0) std::raise(SIGSTOP);
}

}  // namespace cgspawn
