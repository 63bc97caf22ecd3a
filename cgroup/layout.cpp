#include "cgroup/layout.hpp"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <tuple>

#include "cgroup/names.hpp"
#include "common/error.hpp"
#include "common/files.hpp"

namespace cgspawn::cg {
namespace {

// A slice is a directory under D/users that groups units: it has unit
// directories below it, or it delegates controllers to children (which a
// unit leaf never does), or `slice set` configured it.
bool is_slice_dir(const CgroupDir& dir) {
  return !dir.child_names().empty() || !dir.subtree_control().empty() ||
         ::fgetxattr(dir.fd(), kSliceLimitsXattr, nullptr, 0) >= 0;
}

}  // namespace

const std::set<std::string>& wanted_controllers() {
  static const std::set<std::string> wanted{"cpu", "io", "memory", "pids"};
  return wanted;
}

std::string Layout::unit_path(const std::string& name, const std::string& slice) const {
  return slice.empty() ? users_path() + "/" + name : users_path() + "/" + slice + "/" + name;
}

CgroupDir Layout::open_users() const {
  if (!is_dir(users_path()))
    throw_system("open users cgroup", users_path(), ENOENT,
                 "the delegated subtree is not initialised: run `cgspawn init` first "
                 "(e.g. ExecStartPre= in the hub's unit)");
  return CgroupDir::open(users_path());
}

CgroupDir Layout::open_or_create_slice(const std::string& slice) const {
  CgroupDir users = open_users();
  std::string path = users_path() + "/" + slice;
  if (is_dir(path)) {
    CgroupDir dir = CgroupDir::open(path);
    if (!is_slice_dir(dir))
      throw_bad_request("open slice", "'" + slice +
                                          "' is a unit, not a slice: pick another "
                                          "slice name");
    return dir;
  }
  try {
    CgroupDir dir = CgroupDir::create(users, slice);
    dir.enable_controllers(users.subtree_control());
    return dir;
  } catch (const Error& e) {
    if (e.err() == EEXIST) return CgroupDir::open(path);  // a concurrent spawn won
    throw;
  }
}

bool Layout::is_slice(const std::string& name) const {
  std::string path = users_path() + "/" + name;
  return is_dir(path) && is_slice_dir(CgroupDir::open(path));
}

std::optional<UnitLocation> Layout::find_unit(const std::string& name) const {
  if (!is_dir(users_path())) return std::nullopt;
  std::string direct = unit_path(name, "");
  if (is_dir(direct) && !is_slice_dir(CgroupDir::open(direct)))
    return UnitLocation{name, "", direct};
  // In a slice: one stat of D/users/S/NAME per directory S, and S judged a
  // slice only where that exists. Every spawn asks this under the users
  // lock; judging every unit as list_units() does (open, read the cgroup's
  // directory, subtree_control and an xattr each) made 100 concurrent
  // spawns wait on each other past the lock's 15 s in the guest (issue 17).
  // The first slice by name, as list_units() sorts them.
  std::optional<UnitLocation> found;
  CgroupDir users = CgroupDir::open(users_path());
  for (const auto& s : users.child_names()) {
    if (!is_valid_name(s) || (found && found->slice < s)) continue;
    std::string path = unit_path(name, s);
    if (is_dir(path) && is_slice_dir(CgroupDir::open(users_path() + "/" + s)))
      found = UnitLocation{name, s, std::move(path)};
  }
  return found;
}

std::vector<UnitLocation> Layout::list_units() const {
  std::vector<UnitLocation> units;
  if (!is_dir(users_path())) return units;
  CgroupDir users = CgroupDir::open(users_path());
  for (const auto& n : users.child_names()) {
    if (!is_valid_name(n)) continue;
    CgroupDir child = CgroupDir::open(users_path() + "/" + n);
    if (!is_slice_dir(child)) {
      units.push_back({n, "", child.path()});
      continue;
    }
    for (const auto& u : child.child_names())
      if (is_valid_name(u)) units.push_back({u, n, child.path() + "/" + u});
  }
  std::sort(units.begin(), units.end(), [](const UnitLocation& a, const UnitLocation& b) {
    return std::tie(a.slice, a.name) < std::tie(b.slice, b.name);
  });
  return units;
}

void check_enforceable(const std::vector<LimitWrite>& writes, const CgroupDir& parent,
                       const CgroupDir& users) {
  for (const auto& c : missing_controllers(writes, parent.subtree_control()))
    throw Error(ErrorKind::System, "check controllers", parent.path(), 0,
                "the " + c +
                    " controller is not enabled for units, so its limit cannot be "
                    "enforced: run `cgspawn init`, and `kernel-check` if it stays unavailable");
  for (const auto& w : writes)
    if (!users.has(w.file))
      throw_bad_request("check --property", "cgroup interface file '" + w.file +
                                                "' does not exist on this kernel: check the name "
                                                "(ls " +
                                                parent.path() + ")");
}

}  // namespace cgspawn::cg
