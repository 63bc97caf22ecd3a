// Many --read-only paths: one read of the mount table for them all (it was
// re-read per path, and 3000 paths took 30 s), checked by counting the
// reads and, more loosely, by time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "host_fixtures.hpp"
#include "mount_request.hpp"
#include "namespaces/mount_table.hpp"
#include "namespaces/mounts.hpp"

namespace cgspawn::ns {
namespace {

using testing::ChildChecks;
using testing::MountSnapshot;
using testing::Request;
using testing::run_in_child;
using testing::TempDir;

bool writable(const std::string& dir) {
  const std::string file = dir + "/probe";
  const int fd = ::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  ::close(fd);
  ::unlink(file.c_str());
  return true;
}

TEST(MountScale, ThousandsOfReadOnlyPathsReadMountinfoOnce) {
  CGSPAWN_SKIP_UNLESS_ROOT();
  const MountSnapshot before;
  TempDir t;
  constexpr int kPaths = 3000;
  std::vector<std::string> paths;
  for (int i = 0; i < kPaths; ++i) paths.push_back(t.mkdir("d" + std::to_string(i)));
  const std::string rw = t.mkdir("d7/rw");  // still carved out of its read-only parent
  const MountPlan plan = make_mount_plan(Request().read_only(paths).read_write({rw}));

  const auto start = std::chrono::steady_clock::now();
  const auto r = run_in_child([&](ChildChecks& c) {
    const unsigned reads_before = mountinfo_reads();
    enter_mount_namespace(plan);
    const unsigned reads = mountinfo_reads() - reads_before;
    c.expect(reads == 1, "mountinfo read " + std::to_string(reads) + " times for " +
                             std::to_string(kPaths) + " paths");
    for (const int i : {0, 7, 1234, kPaths - 1})
      c.expect(!writable(paths[i]) && errno == EROFS, paths[i] + " is not read-only");
    c.expect(writable(rw), rw + " is not writable");
  });
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.passed) << r.failures;
  // Generous: the host is shared; the child took 180 ms here, the per-path
  // reads 47 s.
  EXPECT_LT(took, std::chrono::seconds(20));
  const auto changes = MountSnapshot::changes(before, MountSnapshot(), {t.path()});
  EXPECT_TRUE(changes.empty()) << ::testing::PrintToString(changes);
}

}  // namespace
}  // namespace cgspawn::ns
