// Every limit flag at once, --property FILE=VALUE included: NUL-separated
// fields in limit-table order, the rest being --property values; every
// planned value rendered as it would be written.
#include <algorithm>
#include <string>
#include <vector>

#include "cgroup/limits.hpp"
#include "tests/fuzz/fuzz_target.hpp"

CGSPAWN_FUZZ_TARGET(limits) {
  std::vector<std::string> f;
  for (size_t pos = 0; pos <= input.size();) {
    const size_t end = std::min(input.find('\0', pos), input.size());
    f.emplace_back(input.substr(pos, end - pos));
    pos = end + 1;
  }
  namespace cg = cgspawn::cg;
  const size_t typed = cg::kTypedLimits.size();
  f.resize(std::max(f.size(), typed));
  cg::LimitFlags flags;
  for (size_t i = 0; i < typed; ++i) flags.*cg::kTypedLimits[i].field = f[i];
  flags.properties.assign(f.begin() + static_cast<long>(typed), f.end());
  for (const auto& w : cg::plan_limits(flags)) (void)w.text();
  (void)cgspawn::cg::parse_controller_list(input);
}
