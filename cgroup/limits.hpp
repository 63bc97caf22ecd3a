// The limits of one unit (or slice): typed values, validated when they are
// planned and rendered to the kernel's text only when they are written
// (write_limit). The facts per limit are in limit_table.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cgroup/limit_table.hpp"

namespace cgspawn::cg {

class CgroupDir;

struct Unlimited {};  // "max"
struct Bytes {
  uint64_t n;
};
struct CpuQuota {
  uint64_t quota_usec, period_usec;
};
struct Weight {
  uint64_t n;
};
struct Count {
  uint64_t n;
};
struct RawText {  // --property's value: only the kernel judges it
  std::string text;
};
using LimitValue = std::variant<Unlimited, Bytes, CpuQuota, Weight, Count, RawText>;

// The kernel's text for VALUE: "max", "67108864", "25000 100000", ...
std::string kernel_text(const LimitValue& value);

// What VALUE asks for in its limit's unit (bytes, cpu.max quota per
// kCpuPeriodUsec, weight, tasks); nullopt for max and for --property text.
std::optional<uint64_t> amount(const LimitValue& value);

struct LimitWrite {
  std::string file;        // e.g. memory.max
  LimitValue value;        // e.g. Bytes{67108864}
  std::string controller;  // e.g. memory: must be enabled for the unit
  [[nodiscard]] std::string text() const { return kernel_text(value); }
};

// Write W into DIR: the one place a planned limit becomes text.
void write_limit(const CgroupDir& dir, const LimitWrite& w);

// TEXT given to LIMIT's flag, parsed and bounded as the table says. Throws
// Error(BadRequest) naming the flag.
LimitValue parse_limit(const TypedLimit& limit, std::string_view text);

// What `cgspawn check` writes for each typed limit (its probe input,
// planned like the flag's), in table order.
struct PlannedProbe {
  const char* file;
  std::string value, expect;  // expect: the kernel reads back what it was given
  bool required;
  const char* consequence;
  const char* fix;
};
std::vector<PlannedProbe> limit_probes();

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
