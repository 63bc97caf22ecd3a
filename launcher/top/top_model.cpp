#include "launcher/top/top_model.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <tuple>

#include "cgroup/stats.hpp"
#include "cgroup/values.hpp"
#include "common/error.hpp"
#include "common/nss.hpp"

namespace cgspawn::top {
namespace {

struct KeyInfo {
  SortKey key;
  char letter;
  const char* name;
};
constexpr std::array<KeyInfo, 5> kKeys{{{SortKey::Cpu, 'c', "cpu"},
                                        {SortKey::Memory, 'm', "memory"},
                                        {SortKey::Tasks, 't', "tasks"},
                                        {SortKey::Name, 'n', "name"},
                                        {SortKey::Oom, 'o', "oom"}}};

// The owner of /proc/PID is the process's effective uid.
std::string owner_of(const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    struct stat st {};
    if (::stat(("/proc/" + std::to_string(pid)).c_str(), &st) != 0) continue;
    try {  // display only: a source that cannot answer shows the number
      if (auto pw = passwd_by_uid(st.st_uid)) return pw->name;
    } catch (const Error&) {
    }
    return std::to_string(st.st_uid);
  }
  return "-";
}

std::string fixed1(double v) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.1f", v);
  return buf.data();
}

// CPUs as cpu.max allows them (0.01 steps): 0.25, 1.5, 2.
std::string cpus_text(double cpus) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.2f", cpus);
  std::string s = buf.data();
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string memory_max_text(const std::optional<std::string>& max) {
  if (!max) return "-";
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(max->data(), max->data() + max->size(), v);
  if (ec != std::errc() || p != max->data() + max->size()) return *max;  // "max"
  return format_size(v);
}

// Figures sort largest first; a missing figure counts as below every value.
template <class T>
bool larger(const std::optional<T>& a, const std::optional<T>& b) {
  if (a.has_value() != b.has_value()) return a.has_value();
  return a && *a > *b;
}

}  // namespace

std::optional<SortKey> sort_key_for(char key) noexcept {
  for (const auto& k : kKeys)
    if (k.letter == key) return k.key;
  return std::nullopt;
}

SortKey parse_sort_key(std::string_view name) {
  for (const auto& k : kKeys)
    if (name == k.name) return k.key;
  throw_bad_request("parse --sort", "--sort '" + std::string(name.substr(0, 40)) +
                                        "' is not a column: use cpu, memory, tasks, name or oom");
}

const char* to_string(SortKey key) noexcept {
  for (const auto& k : kKeys)
    if (k.key == key) return k.name;
  return "cpu";
}

std::optional<double> cpu_limit_cpus(std::string_view cpu_max) {
  auto parsed = cg::parse_cpu_max(cpu_max);
  if (!parsed || !parsed->quota_usec) return std::nullopt;  // "max 100000"
  return static_cast<double>(*parsed->quota_usec) / static_cast<double>(parsed->period_usec);
}

double cpu_percent(uint64_t usage_delta_usec, std::chrono::microseconds wall,
                   std::optional<double> limit) {
  if (wall.count() <= 0) return 0;
  double cpus = static_cast<double>(usage_delta_usec) / static_cast<double>(wall.count());
  return 100.0 * cpus / limit.value_or(1.0);
}

std::string format_size(uint64_t bytes) {
  constexpr std::array<const char*, 5> kUnits{"B", "K", "M", "G", "T"};
  auto v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < kUnits.size()) {
    v /= 1024;
    ++unit;
  }
  if (unit == 0) return std::to_string(bytes) + "B";
  std::string s = fixed1(v);
  if (s.ends_with(".0")) s.resize(s.size() - 2);
  return s + kUnits[unit];
}

std::vector<Row> Sampler::sample(std::chrono::steady_clock::time_point now) {
  const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(now - last_time_);
  const bool have_previous = last_time_.time_since_epoch().count() != 0;
  std::map<std::string, uint64_t> usage;
  std::vector<Row> rows;
  for (const auto& where : layout_.list_units()) {
    cg::UnitStats s;
    try {
      s = cg::read_stats(where);
    } catch (const Error&) {
      continue;  // stopped between the listing and the read
    }
    Row r;
    r.name = where.name;
    r.slice = where.slice;
    r.user = owner_of(s.pids);
    r.memory_current = s.memory_current;
    r.memory_max = s.memory_max;
    if (s.cpu_max) r.cpu_limit = cpu_limit_cpus(*s.cpu_max);
    r.tasks = s.pids_current;
    r.oom_kills = s.oom_kills();
    if (auto it = s.cpu_stat.find("usage_usec"); it != s.cpu_stat.end()) {
      usage[where.path] = it->second;
      auto before = last_usage_.find(where.path);
      if (have_previous && before != last_usage_.end() && it->second >= before->second)
        r.cpu_percent = cpu_percent(it->second - before->second, wall, r.cpu_limit);
    }
    rows.push_back(std::move(r));
  }
  last_usage_ = std::move(usage);
  last_time_ = now;
  return rows;
}

void sort_rows(std::vector<Row>& rows, SortKey key) {
  auto by_name = [](const Row& a, const Row& b) {
    return std::tie(a.slice, a.name) < std::tie(b.slice, b.name);
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    switch (key) {
      case SortKey::Cpu:
        if (a.cpu_percent != b.cpu_percent) return larger(a.cpu_percent, b.cpu_percent);
        break;
      case SortKey::Memory:
        if (a.memory_current != b.memory_current) return larger(a.memory_current, b.memory_current);
        break;
      case SortKey::Tasks:
        if (a.tasks != b.tasks) return larger(a.tasks, b.tasks);
        break;
      case SortKey::Oom:
        if (a.oom_kills != b.oom_kills) return a.oom_kills > b.oom_kills;
        break;
      case SortKey::Name:
        break;
    }
    return by_name(a, b);
  });
}

std::vector<std::string> format_table(const std::vector<Row>& rows) {
  using Cells = std::array<std::string, 9>;
  std::vector<Cells> table{
      {"UNIT", "SLICE", "USER", "MEM", "MEM_MAX", "CPU%", "CPU_MAX", "TASKS", "OOM"}};
  bool unlimited = false;
  for (const auto& r : rows) {
    std::string cpu = r.cpu_percent ? fixed1(*r.cpu_percent) : "-";
    if (!r.cpu_limit) {
      cpu += "*";  // of one CPU, not of a limit
      unlimited = true;
    }
    table.push_back({r.name, r.slice.empty() ? "-" : r.slice, r.user,
                     r.memory_current ? format_size(*r.memory_current) : "-",
                     memory_max_text(r.memory_max), cpu,
                     r.cpu_limit ? cpus_text(*r.cpu_limit) : "max",
                     r.tasks ? std::to_string(*r.tasks) : "-", std::to_string(r.oom_kills)});
  }
  std::array<size_t, 9> width{};
  for (const auto& cells : table)
    for (size_t i = 0; i < cells.size(); ++i) width[i] = std::max(width[i], cells[i].size());
  std::vector<std::string> lines;
  for (const auto& cells : table) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      // Names and users to the left, figures to the right.
      std::string pad(width[i] - cells[i].size(), ' ');
      line += (i == 0 ? "" : "  ") + (i < 3 ? cells[i] + pad : pad + cells[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(std::move(line));
  }
  if (unlimited) lines.emplace_back("* no cpu.max limit: CPU% is of one CPU");
  return lines;
}

}  // namespace cgspawn::top
