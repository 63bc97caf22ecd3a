// The limits of one unit (or slice), as the files and values the kernel
// takes. Building them validates; writing them is CgroupDir's job.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cgspawn::cg {

inline constexpr uint64_t kCpuPeriodUsec = 100000;

// The flags as the user typed them (nullopt = not given; given empty, as in
// --memory-max '', is an error, never "no limit").
struct LimitFlags {
  std::optional<std::string> memory_max, memory_swap_max, memory_low;
  std::optional<std::string> cpu_max, cpu_weight, tasks_max;
  std::vector<std::string> properties;  // FILE=VALUE
};

struct LimitWrite {
  std::string file;        // e.g. memory.max
  std::string value;       // e.g. 67108864
  std::string controller;  // e.g. memory: must be enabled for the unit
};

// Validate every flag and produce the writes, in a stable order. Throws
// Error(BadRequest) naming the flag.
std::vector<LimitWrite> plan_limits(const LimitFlags& flags);

// Whether FILE is set by a typed flag (memory.max, cpu.max, pids.max, ...)
// and so never through --property.
bool is_typed_limit_file(std::string_view file);

// Controllers the writes need that are not in ENABLED (the parent's
// cgroup.subtree_control). Empty when all is well.
std::vector<std::string> missing_controllers(const std::vector<LimitWrite>& writes,
                                             const std::set<std::string>& enabled);

// "cpu memory pids" -> {cpu, memory, pids}
std::set<std::string> parse_controller_list(std::string_view text);

}  // namespace cgspawn::cg
