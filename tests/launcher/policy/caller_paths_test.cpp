// Issue 13, finding 11: through sudo, the paths a caller names are judged
// with the caller's rights (a forked child with its ids), so cgspawn's
// answers say nothing of files the caller cannot see: a hidden path that
// exists and one that does not get the same refusal, naming the path only as
// given (never a symlink's target). Root only (the child takes nobody's ids).
#include "launcher/policy/caller_paths.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "common/error.hpp"
#include "tests/support/sandbox.hpp"

using cgspawn::Caller;
using cgspawn::SpawnQuery;

namespace {

const Caller kNobody{65534, "nobody"};

std::string refusal(const SpawnQuery& req, const Caller& caller = kNobody) {
  try {
    cgspawn::check_paths_as_caller(caller, req);
  } catch (const cgspawn::Error& e) {
    EXPECT_EQ(e.kind(), cgspawn::ErrorKind::Refused) << e.what();
    return e.what();
  }
  return "";
}

// A root-only directory (mkdtemp's 0700) with a directory, an executable and
// a symlink to a secret name in it.
struct Hidden {
  cgspawn::testing::TempDir dir;
  std::string sub = dir.path() + "/sub", shell = dir.path() + "/shell", link = dir.path() + "/link";
  Hidden() {
    ::mkdir(sub.c_str(), 0755);
    std::ofstream(shell) << "#!/bin/sh\n";
    ::chmod(shell.c_str(), 0755);
    if (::symlink("/tmp/cgspawn-secret-target", link.c_str()) != 0) ADD_FAILURE() << "symlink";
  }
};

SpawnQuery read_only(const std::string& path) {
  SpawnQuery req;
  req.mounts.read_only = {path};
  return req;
}

}  // namespace

TEST(CallerPaths, HiddenAndMissingPathsGetTheSameRefusal) {
  if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root to take the caller's ids";
  Hidden h;
  const std::string missing = h.dir.path() + "/nothing";
  auto shown = [](std::string msg, const std::string& path) {
    return msg.replace(msg.find(path), path.size(), "PATH");
  };
  const std::string a = refusal(read_only(h.sub)), b = refusal(read_only(missing));
  ASSERT_NE(a, "") << "a path nobody cannot see passed";
  EXPECT_NE(a.find("(paths)"), std::string::npos) << a;
  EXPECT_EQ(shown(a, h.sub), shown(b, missing)) << "the answer tells whether it exists";
  SpawnQuery rw;
  rw.mounts.read_write = {h.sub};
  EXPECT_NE(refusal(rw).find("--read-write '" + h.sub + "'"), std::string::npos);
  SpawnQuery dev;
  dev.mounts.devices = {h.sub};
  EXPECT_NE(refusal(dev).find("--device"), std::string::npos);
  const std::string l = refusal(read_only(h.link));
  EXPECT_NE(l.find(h.link), std::string::npos) << l;
  EXPECT_EQ(l.find("cgspawn-secret-target"), std::string::npos) << "the target shows: " << l;
}

TEST(CallerPaths, TheShellIsJudgedForExecutionByTheCaller) {
  if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root to take the caller's ids";
  Hidden h;
  SpawnQuery req;
  // No account: a dynamic user, whose shell is judged too.
  req.dynamic_user_shell = h.shell;
  const std::string a = refusal(req);
  EXPECT_NE(
      a.find("--dynamic-user-shell '" + h.shell + "' does not exist or nobody cannot execute"),
      std::string::npos)
      << a;
  req.dynamic_user_shell = "/bin/sh";
  EXPECT_EQ(refusal(req), "");
}

TEST(CallerPaths, WhatTheCallerCanSeePassesAndRootIsNotChecked) {
  if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root to take the caller's ids";
  SpawnQuery req;
  req.mounts.read_only = {"/usr", "/etc/passwd"};
  req.mounts.read_write = {"/tmp"};
  req.mounts.devices = {"/dev/null"};
  req.mounts.private_devices = true;
  EXPECT_EQ(refusal(req), "");
  Hidden h;
  EXPECT_EQ(refusal(read_only(h.sub), Caller{0, "root"}), "") << "root's own call";
  EXPECT_EQ(refusal(read_only("relative/path")), "") << "left to the mount plan";
}
