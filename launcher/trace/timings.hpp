// Off-by-default step timings for the benchmarks (bench/): with
// CGSPAWN_TIMINGS_FD=N in cgspawn's environment, every mark writes one line
// "cgspawn-timing STEP NANOSECONDS" (CLOCK_MONOTONIC) to the open fd N, from
// the launcher and from the server's child up to its exec. A caller-given fd,
// because the child's stderr may already be a journald stream.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cgspawn {

// Read CGSPAWN_TIMINGS_FD once; unset means off. A value that is not an open
// fd turns timings off with one warning line on stderr.
void timings_init() noexcept;
// Write STEP's line if timings are on; never throws, never fails the spawn.
void timing_mark(const char* step) noexcept;

struct TimingMark {
  std::string step;
  std::int64_t ns = 0;
};
// The inverse of timing_mark's line (without its newline); nullopt for any
// other line.
std::optional<TimingMark> parse_timing_line(std::string_view line);

}  // namespace cgspawn
