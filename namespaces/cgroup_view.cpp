#include "namespaces/cgroup_view.hpp"

#include <sched.h>
#include <sys/mount.h>

#include <cerrno>

#include "common/error.hpp"

namespace cgspawn::ns {

void enter_own_cgroup_view() {
  // The namespace's root is the cgroup this process is in now: its unit's.
  if (::unshare(CLONE_NEWCGROUP) != 0)
    throw_system("own cgroup view", "CLONE_NEWCGROUP", errno,
                 errno == EINVAL ? "the kernel has no cgroup namespaces (CONFIG_CGROUPS, 4.6+): "
                                   "pass --no-cgroup-namespace"
                                 : "");
  // A fresh cgroup2 mount inside the namespace shows that root, and only it.
  // It shares the host's superblock: the kernel refuses (EBUSY) to mount a
  // superblock straight onto a mount of itself, which /sys/fs/cgroup is on
  // a unified host, so a small tmpfs goes between; and a read-only request
  // would conflict with the read-write superblock, so the mount is made
  // read-only after, by itself.
  constexpr unsigned long kFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (::mount("tmpfs", kCgroupView, "tmpfs", kFlags, "mode=0755,size=4k") != 0)
    throw_system("own cgroup view", kCgroupView, errno, "mounting a tmpfs under it");
  if (::mount("cgroup2", kCgroupView, "cgroup2", kFlags, nullptr) != 0)
    throw_system("own cgroup view", kCgroupView, errno, "mounting cgroup2");
  if (::mount(nullptr, kCgroupView, nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | kFlags, nullptr) !=
      0)
    throw_system("own cgroup view", kCgroupView, errno, "making it read-only");
}

}  // namespace cgspawn::ns
