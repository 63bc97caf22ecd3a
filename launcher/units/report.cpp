// status, list and cleanup: what the kernel says about units, for people
// (text) and for the spawner (JSON).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cgroup/names.hpp"
#include "cgroup/slices.hpp"
#include "cgroup/stats.hpp"
#include "common/error.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn {
namespace {

using nlohmann::json;

template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json to_json(const cg::UnitStats& s) {
  json j;
  j["unit"] = s.where.name;
  j["slice"] = s.where.slice;
  j["path"] = s.where.path;
  j["state"] = cg::to_string(s.state);
  j["pids"] = s.pids;
  j["memory_current"] = opt(s.memory_current);
  j["memory_peak"] = opt(s.memory_peak);
  j["memory_max"] = opt(s.memory_max);
  j["memory_low"] = opt(s.memory_low);
  j["memory_swap_max"] = opt(s.memory_swap_max);
  j["memory_events"] = s.memory_events;
  j["oom_kill"] = s.oom_kills();
  j["cpu_stat"] = s.cpu_stat;
  j["cpu_max"] = opt(s.cpu_max);
  j["cpu_weight"] = opt(s.cpu_weight);
  j["pids_current"] = opt(s.pids_current);
  j["pids_max"] = opt(s.pids_max);
  j["owner"] = opt(s.owner);
  return j;
}

json absent_json(const std::string& name) {
  return json{{"unit", name}, {"state", "absent"}, {"pids", json::array()}, {"oom_kill", 0}};
}

template <class T>
std::string show(const std::optional<T>& v) {
  if (!v) return "-";
  if constexpr (std::is_same_v<T, std::string>)
    return *v;
  else
    return std::to_string(*v);
}

uint64_t stat_or_zero(const std::map<std::string, uint64_t>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

// The figures shared by units and slices.
void print_figures(const cg::UnitStats& s) {
  std::printf("  memory:  current %s, peak %s, max %s, oom kills %llu\n",
              show(s.memory_current).c_str(), show(s.memory_peak).c_str(),
              show(s.memory_max).c_str(), static_cast<unsigned long long>(s.oom_kills()));
  std::printf("  cpu:     usage %llu usec, max %s, weight %s, throttled %llu times\n",
              static_cast<unsigned long long>(stat_or_zero(s.cpu_stat, "usage_usec")),
              show(s.cpu_max).c_str(), show(s.cpu_weight).c_str(),
              static_cast<unsigned long long>(stat_or_zero(s.cpu_stat, "nr_throttled")));
  std::printf("  tasks:   %s of %s\n", show(s.pids_current).c_str(), show(s.pids_max).c_str());
}

void print_text(const cg::UnitStats& s) {
  std::printf("%s%s%s: %s\n", s.where.slice.c_str(), s.where.slice.empty() ? "" : "/",
              s.where.name.c_str(), cg::to_string(s.state));
  std::printf("  cgroup:  %s\n", s.where.path.c_str());
  if (s.owner) std::printf("  owner:   %s\n", s.owner->c_str());
  std::string pids;
  for (pid_t p : s.pids) pids += (pids.empty() ? "" : " ") + std::to_string(p);
  std::printf("  pids:    %s\n", pids.empty() ? "-" : pids.c_str());
  print_figures(s);
}

std::string limits_text(const cg::SliceInfo& slice) {
  if (slice.configured.empty()) return "no configured limits (removed with its last unit)";
  std::string text;
  for (const auto& [file, value] : slice.configured)
    text += (text.empty() ? "" : ", ") + file + "=" + value;
  return text;
}

}  // namespace

int unit_status(const cg::Layout& layout, const std::string& name, bool as_json) {
  cg::validate_name(name, "unit");
  auto where = layout.find_unit(name);
  if (!where) {
    if (as_json)
      std::printf("%s\n", absent_json(name).dump().c_str());
    else
      std::printf("%s: absent\n", name.c_str());
    return kExitNotRunning;
  }
  auto stats = cg::read_stats(*where);
  if (as_json)
    std::printf("%s\n", to_json(stats).dump().c_str());
  else
    print_text(stats);
  return stats.state == cg::UnitState::Running ? 0 : kExitNotRunning;
}

int list_units(const cg::Layout& layout, bool as_json) {
  const auto units = layout.list_units();  // sorted by slice, then name
  if (as_json) {
    json all = json::array();
    for (const auto& where : units) all.push_back(to_json(cg::read_stats(where)));
    std::printf("%s\n", all.dump().c_str());
    return 0;
  }
  std::printf("%-42s %-8s %6s %12s %12s %5s\n", "UNIT", "STATE", "TASKS", "MEMORY", "CPU_USEC",
              "OOM");
  auto row = [](const cg::UnitStats& s, const char* indent) {
    std::printf("%s%-*s %-8s %6zu %12s %12llu %5llu\n", indent,
                static_cast<int>(42 - std::strlen(indent)), s.where.name.c_str(),
                cg::to_string(s.state), s.pids.size(), show(s.memory_current).c_str(),
                static_cast<unsigned long long>(stat_or_zero(s.cpu_stat, "usage_usec")),
                static_cast<unsigned long long>(s.oom_kills()));
  };
  for (const auto& where : units)
    if (where.slice.empty()) row(cg::read_stats(where), "");
  // Every slice under a header with its configured limits, empty ones too.
  for (const auto& slice : cg::list_slices(layout)) {
    std::printf("slice %s: %s\n", slice.name.c_str(), limits_text(slice).c_str());
    for (const auto& where : units)
      if (where.slice == slice.name) row(cg::read_stats(where), "  ");
  }
  return 0;
}

int slice_show(const cg::Layout& layout, const std::string& name, bool as_json) {
  std::vector<cg::SliceInfo> slices;
  if (name.empty()) {
    slices = cg::list_slices(layout);
  } else {
    cg::validate_name(name, "slice");
    auto one = cg::find_slice(layout, name);
    if (!one) {
      if (as_json)
        std::printf("%s\n", json{{"slice", name}, {"state", "absent"}}.dump().c_str());
      else
        std::printf("slice %s: absent\n", name.c_str());
      return kExitNotRunning;
    }
    slices.push_back(*one);
  }
  json all = json::array();
  for (const auto& slice : slices) {
    auto stats = cg::read_stats({slice.name, "", slice.path});
    if (as_json) {
      json j = to_json(stats);
      j.erase("unit");
      j.erase("pids");
      j["slice"] = slice.name;
      j["state"] = slice.units.empty() ? "empty" : "active";
      j["units"] = slice.units;
      j["configured"] = slice.configured;
      all.push_back(j);
      continue;
    }
    std::string units;
    for (const auto& u : slice.units) units += (units.empty() ? "" : " ") + u;
    std::printf("slice %s: %zu unit(s)\n", slice.name.c_str(), slice.units.size());
    std::printf("  cgroup:     %s\n", slice.path.c_str());
    std::printf("  configured: %s\n", limits_text(slice).c_str());
    std::printf("  units:      %s\n", units.empty() ? "-" : units.c_str());
    print_figures(stats);
  }
  if (as_json) std::printf("%s\n", (name.empty() ? all : all.front()).dump().c_str());
  return 0;
}

int cleanup_unit(const cg::Layout& layout, const std::string& name) {
  auto lock = lock_unit(layout, name);
  auto where = layout.find_unit(name);
  if (!where) return 0;
  auto stats = cg::read_stats(*where);
  if (stats.state == cg::UnitState::Running)
    throw_bad_request("cleanup unit", "unit '" + name + "' is still running: use `cgspawn stop " +
                                          name + "` to stop it");
  cg::CgroupDir::open(where->path).remove();
  spdlog::info("removed exited unit {} (oom kills: {})", name, stats.oom_kills());
  remove_slice_if_idle_after(layout, *where);
  return 0;
}

}  // namespace cgspawn
