// The users lock (issue 13, finding 3): a 0600 file in the root-only
// /run/cgspawn, removed after use; a flock() on D/users, which anyone can
// take, no longer stops it; a real holder is a bounded wait whose error names
// the lock and the holder; and it still excludes: concurrent holders never
// overlap.
#include "cgroup/locks.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "common/error.hpp"
#include "common/files.hpp"
#include "tests/support/sandbox.hpp"

namespace cg = cgspawn::cg;
using namespace std::chrono_literals;

namespace {

class UsersLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root (/run/cgspawn, cgroup2)";
    if (cgspawn::testing::cgroup2_mount().empty()) GTEST_SKIP() << "no cgroup2 mount";
    sandbox_ = std::make_unique<cgspawn::testing::CgroupSandbox>();
    ASSERT_EQ(::mkdir(users().c_str(), 0755), 0);
    layout_ = std::make_unique<cg::Layout>(sandbox_->path());
  }
  [[nodiscard]] std::string users() const { return sandbox_->path() + "/users"; }
  // A child that holds the lock TAKE returns for 4 s; its pid once it holds
  // it, -1 if it never did.
  template <class Take>
  static pid_t hold_for_4s(Take take) {
    int ready[2];
    if (::pipe(ready) != 0) return -1;
    pid_t holder = ::fork();
    if (holder == 0) {
      ::close(ready[0]);
      {
        auto lock = take();
        (void)::write(ready[1], "x", 1);
        std::this_thread::sleep_for(4s);
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    char c = 0;
    const bool held = holder > 0 && ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    return held ? holder : -1;
  }
  // Exit status of BODY run in a child that SIGALRM kills after SECONDS.
  static int in_child(unsigned seconds, const std::function<int()>& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::alarm(seconds);
      int rc = 1;
      try {
        rc = body();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "child: %s\n", e.what());
      }
      ::_exit(rc);
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

  std::unique_ptr<cgspawn::testing::CgroupSandbox> sandbox_;
  std::unique_ptr<cg::Layout> layout_;
};

}  // namespace

TEST_F(UsersLockTest, IsARootOnlyFileRemovedAfterUse) {
  std::string path;
  {
    cg::UsersLock lock(*layout_);
    path = lock.path();
    EXPECT_EQ(path.rfind("/run/cgspawn/users-", 0), 0u) << path;
    struct stat st {};
    ASSERT_EQ(::lstat("/run/cgspawn", &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    EXPECT_EQ(cgspawn::read_file(path), std::to_string(::getpid()) + "\n") << "the holder";
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << path << " outlived the lock";
}

// What any user (or server) can do to D/users: open it and flock() it.
TEST_F(UsersLockTest, AFlockOnTheUsersDirectoryDoesNotBlockIt) {
  cgspawn::UniqueFd dir(::open(users().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(dir);
  ASSERT_EQ(::flock(dir.get(), LOCK_EX), 0);
  EXPECT_EQ(in_child(10,
                     [&] {
                       cg::UsersLock lock(*layout_, 2s);
                       return 0;
                     }),
            0)
      << "the lock waited for a flock() anyone can take (142: killed by the alarm)";
}

TEST_F(UsersLockTest, AHeldLockIsABoundedWaitNamingTheLockAndTheHolder) {
  const pid_t holder = hold_for_4s([this] { return cg::UsersLock(*layout_); });
  ASSERT_GT(holder, 0);
  const auto start = std::chrono::steady_clock::now();
  std::string msg = "(no error)";
  try {
    cg::UsersLock lock(*layout_, 1500ms);
  } catch (const cgspawn::Error& e) {
    msg = e.what();
    EXPECT_EQ(e.kind(), cgspawn::ErrorKind::System);
  }
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_NE(msg.find("/run/cgspawn/users-"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cgspawn pid " + std::to_string(holder)), std::string::npos) << msg;
  EXPECT_NE(msg.find(users()), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_GE(waited, 1.4);
  EXPECT_LT(waited, 3.9) << "waited for the holder instead of giving up";
  int st = 0;
  ::waitpid(holder, &st, 0);
  EXPECT_NO_THROW(cg::UsersLock(*layout_, 5s)) << "free again once the holder is gone";
}

// Each holder removes the file before letting go; a waiter that got the old
// file must not count as holding the lock.
TEST_F(UsersLockTest, ConcurrentHoldersNeverOverlap) {
  cgspawn::testing::TempDir tmp;
  const std::string counter = tmp.path() + "/counter";
  std::ofstream(counter) << 0;
  std::vector<pid_t> kids;
  for (int k = 0; k < 4; ++k) {
    pid_t pid = ::fork();
    if (pid == 0) {
      for (int i = 0; i < 40; ++i) {
        cg::UsersLock lock(*layout_, 60s);
        int n = std::stoi(cgspawn::read_file(counter));
        std::this_thread::sleep_for(200us);
        std::ofstream(counter) << n + 1;
      }
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  EXPECT_EQ(cgspawn::read_file(counter), "160");
}

// One lock per unit (issue 15): held, it is a bounded wait whose one-line
// error names the unit, the lock file and the holder; another unit's lock is
// free meanwhile, and so is the users lock.
TEST_F(UsersLockTest, AUnitLockIsPerUnitAndABoundedWaitNamingTheUnitAndTheHolder) {
  const pid_t holder =
      hold_for_4s([this] { return cg::UnitLock(*layout_, "jupyter-alice-singleuser"); });
  ASSERT_GT(holder, 0);
  EXPECT_NO_THROW(cg::UnitLock(*layout_, "jupyter-bob-singleuser", 500ms)) << "another unit";
  EXPECT_NO_THROW(cg::UsersLock(*layout_, 500ms)) << "the users lock";
  std::string msg = "(no error)";
  try {
    cg::UnitLock lock(*layout_, "jupyter-alice-singleuser", 1500ms);
  } catch (const cgspawn::Error& e) {
    msg = e.what();
  }
  EXPECT_NE(msg.find("lock unit: /run/cgspawn/unit-"), std::string::npos) << msg;
  EXPECT_NE(msg.find("-jupyter-alice-singleuser.lock"), std::string::npos) << msg;
  EXPECT_NE(msg.find("waited 1 s for the lock of unit jupyter-alice-singleuser, held now by "
                     "cgspawn pid " +
                     std::to_string(holder)),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  int st = 0;
  ::waitpid(holder, &st, 0);
  EXPECT_NO_THROW(cg::UnitLock(*layout_, "jupyter-alice-singleuser", 5s)) << "free again";
  EXPECT_THROW(cg::UnitLock(*layout_, "../users-1", 5s), cgspawn::Error) << "a name, not a path";
}
