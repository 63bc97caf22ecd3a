// cgspawn-faults only (tests): SIGKILL at the step named by CGSPAWN_FAULT_AT,
// as an OOM kill, a reboot or an admin's kill -9 would stop cgspawn there.
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "launcher/fault_point.hpp"

namespace cgspawn {

void fault_point(const char* step) noexcept {
  static const char* const at = std::getenv("CGSPAWN_FAULT_AT");
  if (at != nullptr && std::strcmp(at, step) == 0) std::raise(SIGKILL);
}

}  // namespace cgspawn
