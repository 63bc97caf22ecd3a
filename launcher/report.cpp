// status, list and cleanup: what the kernel says about units, for people
// (text) and for the spawner (JSON).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cgroup/names.hpp"
#include "cgroup/stats.hpp"
#include "common/error.hpp"
#include "launcher/commands.hpp"

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

void print_text(const cg::UnitStats& s) {
  std::printf("%s%s%s: %s\n", s.where.slice.c_str(), s.where.slice.empty() ? "" : "/",
              s.where.name.c_str(), cg::to_string(s.state));
  std::printf("  cgroup:  %s\n", s.where.path.c_str());
  std::string pids;
  for (pid_t p : s.pids) pids += (pids.empty() ? "" : " ") + std::to_string(p);
  std::printf("  pids:    %s\n", pids.empty() ? "-" : pids.c_str());
  std::printf("  memory:  current %s, peak %s, max %s, oom kills %llu\n",
              show(s.memory_current).c_str(), show(s.memory_peak).c_str(),
              show(s.memory_max).c_str(), static_cast<unsigned long long>(s.oom_kills()));
  std::printf("  cpu:     usage %llu usec, max %s, weight %s, throttled %llu times\n",
              static_cast<unsigned long long>(stat_or_zero(s.cpu_stat, "usage_usec")),
              show(s.cpu_max).c_str(), show(s.cpu_weight).c_str(),
              static_cast<unsigned long long>(stat_or_zero(s.cpu_stat, "nr_throttled")));
  std::printf("  tasks:   %s of %s\n", show(s.pids_current).c_str(), show(s.pids_max).c_str());
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
  json all = json::array();
  if (!as_json)
    std::printf("%-16s %-40s %-8s %6s %12s %12s %5s\n", "SLICE", "UNIT", "STATE", "TASKS", "MEMORY",
                "CPU_USEC", "OOM");
  for (const auto& where : layout.list_units()) {
    auto s = cg::read_stats(where);
    if (as_json) {
      all.push_back(to_json(s));
      continue;
    }
    std::printf("%-16s %-40s %-8s %6zu %12s %12llu %5llu\n",
                s.where.slice.empty() ? "-" : s.where.slice.c_str(), s.where.name.c_str(),
                cg::to_string(s.state), s.pids.size(), show(s.memory_current).c_str(),
                static_cast<unsigned long long>(stat_or_zero(s.cpu_stat, "usage_usec")),
                static_cast<unsigned long long>(s.oom_kills()));
  }
  if (as_json) std::printf("%s\n", all.dump().c_str());
  return 0;
}

int cleanup_unit(const cg::Layout& layout, const std::string& name) {
  cg::validate_name(name, "unit");
  auto where = layout.find_unit(name);
  if (!where) return 0;
  auto stats = cg::read_stats(*where);
  if (stats.state == cg::UnitState::Running)
    throw_bad_request("cleanup unit", "unit '" + name + "' is still running: use `cgspawn stop " +
                                          name + "` to stop it");
  cg::CgroupDir::open(where->path).remove();
  spdlog::info("removed exited unit {} (oom kills: {})", name, stats.oom_kills());
  return 0;
}

}  // namespace cgspawn
