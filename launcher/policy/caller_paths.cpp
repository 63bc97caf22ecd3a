#include "launcher/policy/caller_paths.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "common/nss.hpp"

namespace cgspawn {
namespace {

struct PathCheck {
  std::string flag, path;
  int mode;  // F_OK: it resolves; X_OK: the caller may execute it
};

std::vector<PathCheck> paths_of(const SpawnQuery& req) {
  std::vector<PathCheck> out;
  auto add = [&](const char* flag, const std::vector<std::string>& paths) {
    for (const auto& p : paths)
      if (!p.empty() && p.front() == '/') out.push_back({flag, p, F_OK});
  };
  add("--read-only", req.mounts.read_only);
  add("--read-write", req.mounts.read_write);
  add("--device", req.mounts.devices);
  if (!req.account && !req.dynamic_user_shell.empty() && req.dynamic_user_shell.front() == '/')
    out.push_back({"--dynamic-user-shell", req.dynamic_user_shell, X_OK});
  return out;
}

// The caller's ids as the user database has them; one with no entry gets
// nogroup and no supplementary groups (never more than it has).
struct Ids {
  uid_t uid;
  gid_t gid;
  std::vector<gid_t> groups;
};

Ids ids_of(const Caller& caller) {
  Ids ids{caller.uid, 65534, {}};
  auto pw = passwd_by_uid(caller.uid);
  if (!pw) return ids;
  ids.gid = pw->gid;
  int n = 64;
  for (;;) {
    ids.groups.resize(static_cast<size_t>(n));
    if (::getgrouplist(pw->name.c_str(), pw->gid, ids.groups.data(), &n) >= 0) break;
  }
  ids.groups.resize(static_cast<size_t>(n));
  return ids;
}

// In the child, as the caller: one byte per check, '1' when it passes.
[[noreturn]] void judge(const Ids& ids, const std::vector<PathCheck>& checks, int out) {
  if (::setgroups(ids.groups.size(), ids.groups.data()) != 0 ||
      ::setresgid(ids.gid, ids.gid, ids.gid) != 0 || ::setresuid(ids.uid, ids.uid, ids.uid) != 0)
    ::_exit(1);
  std::string verdicts;
  for (const auto& c : checks) {
    char real[PATH_MAX];
    bool ok = ::realpath(c.path.c_str(), real) != nullptr;
    if (ok && c.mode == X_OK) ok = ::access(real, X_OK) == 0;
    verdicts += ok ? '1' : '0';
  }
  ::_exit(::write(out, verdicts.data(), verdicts.size()) == static_cast<ssize_t>(verdicts.size())
              ? 0
              : 1);
}

std::string verdicts_of(const Ids& ids, const std::vector<PathCheck>& checks) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_system("check paths as the caller", "pipe2", errno);
  UniqueFd rd(fds[0]), wr(fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) throw_system("check paths as the caller", "fork", errno);
  if (pid == 0) judge(ids, checks, wr.get());
  wr.reset();
  std::string verdicts;
  char buf[256];
  for (ssize_t n; (n = ::read(rd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    verdicts.append(buf, static_cast<size_t>(n));
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || verdicts.size() != checks.size())
    throw_system("check paths as the caller", "uid " + std::to_string(ids.uid), EPERM,
                 "the child that takes the caller's ids failed");
  return verdicts;
}

}  // namespace

void check_paths_as_caller(const Caller& caller, const SpawnQuery& req) {
  const std::vector<PathCheck> checks = paths_of(req);
  if (checks.empty() || caller.uid == 0) return;
  const std::string verdicts = verdicts_of(ids_of(caller), checks);
  for (size_t i = 0; i < checks.size(); ++i) {
    if (verdicts[i] == '1') continue;
    const PathCheck& c = checks[i];
    throw_refused("paths", c.flag + " '" + c.path.substr(0, 200) + "' does not exist or " +
                               caller.name +
                               (c.mode == X_OK ? " cannot execute it" : " cannot reach it") +
                               ": through sudo, paths are judged with the caller's rights");
  }
}

}  // namespace cgspawn
