#include "launcher/spawn/clone_into_cgroup.hpp"

#include <linux/sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>

#include "common/error.hpp"

namespace cgspawn {

Forked fork_into(const cg::CgroupDir& unit) {
  clone_args args{};
  args.flags = CLONE_INTO_CGROUP;
  args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<uint64_t>(unit.fd());
  // glibc has no clone3 wrapper. Without CLONE_VM the child returns here on
  // a copy of this stack, as from fork(); glibc 2.34+ takes the thread id
  // from the kernel where it matters (raise), not from a cache.
  long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid >= 0) return {static_cast<pid_t>(pid), true};
  pid_t forked = ::fork();
  if (forked < 0) throw_system("fork", unit.path(), errno);
  return {forked, false};
}

}  // namespace cgspawn
