// Sizes, CPU quotas, weights/integers and keyed kernel files. The first
// byte picks the parser and its bounds; the rest is the text.
#include <cstdint>

#include "cgroup/limits.hpp"
#include "cgroup/values.hpp"
#include "tests/fuzz/fuzz_target.hpp"

CGSPAWN_FUZZ_TARGET(values) {
  if (input.empty()) return;
  const auto pick = static_cast<unsigned char>(input[0]);
  const std::string_view text = input.substr(1);
  switch (pick % 5) {
    case 0:
      (void)cgspawn::cg::parse_size(text, "--memory-max");
      break;
    case 1:
      (void)cgspawn::cg::parse_cpu_quota(text, "--cpu-max", cgspawn::cg::kCpuPeriodUsec);
      break;
    case 2:
      (void)cgspawn::cg::parse_uint(text, "--cpu-weight", 1, 10000, false);
      break;
    case 3:
      (void)cgspawn::cg::parse_uint(text, "--tasks-max", 1, UINT64_MAX, (pick & 8) != 0);
      break;
    default:  // the kernel's files: keyed ones, and cpu.max read back
      (void)cgspawn::cg::parse_keyed(text);
      (void)cgspawn::cg::parse_cpu_max(text);
  }
}
