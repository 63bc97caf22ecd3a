#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>

#include "cgroup/cgroup_dir.hpp"
#include "common/error.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn {
namespace {

cg::CgroupDir open_or_create(const cg::CgroupDir& parent, const std::string& name) {
  struct stat st {};
  if (::fstatat(parent.fd(), name.c_str(), &st, 0) == 0)
    return cg::CgroupDir::open(parent.path() + "/" + name);
  return cg::CgroupDir::create(parent, name);
}

void require_writable(const cg::CgroupDir& d) {
  for (const char* f : {"cgroup.procs", "cgroup.subtree_control"})
    if (::faccessat(d.fd(), f, W_OK, 0) != 0)
      throw_system("check delegation", d.path() + "/" + f, errno,
                   "the hub's cgroup is not delegated to it: add Delegate=yes to the hub's "
                   "systemd unit (or pass --cgroup-root with a delegated directory)");
}

// systemd >= 251 marks delegated cgroups with this xattr; its absence on a
// systemd host means systemd may rearrange the subtree under our feet.
void warn_if_not_marked_delegated(const cg::CgroupDir& d) {
  for (const char* attr : {"trusted.delegate", "user.delegate"})
    if (::getxattr(d.path().c_str(), attr, nullptr, 0) >= 0) return;
  spdlog::warn(
      "{} carries no delegate xattr: if systemd manages it, add Delegate=yes to the "
      "hub's unit",
      d.path());
}

// The no-internal-processes rule: D may enable controllers for its children
// only once it holds no process itself, so the hub moves into D/hub.
void move_all(const cg::CgroupDir& from, const cg::CgroupDir& to) {
  for (int pass = 0; pass < 20; ++pass) {
    auto pids = from.procs();
    if (pids.empty()) return;
    for (pid_t pid : pids) {
      try {
        to.move(pid);
      } catch (const Error& e) {
        if (e.err() != ESRCH) throw;  // exited meanwhile
      }
    }
  }
  throw_system("move processes", from.path(), EBUSY, "processes keep appearing in it");
}

}  // namespace

int init_root(const std::string& root) {
  cg::CgroupDir d = cg::CgroupDir::open(root);
  require_writable(d);
  warn_if_not_marked_delegated(d);
  cg::CgroupDir hub = open_or_create(d, "hub");
  move_all(d, hub);

  std::set<std::string> enable;
  auto available = d.controllers();
  for (const auto& c : cg::wanted_controllers()) {
    if (available.contains(c))
      enable.insert(c);
    else if (c != "io")
      spdlog::warn(
          "the {} controller is not available in {}: spawns asking for {} limits will "
          "be refused (run kernel-check)",
          c, root, c);
  }
  d.enable_controllers(enable);
  cg::CgroupDir users = open_or_create(d, "users");
  users.enable_controllers(enable);

  std::string list;
  for (const auto& c : enable) list += " " + c;
  spdlog::info("initialised {}: hub in {}, units under {}, controllers:{}", root, hub.path(),
               users.path(), list.empty() ? " none" : list);
  return 0;
}

}  // namespace cgspawn
