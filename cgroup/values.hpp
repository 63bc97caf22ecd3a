// Parsers for the values users give on the command line and for the files
// the kernel gives back. All parsers reject hostile input with a BadRequest
// that names the flag and the accepted form.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cgspawn::cg {

// Bytes, or a number with K/M/G/T (x1024, as JupyterHub's ByteSpecification;
// a fraction is allowed with a suffix: 1.5G). "max" returns nullopt (no limit).
std::optional<uint64_t> parse_size(std::string_view text, std::string_view flag);

// CPU cores as a float (1.5 = 150% of one CPU) -> cpu.max quota in usec for
// the given period, within the cpu.max row's bounds (limit_table.hpp).
uint64_t parse_cpu_quota(std::string_view text, std::string_view flag, uint64_t period_usec);

// cpu.max as the kernel shows it, "QUOTA PERIOD" or "max PERIOD" (quota
// nullopt); nullopt when it is not that shape or the period is 0.
struct CpuMax {
  std::optional<uint64_t> quota_usec;
  uint64_t period_usec;
};
std::optional<CpuMax> parse_cpu_max(std::string_view text);

// A decimal integer in [min, max]; "max" is accepted when allow_max (nullopt).
std::optional<uint64_t> parse_uint(std::string_view text, std::string_view flag, uint64_t min,
                                   uint64_t max, bool allow_max);

// A bound as people write it: 0.01, 4096, 4194304 (no trailing zeros).
std::string number_text(double v);

// "key value" lines (cgroup.events, memory.events, cpu.stat, ...).
std::map<std::string, uint64_t> parse_keyed(std::string_view text);

}  // namespace cgspawn::cg
