// The typed limits, once: every fact about memory.max, cpu.max, pids.max...
// that the CLI flags, the planner, the --property refusal, `cgspawn check`'s
// probes, the sudo policy's ceilings and `cgspawn limits --json` (which the
// Python spawner's table is held against) need. Add a limit here and all of
// them follow; nothing else restates a bound or a file name.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cgspawn::cg {

// cpu.max's period: the kernel's default, so a quota reads as a share of it.
inline constexpr uint64_t kCpuPeriodUsec = 100000;

// The flags as the user typed them (nullopt = not given; given empty, as in
// --memory-max '', is an error, never "no limit").
struct LimitFlags {
  std::optional<std::string> memory_max, memory_swap_max, memory_low;
  std::optional<std::string> cpu_max, cpu_weight, tasks_max;
  std::vector<std::string> properties;  // FILE=VALUE
};

// How a flag's text is read, and what the kernel is given:
// Size: bytes or K/M/G/T (x1024); Cpus: a number of CPUs, written as
// "QUOTA PERIOD"; Weight and Count: a decimal integer.
enum class LimitKind { Size, Cpus, Weight, Count };

// What `cgspawn check` writes in its throwaway unit: INPUT as a user would
// pass it to the flag, planned like one; the kernel must read back exactly
// what was written.
struct LimitProbe {
  const char* input;
  bool required;            // false: a warn, not a FAIL, when it is missing
  const char* consequence;  // what cannot work when it is missing
  const char* fix;
};

inline constexpr const char* kKernelCheckFix = "run kernel-check/check-kernel.sh for the cause";

struct TypedLimit {
  const char* file;  // the interface file, e.g. memory.max
  const char* flag;  // e.g. --memory-max
  const char* controller;
  LimitKind kind;
  // Bounds in the kind's unit (bytes, CPUs, weight, tasks); max infinite:
  // none below what 64 bits hold.
  double min, max;
  bool accepts_max;            // "max" (and "infinity") for no limit
  bool zero_allowed;           // always min == 0 (checked below)
  const char* policy_ceiling;  // the policy key that caps it, or nullptr
  const char* help;            // what it does, for --help
  std::optional<std::string> LimitFlags::*field;
  LimitProbe probe;
};

inline constexpr double kNoBound = std::numeric_limits<double>::infinity();

// In LimitFlags order, which is also the order the planner writes them in.
// clang-format off
inline constexpr std::array<TypedLimit, 6> kTypedLimits = {{
    {"memory.max", "--memory-max", "memory", LimitKind::Size, 1, kNoBound, true, false,
     "max_memory", "hard memory ceiling (the OOM killer acts beyond it)", &LimitFlags::memory_max,
     {"64M", true, "memory.max cannot be enforced", kKernelCheckFix}},
    {"memory.swap.max", "--memory-swap-max", "memory", LimitKind::Size, 0, kNoBound, true, true,
     nullptr, "swap ceiling (0: no swap)", &LimitFlags::memory_swap_max,
     {"0", false,
      "no memory controller, or swap accounting is off: memory.swap.max cannot be enforced",
      "boot with swapaccount=1"}},
    {"memory.low", "--memory-low", "memory", LimitKind::Size, 0, kNoBound, true, true,
     nullptr, "protected memory", &LimitFlags::memory_low,
     {"1M", false, "memory.low cannot be enforced", kKernelCheckFix}},
    // 0.01 CPUs: the kernel's 1 ms minimum quota at the 100 ms period.
    {"cpu.max", "--cpu-max", "cpu", LimitKind::Cpus, 0.01, 4096, false, false,
     "max_cpu", "CPU time ceiling (1.5 = 150% of one CPU)", &LimitFlags::cpu_max,
     {"0.5", true, "cpu.max cannot be enforced", kKernelCheckFix}},
    // The kernel's CGROUP_WEIGHT_MIN..MAX; every cgroup starts at 100.
    {"cpu.weight", "--cpu-weight", "cpu", LimitKind::Weight, 1, 10000, false, false,
     nullptr, "share under contention (default 100)", &LimitFlags::cpu_weight,
     {"200", true, "cpu.weight and fair sharing cannot be enforced", kKernelCheckFix}},
    // PID_MAX_LIMIT: no system holds more tasks.
    {"pids.max", "--tasks-max", "pids", LimitKind::Count, 1, 4194304, true, false,
     "max_tasks", "processes+threads", &LimitFlags::tasks_max,
     {"50", true, "pids.max cannot be enforced", kKernelCheckFix}},
}};
// clang-format on

enum class LimitId : size_t { MemoryMax, MemorySwapMax, MemoryLow, CpuMax, CpuWeight, TasksMax };

constexpr const TypedLimit& typed_limit(LimitId id) {
  return kTypedLimits[static_cast<size_t>(id)];
}

// The row owning FILE, or nullptr for a file no typed flag sets.
constexpr const TypedLimit* find_typed_limit(std::string_view file) {
  for (const auto& row : kTypedLimits)
    if (file == row.file) return &row;
  return nullptr;
}

constexpr bool table_is_consistent() {
  for (const auto& row : kTypedLimits)
    if (row.zero_allowed != (row.min == 0) || !(row.min <= row.max) || row.probe.input == nullptr)
      return false;
  using F = std::string_view;
  return F(typed_limit(LimitId::MemoryMax).file) == "memory.max" &&
         F(typed_limit(LimitId::MemorySwapMax).file) == "memory.swap.max" &&
         F(typed_limit(LimitId::MemoryLow).file) == "memory.low" &&
         F(typed_limit(LimitId::CpuMax).file) == "cpu.max" &&
         F(typed_limit(LimitId::CpuWeight).file) == "cpu.weight" &&
         F(typed_limit(LimitId::TasksMax).file) == "pids.max";
}
static_assert(table_is_consistent(), "kTypedLimits: zero_allowed, bounds or LimitId order");

}  // namespace cgspawn::cg
