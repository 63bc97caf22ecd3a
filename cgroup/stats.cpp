#include "cgroup/stats.hpp"

#include <charconv>

#include "cgroup/owner.hpp"
#include "cgroup/values.hpp"
#include "common/error.hpp"
#include "common/files.hpp"

namespace cgspawn::cg {
namespace {

std::optional<std::string> read_opt(const CgroupDir& dir, const char* file) {
  if (!dir.has(file)) return std::nullopt;
  return std::string(trim(dir.read(file)));
}

std::optional<uint64_t> read_number(const CgroupDir& dir, const char* file) {
  auto text = read_opt(dir, file);
  uint64_t v = 0;
  if (!text || std::from_chars(text->data(), text->data() + text->size(), v).ec != std::errc())
    return std::nullopt;
  return v;
}

}  // namespace

const char* to_string(UnitState s) noexcept {
  switch (s) {
    case UnitState::Running:
      return "running";
    case UnitState::Exited:
      return "exited";
    case UnitState::Absent:
      return "absent";
  }
  return "absent";
}

uint64_t UnitStats::oom_kills() const {
  auto it = memory_events.find("oom_kill");
  return it == memory_events.end() ? 0 : it->second;
}

UnitStats read_stats(const UnitLocation& where) {
  UnitStats s;
  s.where = where;
  CgroupDir dir = CgroupDir::open(where.path);
  s.pids = dir.procs();
  s.state = dir.populated() ? UnitState::Running : UnitState::Exited;
  s.memory_current = read_number(dir, "memory.current");
  s.memory_peak = read_number(dir, "memory.peak");  // Linux >= 5.19
  s.memory_max = read_opt(dir, "memory.max");
  s.memory_low = read_opt(dir, "memory.low");
  s.memory_swap_max = read_opt(dir, "memory.swap.max");
  if (auto ev = read_opt(dir, "memory.events")) s.memory_events = parse_keyed(*ev);
  if (auto st = read_opt(dir, "cpu.stat")) s.cpu_stat = parse_keyed(*st);
  s.cpu_max = read_opt(dir, "cpu.max");
  s.cpu_weight = read_opt(dir, "cpu.weight");
  s.pids_current = read_number(dir, "pids.current");
  s.pids_max = read_opt(dir, "pids.max");
  s.owner = read_owner(dir);
  return s;
}

}  // namespace cgspawn::cg
