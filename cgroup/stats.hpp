// A unit's figures as the kernel reports them; a file of a controller that is
// not enabled is simply absent (nullopt), never a zero.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cgroup/layout.hpp"

namespace cgspawn::cg {

enum class UnitState { Running, Exited, Absent };
const char* to_string(UnitState s) noexcept;

struct UnitStats {
  UnitLocation where;
  UnitState state = UnitState::Absent;
  std::vector<pid_t> pids;
  std::optional<uint64_t> memory_current, memory_peak, pids_current;
  std::optional<std::string> memory_max, memory_low, memory_swap_max, cpu_max, cpu_weight, pids_max;
  std::map<std::string, uint64_t> memory_events;  // low high max oom oom_kill ...
  std::map<std::string, uint64_t> cpu_stat;       // usage_usec nr_throttled ...
  std::optional<std::string> owner;               // owner.hpp
  [[nodiscard]] uint64_t oom_kills() const;
};

UnitStats read_stats(const UnitLocation& where);

}  // namespace cgspawn::cg
