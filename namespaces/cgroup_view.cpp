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
  if (::mount("cgroup2", kCgroupView, "cgroup2", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              nullptr) != 0)
    throw_system("own cgroup view", kCgroupView, errno, "mounting cgroup2 read-only");
}

}  // namespace cgspawn::ns
