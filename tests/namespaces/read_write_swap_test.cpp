// Issue 13, finding 6: a --read-write path is mounted as it was checked. A
// name swapped after planning (renameat2 RENAME_EXCHANGE, with a symlink to
// somewhere else or with another directory) makes the spawn fail; it never
// makes the swapped-in target writable. The child mounts through a fd of
// the object it reopened, with no symlink followed.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "child_process.hpp"
#include "common/error.hpp"
#include "host_fixtures.hpp"
#include "mount_request.hpp"
#include "namespaces/mount_table.hpp"
#include "namespaces/mounts.hpp"

namespace cgspawn::ns {
namespace {

using testing::ChildChecks;
using testing::create_file;
using testing::MountSnapshot;
using testing::Request;
using testing::run_in_child;
using testing::TempDir;


class ReadWriteSwap : public ::testing::Test {
 protected:
  void SetUp() override {
    CGSPAWN_SKIP_UNLESS_ROOT();
    work_ = t_.mkdir("work");      // the directory the policy allowed
    secret_ = t_.mkdir("secret");  // stands for /etc
    other_ = t_.mkdir("other");
    decoy_ = t_.path() + "/decoy";
    ASSERT_EQ(::symlink(secret_.c_str(), decoy_.c_str()), 0);
  }
  // Plan read-only T with T/work writable, swap T/work with SWAP_IN, apply.
  void expect_refused_after_swap(const std::string& swap_in, const std::string& why) {
    const MountPlan plan = make_mount_plan(Request().read_only({t_.path()}).read_write({work_}));
    ASSERT_EQ(::renameat2(AT_FDCWD, work_.c_str(), AT_FDCWD, swap_in.c_str(), RENAME_EXCHANGE), 0);
    const auto r = run_in_child([&](ChildChecks& c) {
      try {
        enter_mount_namespace(plan);
        c.expect(false, "applied a plan whose read-write path was swapped (" + why + ")");
      } catch (const Error& e) {
        c.expect(e.kind() == ErrorKind::System && e.object() == work_,
                 std::string("not a System error naming the path: ") + e.what());
      }
      c.expect(!is_mount_point(secret_), "the swapped-in target was mounted");
      c.expect(!is_mount_point(other_) && !is_mount_point(swap_in), "something else was mounted");
    });
    EXPECT_TRUE(r.passed) << r.failures;
    const auto changes = MountSnapshot::changes(before_, MountSnapshot(), {t_.path()});
    EXPECT_TRUE(changes.empty()) << ::testing::PrintToString(changes);
  }

  MountSnapshot before_;
  TempDir t_;
  std::string work_, secret_, other_, decoy_;
};

TEST_F(ReadWriteSwap, SymlinkSwappedInAfterPlanningIsNotFollowed) {
  expect_refused_after_swap(decoy_, "with a symlink");
}

TEST_F(ReadWriteSwap, DirectorySwappedInAfterPlanningIsRefused) {
  expect_refused_after_swap(other_, "with another directory");
}

// Unswapped, the checked directory is what is writable, inside read-only T.
TEST_F(ReadWriteSwap, UnswappedPathIsWritableInsideReadOnly) {
  const MountPlan plan = make_mount_plan(Request().read_only({t_.path()}).read_write({work_}));
  ASSERT_TRUE(plan.read_write_checked.contains(work_));
  const auto r = run_in_child([&](ChildChecks& c) {
    enter_mount_namespace(plan);
    c.expect_ok(create_file(work_ + "/file"), "write T/work/file");
    c.expect_errno(create_file(secret_ + "/file"), EROFS, "write T/secret/file");
  });
  EXPECT_TRUE(r.passed) << r.failures;
  EXPECT_EQ(::access((work_ + "/file").c_str(), F_OK), 0) << "T/work/file should be on the host";
}

// Resolved once, by opening: /proc magic links are refused at planning.
TEST_F(ReadWriteSwap, MagicLinksAreRefusedAtPlanning) {
  const int fd = ::open(secret_.c_str(), O_PATH | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const std::string magic = "/proc/self/fd/" + std::to_string(fd);
  try {
    (void)make_mount_plan(Request().read_write({magic}));
    ADD_FAILURE() << "planned --read-write " << magic;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest) << e.what();
    EXPECT_NE(std::string(e.what()).find("magic link"), std::string::npos) << e.what();
  }
  ::close(fd);
}

}  // namespace
}  // namespace cgspawn::ns
