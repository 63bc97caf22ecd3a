// The subcommands other than spawn. Each returns the process exit status.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "cgroup/layout.hpp"
#include "cgroup/limits.hpp"
#include "cgroup/locks.hpp"

namespace cgspawn {

inline constexpr int kExitNotRunning = 3;  // like `systemctl is-active`

int init_root(const std::string& root);
// OWNER (--owner): stop only a unit that records no owner or this one; one
// that records another is left running (Error(BadRequest), naming both).
int stop_unit(const cg::Layout& layout, const std::string& name, std::chrono::milliseconds timeout,
              const std::string& owner = {});
int unit_status(const cg::Layout& layout, const std::string& name, bool json);
int list_units(const cg::Layout& layout, bool json);
int cleanup_unit(const cg::Layout& layout, const std::string& name);

// The lock of unit NAME (cgroup/locks.hpp), held by spawn, stop and cleanup
// for their whole run; none where D/users does not exist (no unit can, and
// a spawn fails there before it takes one).
std::optional<cg::UnitLock> lock_unit(const cg::Layout& layout, const std::string& name);

// The end of `stop` and `cleanup`, once the unit's cgroup is removed: its
// slice goes too when that was its last unit and it has no configured limits.
void remove_slice_if_idle_after(const cg::Layout& layout, const cg::UnitLocation& removed);

// `top`: every unit's figures, redrawn every DELAY_SECONDS in the terminal
// (keys change the sort, q quits), or one table for scripts (ONCE).
struct TopOptions {
  double delay_seconds = 2;
  bool once = false;
  std::string sort = "cpu";
};
int top_units(const cg::Layout& layout, const TopOptions& options);

// `metrics`: every unit's figures in the Prometheus text format (metrics.hpp).
int print_metrics(const cg::Layout& layout);

// `slice set`: create the slice if needed, write and record its limits
// (WRITES from plan_slice_limits).
int slice_set(const cg::Layout& layout, const std::string& name,
              const std::vector<cg::LimitWrite>& writes);
// `slice show [NAME]`: one slice (exit 3 when absent) or, without NAME, all.
int slice_show(const cg::Layout& layout, const std::string& name, bool json);
// `slice remove`: remove an empty slice, recorded limits and all.
int slice_remove(const cg::Layout& layout, const std::string& name);
// The writes `slice set` would make, validated (for the sudo policy first).
std::vector<cg::LimitWrite> plan_slice_limits(const cg::LimitFlags& flags);

}  // namespace cgspawn
