// `cgspawn top`, the model: what the table shows, sampled from the cgroup
// files of every unit under D, sorted and laid out as plain text lines. No
// terminal here (launcher/top/top_screen.cpp draws it), so it is testable on a
// fake cgroup tree.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/layout.hpp"

namespace cgspawn::top {

enum class SortKey { Cpu, Memory, Tasks, Name, Oom };

// The key that selects a sort in the live view: c m t n o.
std::optional<SortKey> sort_key_for(char key) noexcept;
// --sort NAME: cpu, memory, tasks, name, oom (Error(BadRequest) otherwise).
SortKey parse_sort_key(std::string_view name);
const char* to_string(SortKey key) noexcept;

struct Row {
  std::string name, slice;
  std::string user;  // owner of the unit's first process; "-" without one
  std::optional<uint64_t> memory_current;
  std::optional<std::string> memory_max;  // the kernel's string: bytes or "max"
  std::optional<double> cpu_limit;        // CPUs cpu.max allows; nullopt: no limit
  std::optional<double> cpu_percent;      // over the last interval; nullopt: first sample
  std::optional<uint64_t> tasks;          // pids.current
  uint64_t oom_kills = 0;
};

// CPUs that a cpu.max value "QUOTA PERIOD" allows; nullopt for "max ..." or
// anything unreadable.
std::optional<double> cpu_limit_cpus(std::string_view cpu_max);

// Percent of LIMIT CPUs (of one CPU without a limit) that USAGE_DELTA of CPU
// time is over WALL: 50 ms of usage in 1 s under a 0.1-CPU limit is 50 %.
double cpu_percent(uint64_t usage_delta_usec, std::chrono::microseconds wall,
                   std::optional<double> limit);

// 1024-based, one decimal without a trailing ".0": 900B, 512M, 1.5G.
std::string format_size(uint64_t bytes);

// Reads every unit each time; keeps each unit's CPU usage for the next call.
class Sampler {
 public:
  explicit Sampler(cg::Layout layout) : layout_(std::move(layout)) {}
  [[nodiscard]] const cg::Layout& layout() const noexcept { return layout_; }
  // The units now, CPU % against the previous sample of the same cgroup
  // (a unit seen for the first time has none).
  std::vector<Row> sample(std::chrono::steady_clock::time_point now);

 private:
  cg::Layout layout_;
  std::map<std::string, uint64_t> last_usage_;  // cgroup path -> usage_usec
  std::chrono::steady_clock::time_point last_time_{};
};

// Largest first for figures (a missing one last), A-Z for the name; ties by
// slice and name so the order never flickers.
void sort_rows(std::vector<Row>& rows, SortKey key);

// The column header, one line per row, and a legend when a figure needs one.
std::vector<std::string> format_table(const std::vector<Row>& rows);

}  // namespace cgspawn::top
