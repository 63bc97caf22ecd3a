#include "launcher/diagnostics/limit_table.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cgroup/limit_table.hpp"
#include "cgroup/values.hpp"

namespace cgspawn {
namespace {

const char* kind_name(cg::LimitKind kind) {
  switch (kind) {
    case cg::LimitKind::Size:
      return "size";
    case cg::LimitKind::Cpus:
      return "cpus";
    case cg::LimitKind::Weight:
      return "weight";
    case cg::LimitKind::Count:
      return "count";
  }
  return "?";
}

// Whole units as integers (bytes, tasks), CPUs as a fraction; no bound: null.
nlohmann::ordered_json bound(const cg::TypedLimit& l, double v) {
  if (std::isinf(v)) return nullptr;
  if (l.kind == cg::LimitKind::Cpus) return v;
  return static_cast<uint64_t>(v);
}

}  // namespace

std::string limit_table_json() {
  nlohmann::ordered_json all = nlohmann::ordered_json::array();  // keys in the documented order
  for (const auto& l : cg::kTypedLimits)
    all.push_back({{"file", l.file},
                   {"flag", l.flag},
                   {"controller", l.controller},
                   {"kind", kind_name(l.kind)},
                   {"min", bound(l, l.min)},
                   {"max", bound(l, l.max)},
                   {"accepts_max", l.accepts_max},
                   {"zero_allowed", l.zero_allowed},
                   {"policy_ceiling", l.policy_ceiling ? nlohmann::ordered_json(l.policy_ceiling)
                                                       : nlohmann::ordered_json(nullptr)}});
  return all.dump(2) + "\n";
}

std::string limit_table_text() {
  std::string out;
  for (const auto& l : cg::kTypedLimits) {
    std::string range = std::isinf(l.max) ? ">= " + cg::number_text(l.min)
                                          : cg::number_text(l.min) + ".." + cg::number_text(l.max);
    if (l.accepts_max) range += " or max";
    if (l.policy_ceiling) range += "; policy " + std::string(l.policy_ceiling);
    char line[256];
    std::snprintf(line, sizeof line, "%-16s %-18s %-7s %-7s %s\n", l.file, l.flag, l.controller,
                  kind_name(l.kind), range.c_str());
    out += line;
  }
  return out;
}

int print_limit_table(bool json) {
  std::fputs((json ? limit_table_json() : limit_table_text()).c_str(), stdout);
  return 0;
}

}  // namespace cgspawn
