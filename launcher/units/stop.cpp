#include <spdlog/spdlog.h>

#include <csignal>

#include "cgroup/cgroup_dir.hpp"
#include "cgroup/names.hpp"
#include "cgroup/owner.hpp"
#include "cgroup/slices.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "launcher/trace/fault_point.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn {

std::optional<cg::UnitLock> lock_unit(const cg::Layout& layout, const std::string& name) {
  cg::validate_name(name, "unit");
  if (!is_dir(layout.users_path())) return std::nullopt;
  return std::optional<cg::UnitLock>(std::in_place, layout, name);
}

namespace {

// Under the unit lock, so the check and the stop see the same unit.
void check_owner(const cg::CgroupDir& unit, const std::string& name, const std::string& owner) {
  if (owner.empty()) return;
  auto recorded = cg::read_owner(unit);
  if (recorded && *recorded != owner)
    throw_bad_request("stop unit", "unit " + name + " belongs to " + *recorded + ", not to " +
                                       owner +
                                       ": not stopped (without --owner, stop stops any unit)");
}

}  // namespace

int stop_unit(const cg::Layout& layout, const std::string& name, std::chrono::milliseconds timeout,
              const std::string& owner) {
  // A spawn of NAME still running is waited for, then what it started is
  // stopped: the two never interleave.
  auto lock = lock_unit(layout, name);
  fault_point("stop-locked");
  auto where = layout.find_unit(name);
  if (!where) {
    spdlog::info("unit {} is not running", name);
    return 0;
  }
  cg::CgroupDir unit = cg::CgroupDir::open(where->path);
  check_owner(unit, name, owner);
  if (unit.populated()) {
    unit.signal_all(SIGTERM);
    unit.signal_all(SIGCONT);  // a stopped process cannot act on SIGTERM
    fault_point("stop-term");
    if (!unit.wait_unpopulated(timeout)) {
      spdlog::warn("unit {} still has processes after {} ms: killing them", name, timeout.count());
      unit.kill_all();
      fault_point("stop-kill");
      if (!unit.wait_unpopulated(std::chrono::seconds(10)))
        throw_system("stop unit", where->path, EBUSY, "processes survived cgroup.kill");
    }
  }
  unit.remove();
  fault_point("stop-removed");
  spdlog::info("stopped unit {}", name);
  remove_slice_if_idle_after(layout, *where);
  return 0;
}

void remove_slice_if_idle_after(const cg::Layout& layout, const cg::UnitLocation& removed) {
  if (!removed.slice.empty() && cg::remove_slice_if_idle(layout, removed.slice))
    spdlog::info("removed slice {}: its last unit is gone and it has no configured limits",
                 removed.slice);
}

}  // namespace cgspawn
