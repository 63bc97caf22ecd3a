// Who made a test sandbox. Cgroup roots and temp dirs are named
// PREFIX-PID-START-..., START being the owner's start time (field 22 of
// /proc/PID/stat), so a sweep can tell the leftovers of a dead test (or of a
// PID since reused) from the sandbox of a test that is still running, maybe
// in another build tree on the same machine.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace cgspawn::testing {

// The start time of PID in clock ticks after boot, or "" when it is gone.
inline std::string process_start_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string stat = ss.str();
  const size_t paren = stat.rfind(')');  // comm may hold spaces and ')'
  if (paren == std::string::npos) return "";
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  return field;
}

// "PID-START" of this process.
inline std::string owner_tag() {
  return std::to_string(::getpid()) + "-" + process_start_time(::getpid());
}

// Whether the owner named by REST (what follows PREFIX-: "PID-START-TAIL", or
// "PID-N" as named before the start time was added) may still be running.
// Anything else is not ours to judge, and counts as alive.
inline bool owner_may_be_alive(std::string_view rest) {
  const size_t dash1 = rest.find('-');
  if (dash1 == std::string_view::npos) return true;
  pid_t pid = 0;
  const auto pid_text = rest.substr(0, dash1);
  auto [end, ec] = std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), pid);
  if (ec != std::errc() || end != pid_text.data() + pid_text.size() || pid <= 0) return true;
  const std::string now = process_start_time(pid);
  if (now.empty()) return false;  // the owner is gone
  const size_t dash2 = rest.find('-', dash1 + 1);
  if (dash2 == std::string_view::npos) return true;         // old PID-N: the PID runs
  return rest.substr(dash1 + 1, dash2 - dash1 - 1) == now;  // else: PID reused
}

}  // namespace cgspawn::testing
