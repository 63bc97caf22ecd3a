// CgroupDir against the real cgroup2 mount (on this development host the
// unified hierarchy has no memory/cpu/pids controllers; the moves, events,
// kill and rmdir still work). Skips when not root.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>

#include "cgroup/cgroup_dir.hpp"
#include "common/error.hpp"
#include "tests/support/sandbox.hpp"

namespace cg = cgspawn::cg;
using namespace std::chrono_literals;
using cgspawn::testing::CgroupSandbox;

namespace {

class RealCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root to write cgroup.procs";
    if (cgspawn::testing::cgroup2_mount().empty()) GTEST_SKIP() << "no cgroup2 mount";
    sandbox_ = std::make_unique<CgroupSandbox>();
  }
  // A child that sleeps until killed; reaped in TearDown.
  pid_t sleeper(bool ignore_term = false) {
    // SIG_IGN before fork() (the child inherits it): set in the child, a
    // SIGTERM could arrive first and kill it (the test failed so, rarely).
    struct sigaction ignore {
    }, saved{};
    ignore.sa_handler = SIG_IGN;
    if (ignore_term) ::sigaction(SIGTERM, &ignore, &saved);
    pid_t pid = ::fork();
    if (pid == 0)
      for (;;) ::pause();
    if (ignore_term) ::sigaction(SIGTERM, &saved, nullptr);
    children_.push_back(pid);
    return pid;
  }
  void TearDown() override {
    for (pid_t p : children_) ::kill(p, SIGKILL);
    for (pid_t p : children_) ::waitpid(p, nullptr, 0);
    sandbox_.reset();
  }
  std::unique_ptr<CgroupSandbox> sandbox_;
  std::vector<pid_t> children_;
};

}  // namespace

TEST_F(RealCgroup, CreateMoveSignalWaitRemove) {
  auto d = cg::CgroupDir::open(sandbox_->path());
  auto unit = cg::CgroupDir::create(d, "u1");
  EXPECT_FALSE(unit.populated());
  pid_t a = sleeper();
  unit.move(a);
  EXPECT_TRUE(unit.populated());
  EXPECT_EQ(unit.procs(), std::vector<pid_t>{a});
  EXPECT_FALSE(unit.wait_unpopulated(100ms));  // still running
  unit.signal_all(SIGTERM);
  ::waitpid(a, nullptr, 0);  // reap, so it leaves the cgroup
  EXPECT_TRUE(unit.wait_unpopulated(2s));
  unit.remove();
  EXPECT_NE(::access(unit.path().c_str(), F_OK), 0);
}

TEST_F(RealCgroup, KillAllTakesProcessesThatIgnoreSigterm) {
  auto d = cg::CgroupDir::open(sandbox_->path());
  auto unit = cg::CgroupDir::create(d, "stubborn");
  pid_t a = sleeper(true);
  unit.move(a);
  unit.signal_all(SIGTERM);
  EXPECT_FALSE(unit.wait_unpopulated(300ms));
  unit.kill_all();
  int st = 0;
  ::waitpid(a, &st, 0);
  EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  EXPECT_TRUE(unit.wait_unpopulated(2s));
  unit.remove();
}

TEST_F(RealCgroup, CreateTwiceIsEexist) {
  auto d = cg::CgroupDir::open(sandbox_->path());
  auto unit = cg::CgroupDir::create(d, "dup");
  try {
    (void)cg::CgroupDir::create(d, "dup");
    ADD_FAILURE() << "second mkdir succeeded";
  } catch (const cgspawn::Error& e) {
    EXPECT_EQ(e.err(), EEXIST);
    EXPECT_NE(std::string(e.what()).find(sandbox_->path() + "/dup"), std::string::npos);
  }
  unit.remove();
}

TEST_F(RealCgroup, RemoveOnFailureLeavesNothing) {
  auto d = cg::CgroupDir::open(sandbox_->path());
  std::string path;
  {
    auto unit = cg::CgroupDir::create(d, "half-made");
    path = unit.path();
    cg::RemoveOnFailure guard(unit);
    unit.move(sleeper());
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << path << " survived";
}
