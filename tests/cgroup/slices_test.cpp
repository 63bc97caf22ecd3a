// Slices: limits written and recorded (fake cgroupfs), and on the real
// cgroup2 mount: an idle slice is removed unless it has recorded limits, and
// the users lock keeps a slice from being removed while a unit is put in it.
#include "cgroup/slices.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/error.hpp"
#include "tests/support/sandbox.hpp"

namespace cg = cgspawn::cg;
using cgspawn::testing::CgroupSandbox;
using cgspawn::testing::TempDir;
using namespace std::chrono_literals;

namespace {

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const cgspawn::Error& e) {
    return e.what();
  }
  return "(no error)";
}

// D/users/students as plain files; trusted.* xattrs need root.
struct FakeSlice {
  TempDir t;
  cg::Layout layout{t.path() + "/D"};
  FakeSlice() {
    t.put("D/users/cgroup.subtree_control", "cpu memory pids\n");
    t.put("D/users/students/cgroup.subtree_control", "cpu memory pids\n");
    // Empty: a plain file keeps the tail of a longer old value (cgroupfs would not).
    for (const char* f : {"memory.max", "pids.max", "cpu.max"})
      t.put(std::string("D/users/students/") + f, "");
  }
};

class RealSlices : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root (cgroup2, trusted xattrs)";
    if (cgspawn::testing::cgroup2_mount().empty()) GTEST_SKIP() << "no cgroup2 mount";
    sandbox_ = std::make_unique<CgroupSandbox>();
    ASSERT_EQ(::mkdir(users().c_str(), 0755), 0);
    layout_ = std::make_unique<cg::Layout>(sandbox_->path());
  }
  [[nodiscard]] std::string users() const { return sandbox_->path() + "/users"; }
  void mk(const std::string& rel) const {
    ASSERT_EQ(::mkdir((users() + "/" + rel).c_str(), 0755), 0);
  }
  std::unique_ptr<CgroupSandbox> sandbox_;
  std::unique_ptr<cg::Layout> layout_;
};

}  // namespace

TEST(SliceLimits, WrittenAndRecordedAndMergedOnTheFakeTree) {
  if (!cgspawn::testing::is_root()) GTEST_SKIP() << "trusted.* xattrs need root";
  FakeSlice f;
  cg::set_slice_limits(
      f.layout, "students",
      {{"memory.max", cg::Bytes{157286400}, "memory"}, {"pids.max", cg::Count{100}, "pids"}});
  EXPECT_EQ(f.t.get("D/users/students/memory.max"), "157286400");
  EXPECT_EQ(f.t.get("D/users/students/pids.max"), "100");
  cg::set_slice_limits(
      f.layout, "students",
      {{"cpu.max", cg::CpuQuota{50000, 100000}, "cpu"}, {"pids.max", cg::Count{200}, "pids"}});
  EXPECT_EQ(f.t.get("D/users/students/cpu.max"), "50000 100000");
  auto slice = cg::find_slice(f.layout, "students");
  ASSERT_TRUE(slice.has_value());
  const std::map<std::string, std::string> want = {
      {"cpu.max", "50000 100000"}, {"memory.max", "157286400"}, {"pids.max", "200"}};
  EXPECT_EQ(slice->configured, want);
  EXPECT_TRUE(slice->units.empty());
  EXPECT_FALSE(cg::remove_slice_if_idle(f.layout, "students")) << "configured: must stay";
  EXPECT_TRUE(is_dir(f.t.path() + "/D/users/students"));
}

TEST_F(RealSlices, IdleSliceGoesWithItsLastUnit) {
  mk("s");
  mk("s/u1");
  mk("s/u2");
  EXPECT_TRUE(layout_->is_slice("s"));
  EXPECT_FALSE(cg::remove_slice_if_idle(*layout_, "s")) << "removed a slice holding units";
  ASSERT_EQ(::rmdir((users() + "/s/u1").c_str()), 0);
  EXPECT_FALSE(cg::remove_slice_if_idle(*layout_, "s"));
  ASSERT_EQ(::rmdir((users() + "/s/u2").c_str()), 0);
  EXPECT_TRUE(cg::remove_slice_if_idle(*layout_, "s"));
  EXPECT_FALSE(is_dir(users() + "/s"));
  EXPECT_FALSE(cg::remove_slice_if_idle(*layout_, "s")) << "absent is not an error";
}

// Real cgroupfs takes the write and the xattr (cgroup.max.descendants stands
// in for a controller file: this host's cgroup2 has no controllers).
TEST_F(RealSlices, RecordedLimitsKeepAnEmptySliceUntilRemovedExplicitly) {
  cg::set_slice_limits(*layout_, "kept", {{"cgroup.max.descendants", cg::RawText{"50"}, "cgroup"}});
  auto slice = cg::find_slice(*layout_, "kept");
  ASSERT_TRUE(slice.has_value()) << "a configured empty slice is still a slice";
  EXPECT_EQ(slice->configured.at("cgroup.max.descendants"), "50");
  EXPECT_EQ(cg::list_slices(*layout_).size(), 1u);
  EXPECT_TRUE(layout_->list_units().empty()) << "listed the empty slice as a unit";
  EXPECT_FALSE(cg::remove_slice_if_idle(*layout_, "kept"));
  EXPECT_TRUE(is_dir(users() + "/kept"));
  mk("kept/u");
  EXPECT_NE(error_of([&] { cg::remove_slice(*layout_, "kept"); }).find("stop them first"),
            std::string::npos);
  ASSERT_EQ(::rmdir((users() + "/kept/u").c_str()), 0);
  cg::remove_slice(*layout_, "kept");
  EXPECT_FALSE(is_dir(users() + "/kept"));
}

TEST_F(RealSlices, FailedWriteRemovesTheSliceItCreatedAndAUnitIsNoSlice) {
  auto msg = error_of([&] {
    cg::set_slice_limits(*layout_, "bad",
                         {{"cgroup.max.descendants", cg::RawText{"lots"}, "cgroup"}});
  });
  EXPECT_NE(msg.find("cgroup.max.descendants"), std::string::npos) << msg;
  EXPECT_FALSE(is_dir(users() + "/bad")) << "left the slice it created";
  mk("unit");
  msg = error_of([&] { cg::set_slice_limits(*layout_, "unit", {}); });
  EXPECT_NE(msg.find("is a unit, not a slice"), std::string::npos) << msg;
}

// A spawn creates the slice and its unit under the lock; a stop's idle check
// must wait for it rather than remove the slice in between.
TEST_F(RealSlices, UsersLockKeepsAnIdleCheckFromRacingAUnitCreation) {
  mk("s");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::close(ready[0]);
    cg::UsersLock lock(*layout_);
    (void)::write(ready[1], "x", 1);
    std::this_thread::sleep_for(300ms);  // the window a spawn has between its two mkdirs
    ::_exit(::mkdir((users() + "/s/unit").c_str(), 0755) == 0 ? 0 : 1);
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  const bool removed = cg::remove_slice_if_idle(*layout_, "s");
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_FALSE(removed) << "removed the slice while a unit was being created in it";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the unit could not be created";
  EXPECT_TRUE(is_dir(users() + "/s/unit"));
}
