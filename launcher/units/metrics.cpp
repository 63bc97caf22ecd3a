#include "launcher/units/metrics.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn {
namespace metrics {
namespace {

using Value = std::optional<std::string>;

std::string number(uint64_t n) {
  return std::to_string(n);
}

std::string number(double d) {
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), d);
  return ec == std::errc() ? std::string(buf.data(), end) : "NaN";
}

// Microseconds as seconds, exactly (no float rounding): 1234567 -> 1.234567.
std::string usec_as_seconds(uint64_t usec) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%llu.%06llu",
                static_cast<unsigned long long>(usec / 1000000),
                static_cast<unsigned long long>(usec % 1000000));
  return buf.data();
}

// A limit file's kernel string: "max" is no limit (+Inf), a number as is.
Value limit(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  if (*text == "max") return "+Inf";
  uint64_t n = 0;
  if (std::from_chars(text->data(), text->data() + text->size(), n).ec != std::errc())
    return std::nullopt;
  return number(n);
}

Value gauge(const std::optional<uint64_t>& v) {
  return v ? Value(number(*v)) : std::nullopt;
}

Value keyed(const std::map<std::string, uint64_t>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? std::nullopt : Value(number(it->second));
}

Value keyed_seconds(const std::map<std::string, uint64_t>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? std::nullopt : Value(usec_as_seconds(it->second));
}

// cpu.max "QUOTA PERIOD" as CPUs; "max PERIOD" is +Inf.
Value cpu_limit(const std::optional<std::string>& cpu_max) {
  if (!cpu_max) return std::nullopt;
  auto space = cpu_max->find(' ');
  std::string quota = cpu_max->substr(0, space);
  if (quota == "max") return "+Inf";
  uint64_t q = 0, period = 100000;
  if (std::from_chars(quota.data(), quota.data() + quota.size(), q).ec != std::errc())
    return std::nullopt;
  if (space != std::string::npos) {
    const char* p = cpu_max->data() + space + 1;
    if (std::from_chars(p, cpu_max->data() + cpu_max->size(), period).ec != std::errc() ||
        period == 0)
      return std::nullopt;
  }
  return number(static_cast<double>(q) / static_cast<double>(period));
}

struct Family {
  const char* name;
  const char* type;
  const char* help;
  Value (*value)(const cg::UnitStats&);
};

// The order `cgspawn metrics` prints them in; names follow Prometheus'
// conventions (base units, _total on counters).
const std::array<Family, 13> kFamilies = {{
    {"cgspawn_unit_running", "gauge", "1 while the unit's cgroup has processes, 0 once they exited",
     [](const cg::UnitStats& s) -> Value { return s.state == cg::UnitState::Running ? "1" : "0"; }},
    {"cgspawn_memory_current_bytes", "gauge", "memory.current: memory the unit uses now",
     [](const cg::UnitStats& s) { return gauge(s.memory_current); }},
    {"cgspawn_memory_peak_bytes", "gauge",
     "memory.peak: the most memory the unit used (Linux >= 5.19)",
     [](const cg::UnitStats& s) { return gauge(s.memory_peak); }},
    {"cgspawn_memory_max_bytes", "gauge", "memory.max: the unit's memory limit (+Inf: none)",
     [](const cg::UnitStats& s) { return limit(s.memory_max); }},
    {"cgspawn_memory_low_bytes", "gauge", "memory.low: the unit's protected memory",
     [](const cg::UnitStats& s) { return limit(s.memory_low); }},
    {"cgspawn_oom_kills_total", "counter",
     "memory.events oom_kill: processes of the unit the OOM killer killed",
     [](const cg::UnitStats& s) { return keyed(s.memory_events, "oom_kill"); }},
    {"cgspawn_cpu_usage_seconds_total", "counter", "cpu.stat usage_usec: CPU time the unit used",
     [](const cg::UnitStats& s) { return keyed_seconds(s.cpu_stat, "usage_usec"); }},
    {"cgspawn_cpu_limit_cpus", "gauge", "cpu.max as CPUs: the unit's CPU limit (+Inf: none)",
     [](const cg::UnitStats& s) { return cpu_limit(s.cpu_max); }},
    {"cgspawn_cpu_periods_total", "counter", "cpu.stat nr_periods: enforcement periods elapsed",
     [](const cg::UnitStats& s) { return keyed(s.cpu_stat, "nr_periods"); }},
    {"cgspawn_cpu_throttled_periods_total", "counter",
     "cpu.stat nr_throttled: periods in which the unit was throttled by its CPU limit",
     [](const cg::UnitStats& s) { return keyed(s.cpu_stat, "nr_throttled"); }},
    {"cgspawn_cpu_throttled_seconds_total", "counter",
     "cpu.stat throttled_usec: time the unit was held back by its CPU limit",
     [](const cg::UnitStats& s) { return keyed_seconds(s.cpu_stat, "throttled_usec"); }},
    {"cgspawn_tasks", "gauge", "pids.current: the unit's processes and threads",
     [](const cg::UnitStats& s) { return gauge(s.pids_current); }},
    {"cgspawn_tasks_max", "gauge", "pids.max: the unit's task limit (+Inf: none)",
     [](const cg::UnitStats& s) { return limit(s.pids_max); }},
}};

std::string labels(const cg::UnitStats& s) {
  return "{unit=\"" + escape_label_value(s.where.name) + "\",user=\"" +
         escape_label_value(owner_user(s.owner)) + "\",slice=\"" +
         escape_label_value(s.where.slice) + "\"}";
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string owner_user(const std::optional<std::string>& owner) {
  if (!owner) return "";
  auto j = nlohmann::json::parse(*owner, nullptr, /*allow_exceptions=*/false);
  if (j.is_array() && !j.empty() && j.front().is_string()) return j.front().get<std::string>();
  return *owner;
}

std::string format(const std::vector<cg::UnitStats>& units) {
  std::string out;
  for (const auto& family : kFamilies) {
    std::string series;
    for (const auto& s : units)
      if (auto v = family.value(s)) series += family.name + labels(s) + " " + *v + "\n";
    if (series.empty()) continue;
    out += std::string("# HELP ") + family.name + " " + family.help + "\n";
    out += std::string("# TYPE ") + family.name + " " + family.type + "\n";
    out += series;
  }
  return out;
}

}  // namespace metrics

int print_metrics(const cg::Layout& layout) {
  std::vector<cg::UnitStats> units;
  for (const auto& where : layout.list_units()) {
    try {
      units.push_back(cg::read_stats(where));
    } catch (const Error&) {
      // Stopped between the listing and the reading: it has no figures now.
      if (::access(where.path.c_str(), F_OK) == 0 || errno != ENOENT) throw;
    }
  }
  const std::string text = metrics::format(units);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace cgspawn
