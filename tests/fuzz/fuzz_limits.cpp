// Every limit flag at once, --property FILE=VALUE included: NUL-separated
// fields in LimitFlags order, the rest being --property values.
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
  f.resize(std::max<size_t>(f.size(), 6));
  cgspawn::cg::LimitFlags flags{f[0], f[1], f[2], f[3], f[4], f[5], {f.begin() + 6, f.end()}};
  (void)cgspawn::cg::plan_limits(flags);
  (void)cgspawn::cg::parse_controller_list(input);
}
