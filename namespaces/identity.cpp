#include "namespaces/identity.hpp"

#include <grp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "common/error.hpp"
#include "common/nss.hpp"

namespace cgspawn::ns {
namespace {

constexpr const char* kStep = "drop identity";

std::vector<gid_t> sorted_groups(std::vector<gid_t> groups) {
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  return groups;
}

// What initgroups() should have installed: WHO's groups and nothing else.
std::vector<gid_t> expected_groups(const Identity& who) {
  if (!who.supplementary_groups) return {who.gid};
  int n = 64;
  std::vector<gid_t> groups;
  for (;;) {
    groups.resize(static_cast<size_t>(n));
    if (::getgrouplist(who.name.c_str(), who.gid, groups.data(), &n) >= 0) break;
  }
  groups.resize(static_cast<size_t>(n));
  return sorted_groups(std::move(groups));
}

std::vector<gid_t> current_groups(const std::string& name) {
  const int n = ::getgroups(0, nullptr);
  std::vector<gid_t> groups(static_cast<size_t>(n < 0 ? 0 : n));
  if (n < 0 || ::getgroups(n, groups.data()) != n) throw_system(kStep, name, errno, "getgroups");
  return sorted_groups(std::move(groups));
}

}  // namespace

Identity lookup_user(std::string_view name) {
  const std::string user(name);
  if (user.empty()) throw_bad_request("user lookup", "empty user name: pass an existing account");
  // Only a clear "no such user" is a bad request; a source that could not
  // answer is a system error (passwd_by_name throws).
  auto pw = passwd_by_name(user);
  if (!pw)
    throw_bad_request("user lookup",
                      "unknown user '" + user + "': create it or pick an existing account");
  return Identity{pw->name, pw->uid, pw->gid, pw->home, pw->shell};
}

void become(const Identity& who) {
  const std::vector<gid_t> groups = expected_groups(who);
  // Groups first: once the uid is dropped they can no longer be changed.
  if (who.supplementary_groups) {
    if (::initgroups(who.name.c_str(), who.gid) != 0)
      throw_system(kStep, who.name, errno, "initgroups");
  } else if (::setgroups(1, &who.gid) != 0) {
    throw_system(kStep, who.name, errno, "setgroups " + std::to_string(who.gid));
  }
  if (::setresgid(who.gid, who.gid, who.gid) != 0)
    throw_system(kStep, who.name, errno, "setresgid " + std::to_string(who.gid));
  if (::setresuid(who.uid, who.uid, who.uid) != 0)
    throw_system(kStep, who.name, errno, "setresuid " + std::to_string(who.uid));

  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  if (::getresuid(&ruid, &euid, &suid) != 0 || ::getresgid(&rgid, &egid, &sgid) != 0)
    throw_system(kStep, who.name, errno, "getresuid/getresgid");
  if (ruid != who.uid || euid != who.uid || suid != who.uid || rgid != who.gid || egid != who.gid ||
      sgid != who.gid)
    throw_system(kStep, who.name, EPERM, "ids did not all change");
  if (current_groups(who.name) != groups)
    throw_system(kStep, who.name, EPERM, "supplementary groups are not the user's");
  // The drop must be irreversible: regaining root has to fail.
  if (who.uid != 0 && ::setresuid(0, 0, 0) == 0)
    throw_system(kStep, who.name, EPERM, "setresuid(0) still succeeds after the drop");
}

}  // namespace cgspawn::ns
