#include "launcher/spawn/spawn.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "cgroup/cgroup_dir.hpp"
#include "cgroup/owner.hpp"
#include "cgroup/slices.hpp"
#include "common/error.hpp"
#include "common/fd.hpp"
#include "launcher/dynamic_users/dynamic_users.hpp"
#include "launcher/spawn/clone_into_cgroup.hpp"
#include "launcher/spawn/contain.hpp"
#include "launcher/trace/fault_point.hpp"
#include "launcher/trace/timings.hpp"
#include "namespaces/nss_entries.hpp"

namespace cgspawn {
namespace {

// The dynamic user's uid (allocated once, kept forever) and home, and the
// lines its namespace's /etc/passwd and /etc/group gain.
// ALLOWED (the policy's uid bounds) is checked inside, before anything is
// written.
void provision_dynamic_user(SpawnPlan& plan, const std::optional<UidRange>& allowed) {
  const DynamicUserPlan& dyn = *plan.dynamic_user;
  const uid_t uid = DynamicUsers(dyn.state_dir).provision(plan.identity.name, dyn.range, allowed);
  plan.identity.uid = uid;
  plan.identity.gid = static_cast<gid_t>(uid);
  plan.mounts.amendments["/etc/passwd"] = ns::passwd_line(plan.identity, kDynamicUserGecos);
  plan.mounts.amendments["/etc/group"] = ns::group_line(plan.identity);
  if (plan.mounts.server_tls) {
    plan.mounts.server_tls->uid = uid;
    plan.mounts.server_tls->gid = plan.identity.gid;
  }
  spdlog::info("dynamic user {} has uid {}, home {}", plan.identity.name, uid, plan.identity.home);
}

// D/users/[SLICE/]NAME. A leftover cgroup of a server that exited on its own
// is replaced; a running one is a conflict. Under the users lock, so the
// slice cannot be removed as idle between its creation and the unit's.
cg::CgroupDir create_unit_cgroup(const SpawnPlan& plan) {
  cg::UsersLock lock(plan.layout);
  if (auto existing = plan.layout.find_unit(plan.unit)) {
    cg::CgroupDir old = cg::CgroupDir::open(existing->path);
    if (old.populated())
      throw_bad_request("create unit", "unit '" + plan.unit + "' is already running (" +
                                           existing->path + "): stop it first with `cgspawn stop " +
                                           plan.unit + "`");
    spdlog::info("removing leftover cgroup of exited unit {}", plan.unit);
    old.remove();
  }
  cg::CgroupDir parent =
      plan.slice.empty() ? plan.layout.open_users() : plan.layout.open_or_create_slice(plan.slice);
  return cg::CgroupDir::create(parent, plan.unit);
}

void write_limits(const cg::CgroupDir& unit, const SpawnPlan& plan) {
  for (const auto& w : plan.limits) cg::write_limit(unit, w);
}

// Read the child's report until EOF (the pipe is close-on-exec, so EOF comes
// with the exec or the child's death): kExecNext, then nothing after it if
// the exec succeeded; "<status>\n<message>" after it, or alone, if a step
// failed.
std::string read_report(int fd) {
  std::string text;
  char buf[1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
}

// EOF without kExecNext: the child died before it reached exec, without a
// word (a signal: the OOM killer during the mounts, an admin's kill -9).
[[noreturn]] void throw_child_died(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string how = WIFSIGNALED(status)
                              ? "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
                                    strsignal(WTERMSIG(status)) + ")"
                              : "exited with status " + std::to_string(WEXITSTATUS(status));
  throw Error(ErrorKind::System, "start server", std::to_string(pid), 0,
              "its process " + how +
                  " before it could exec the command (out of memory? see journalctl -k)");
}

[[noreturn]] void rethrow_child_failure(const std::string& report) {
  auto nl = report.find('\n');
  int status = 1;
  std::from_chars(report.data(), report.data() + nl, status);
  std::string message = nl == std::string::npos ? report : report.substr(nl + 1);
  ErrorKind kind = status == 2     ? ErrorKind::BadRequest
                   : status == 126 ? ErrorKind::ExecFailed
                   : status == 127 ? ErrorKind::NotFound
                                   : ErrorKind::System;
  throw Error(kind, message, {}, 0);
}

Forked start_server(const cg::CgroupDir& unit, const SpawnPlan& plan) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_system("create report pipe", "pipe2", errno);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  std::fflush(nullptr);
  const Forked forked = fork_into(unit);
  const pid_t pid = forked.pid;
  if (pid == 0) {
    read_end.reset();
    contain_and_exec(unit, plan, forked.in_cgroup, write_end.get());
  }
  fault_point("forked");  // not a timing step: it would race the child's marks
  write_end.reset();
  std::string report = read_report(read_end.get());
  timing_mark("exec-confirmed");
  if (report == kExecNext) return forked;
  if (report.empty()) throw_child_died(pid);
  if (report.starts_with(kExecNext)) report.erase(0, std::string_view(kExecNext).size());
  int ignored = 0;
  while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
  }
  rethrow_child_failure(report);
}

struct Started {
  pid_t pid = 0;
  std::string path;
  ino_t inode = 0;  // of the unit's cgroup (its kernfs id: never reused)
};

// Create the unit, write its limits, start the server; on failure the unit's
// cgroup is removed.
Started start_unit(const SpawnPlan& plan) {
  cg::CgroupDir unit = create_unit_cgroup(plan);
  timing_mark("cgroup");
  cg::RemoveOnFailure guard(unit);
  if (!plan.owner.empty()) cg::record_owner(unit, plan.owner);  // before anything runs in it
  write_limits(unit, plan);
  timing_mark("limits");
  const Forked server = start_server(unit, plan);
  const pid_t pid = server.pid;
  guard.release();
  spdlog::info("started unit {} as {} (pid {}) in {} ({})", plan.unit, plan.identity.name, pid,
               unit.path(), server.in_cgroup ? "cloned into it" : "forked, then moved into it");
  timing_mark("started-log");
  struct stat st {};
  if (::fstat(unit.fd(), &st) != 0) st.st_ino = 0;  // the server runs: report it regardless
  return {pid, unit.path(), st.st_ino};
}

void print_started(const Started& s, bool json_result) {
  if (!json_result) {
    std::printf("%d\n", s.pid);
    return;
  }
  nlohmann::json j{{"pid", s.pid}, {"path", s.path}};
  if (s.inode) j["cgroup_inode"] = static_cast<uint64_t>(s.inode);
  std::printf("%s\n", j.dump().c_str());
}

}  // namespace

int spawn(SpawnPlan plan, std::optional<UidRange> allowed_uids, bool json_result) {
  if (plan.dynamic_user) provision_dynamic_user(plan, allowed_uids);
  // Held until the server runs (or the spawn failed and cleaned up): a stop
  // or cleanup of this unit meanwhile waits, then acts on what it finds.
  cg::UnitLock lock(plan.layout, plan.unit);
  fault_point("unit-locked");
  Started started;
  try {
    started = start_unit(plan);
  } catch (const Error&) {
    // Nothing left behind: a slice this spawn created goes with its unit.
    if (!plan.slice.empty()) try {
        cg::remove_slice_if_idle(plan.layout, plan.slice);
      } catch (const Error& e) {
        spdlog::warn("could not remove idle slice {}: {}", plan.slice, e.what());
      }
    throw;
  }
  print_started(started, json_result);
  return 0;
}

}  // namespace cgspawn
