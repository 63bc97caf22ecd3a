// Slices: D/users/SLICE groups units under aggregate limits. The first unit
// that names a slice creates it; `cgspawn slice set` creates it too and
// writes its limits, which it records on the slice (kSliceLimitsXattr). A
// slice is removed when its last unit goes, unless it has recorded limits:
// those must outlive its units, or the next unit would find the slice gone
// and recreate it without them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cgroup/cgroup_dir.hpp"
#include "cgroup/layout.hpp"
#include "cgroup/limits.hpp"
#include "cgroup/locks.hpp"

namespace cgspawn::cg {

struct SliceInfo {
  std::string name, path;
  std::map<std::string, std::string> configured;  // FILE -> VALUE recorded by `slice set`
  std::vector<std::string> units;                 // sorted
};

// The limits recorded on a slice; empty when none.
std::map<std::string, std::string> configured_limits(const CgroupDir& slice);

std::optional<SliceInfo> find_slice(const Layout& layout, const std::string& name);
std::vector<SliceInfo> list_slices(const Layout& layout);  // sorted by name

// Create the slice if needed, write WRITES and record them with those recorded
// before (a file set again takes its new value). The caller has validated
// them (check_enforceable). A slice this call created is removed if a write
// fails.
void set_slice_limits(const Layout& layout, const std::string& name,
                      const std::vector<LimitWrite>& writes);

// Remove the slice when it holds no unit and has no recorded limits; true when
// it was removed. An absent slice is left alone (false).
bool remove_slice_if_idle(const Layout& layout, const std::string& name);

// Remove the slice whatever its limits; it must hold no unit
// (Error(BadRequest) otherwise). An absent slice is fine.
void remove_slice(const Layout& layout, const std::string& name);

}  // namespace cgspawn::cg
