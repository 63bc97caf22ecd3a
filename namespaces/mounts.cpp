// enter_mount_namespace(): apply a MountPlan in a fresh mount namespace.
#include "namespaces/mounts.hpp"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/files.hpp"
#include "namespaces/cgroup_view.hpp"
#include "namespaces/mount_table.hpp"
#include "namespaces/private_devices.hpp"

namespace cgspawn::ns {
namespace {

// A fresh tmpfs: shared with nobody, gone with the namespace.
void mount_tmpfs(const char* dir) {
  if (::mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0)
    throw_system("private /tmp", dir, errno, "mounting a fresh tmpfs");
}

void mount_private_tmp() {
  mount_tmpfs("/tmp");
  struct stat st {};
  if (::stat("/var/tmp", &st) == 0) mount_tmpfs("/var/tmp");  // optional on minimal hosts
}

// A procfs instance of the server's own over /proc (since 5.8 each mount
// has its own options): with hidepid=invisible the server's user sees only
// its own processes, not the other servers' command lines and paths. It
// shows the same (host) pid namespace; only what is visible changes.
void mount_private_proc(const std::string& hidepid) {
  const std::string options = "hidepid=" + hidepid;
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, options.c_str()) != 0)
    throw_system("protect /proc", "/proc", errno,
                 errno == EINVAL ? "hidepid=" + hidepid + " needs kernel 5.8 or later" : "");
}

// Its own mount, so the read-only walk can leave it (and its submounts) alone.
// A --read-write path is mounted through a fd of the very object that was
// checked (checked_path.hpp), so a name swapped since cannot redirect it; a
// state directory is ours (made by root, not named by the caller).
void bind_read_write(const std::string& path, const MountPlan& plan) {
  auto checked = plan.read_write_checked.find(path);
  UniqueFd fd;
  std::string via = path;
  if (checked != plan.read_write_checked.end()) {
    fd = reopen_checked(path, checked->second);
    via = "/proc/self/fd/" + std::to_string(fd.get());
  }
  if (::mount(via.c_str(), via.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
    throw_system("read-write bind", path, errno);
}

// All read-only paths at once (they are the plan's last steps). A path that
// is not a mount point is first bound onto itself (MS_REC keeps its
// submounts) so that only this subtree, not the whole containing mount,
// turns read-only; then one walk over the mount table remounts them all.
void make_read_only(const std::vector<std::string>& paths, const std::vector<std::string>& exempt) {
  for (const auto& path : paths)
    if (!is_mount_point(path) &&
        ::mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      throw_system("read-only bind", path, errno);
  remount_read_only_below(paths, exempt);
}

// Where the amended copies are written: a private tmpfs stacked on /tmp (a
// directory every system has) for the moment it takes to bind them, then
// detached; the binds keep its files alive and nothing else can reach them.
constexpr const char* kScratch = "/tmp";

void amend_files(const MountPlan& plan) {
  if (::mount("tmpfs", kScratch, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") != 0)
    throw_system("amend files", kScratch, errno, "mounting a scratch tmpfs");
  UniqueFd scratch = open_dir(kScratch);
  int n = 0;
  for (const auto& step : plan.steps) {
    if (step.kind != MountStep::Kind::AmendFile) continue;
    auto extra = plan.amendments.find(step.path);
    if (extra == plan.amendments.end())
      throw_system("amend file", step.path, EINVAL, "no lines were planned for it");
    std::string text = read_file(step.path);
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += extra->second;
    const std::string name = std::to_string(n++);
    create_file_at(scratch.get(), name, text, 0644, kScratch);
    const std::string copy = std::string(kScratch) + "/" + name;
    if (::mount(copy.c_str(), step.path.c_str(), nullptr, MS_BIND, nullptr) != 0)
      throw_system("amend file", step.path, errno, "bind of the amended copy");
    if (::mount(nullptr, step.path.c_str(), nullptr,
                MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
      throw_system("amend file", step.path, errno, "read-only remount of the amended copy");
  }
  scratch.reset();
  if (::umount2(kScratch, MNT_DETACH) != 0)
    throw_system("amend files", kScratch, errno, "detaching the scratch tmpfs");
}

}  // namespace

void enter_mount_namespace(const MountPlan& plan) {
  if (::unshare(CLONE_NEWNS) != 0) throw_system("unshare mount namespace", "CLONE_NEWNS", errno);
  // Slave, not private: host mount events still arrive, nothing goes back.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
    throw_system("make mounts slave", "/", errno);

  bool amended = false;
  std::vector<std::string> read_only;
  for (const auto& step : plan.steps) {
    switch (step.kind) {
      case MountStep::Kind::AmendFile:
        if (!amended) amend_files(plan);  // all of them at once, on one scratch tmpfs
        amended = true;
        break;
      case MountStep::Kind::PrivateTmp:
        mount_private_tmp();
        break;
      case MountStep::Kind::PrivateDevices:
        mount_private_devices(plan.devices);
        break;
      case MountStep::Kind::ProtectProc:
        mount_private_proc(plan.proc_hidepid);
        break;
      case MountStep::Kind::CgroupView:
        enter_own_cgroup_view();
        break;
      case MountStep::Kind::ServerTls:
        if (!plan.server_tls)
          throw_system("install internal-ssl files", step.path, EINVAL, "no material was planned");
        install_server_tls(*plan.server_tls);
        break;
      case MountStep::Kind::ReadWrite:
        bind_read_write(step.path, plan);
        break;
      case MountStep::Kind::ReadOnly:
        read_only.push_back(step.path);  // after the loop, all in one pass
        break;
    }
  }
  if (!read_only.empty()) make_read_only(read_only, plan.read_write_exempt);
}

}  // namespace cgspawn::ns
