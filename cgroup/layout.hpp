// The delegated subtree's layout:
//   D/hub                the hub's own processes (no-internal-processes rule)
//   D/users/NAME         one leaf per server ("unit")
//   D/users/SLICE/NAME   units grouped under a slice with aggregate limits
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cgroup/cgroup_dir.hpp"
#include "cgroup/limits.hpp"

namespace cgspawn::cg {

// Set on a slice by `cgspawn slice set`: the limits configured there, one
// FILE=VALUE a line. A slice carrying it is kept while it has no units.
inline constexpr const char* kSliceLimitsXattr = "trusted.cgspawn.limits";

// cpu, memory, pids, plus io where the kernel offers it.
const std::set<std::string>& wanted_controllers();

struct UnitLocation {
  std::string name;
  std::string slice;  // empty: directly under D/users
  std::string path;
};

class Layout {
 public:
  explicit Layout(std::string root) : root_(std::move(root)) {}
  [[nodiscard]] const std::string& root() const noexcept { return root_; }
  [[nodiscard]] std::string users_path() const { return root_ + "/users"; }
  [[nodiscard]] std::string unit_path(const std::string& name, const std::string& slice) const;

  // D/users, or an error telling the admin to run `cgspawn init`.
  [[nodiscard]] CgroupDir open_users() const;
  // D/users/SLICE, created with the users' controllers enabled on first use.
  // A unit of that name is not a slice: Error(BadRequest).
  [[nodiscard]] CgroupDir open_or_create_slice(const std::string& slice) const;
  // Whether D/users/NAME is a slice (not a unit): it holds units, enables
  // controllers for children, or has configured limits.
  [[nodiscard]] bool is_slice(const std::string& name) const;
  // Where unit NAME lives now, in any slice.
  [[nodiscard]] std::optional<UnitLocation> find_unit(const std::string& name) const;
  // Every unit, slices included, sorted by slice then name.
  [[nodiscard]] std::vector<UnitLocation> list_units() const;

 private:
  std::string root_;
};

// Refuse limits that would not be enforced on a child of PARENT (D/users or
// a slice): each controller must be enabled in PARENT's subtree_control
// (Error(System): run `cgspawn init`), each file one this kernel offers, as
// seen on USERS (Error(BadRequest)).
void check_enforceable(const std::vector<LimitWrite>& writes, const CgroupDir& parent,
                       const CgroupDir& users);

}  // namespace cgspawn::cg
