// enter_mount_namespace(): private /tmp and read-only trees, applied in a
// forked child; the host mount table must be unchanged afterwards.
#include "namespaces/mounts.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "common/error.hpp"
#include "host_fixtures.hpp"
#include "mount_request.hpp"

namespace cgspawn::ns {
namespace {

using testing::ChildChecks;
using testing::create_file;
using testing::MountSnapshot;
using testing::RemoveOnExit;
using testing::Request;
using testing::run_in_child;
using testing::TempDir;

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::string n = e->d_name; n != "." && n != "..") out.push_back(n);
    ::closedir(d);
  }
  return out;
}

// Per-mount options of the mount at MOUNT_POINT in the caller's namespace.
std::string mount_options(const std::string& mount_point) {
  std::istringstream in(testing::read_text("/proc/self/mountinfo"));
  std::string line, found;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string f[6];
    for (auto& x : f) fields >> x;
    if (f[4] == mount_point) found = f[5];  // the last one is on top
  }
  return found;
}

// Make the child's own preparatory mounts invisible to the host before
// enter_mount_namespace() creates the namespace under test.
void private_scratch_namespace(ChildChecks& c) {
  c.expect_ok(::unshare(CLONE_NEWNS), "unshare scratch namespace");
  c.expect_ok(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make / private");
}

class MountNamespace : public ::testing::Test {
 protected:
  void SetUp() override { CGSPAWN_SKIP_UNLESS_ROOT(); }
  // Host mounts must be untouched, and nothing new at the paths we mount on.
  void expect_host_unchanged(const std::vector<std::string>& watched) {
    const auto changes = MountSnapshot::changes(before_, MountSnapshot(), watched);
    EXPECT_TRUE(changes.empty()) << ::testing::PrintToString(changes);
  }
  MountSnapshot before_;
};

TEST_F(MountNamespace, PrivateTmpIsEmptyAndInvisibleToHost) {
  TempDir sentinel;  // something on the host /tmp the child must not see
  const std::string marker = "/tmp/cgspawn-ns-marker-" + std::to_string(::getpid());
  const std::string var_marker = "/var/tmp/cgspawn-ns-marker-" + std::to_string(::getpid());
  RemoveOnExit cleanup(marker), var_cleanup(var_marker);
  const MountPlan plan = make_mount_plan(Request().private_tmp());

  const auto r = run_in_child([&](ChildChecks& c) {
    enter_mount_namespace(plan);
    c.expect(entries("/tmp").empty(), "child /tmp is not empty");
    c.expect(entries("/var/tmp").empty(), "child /var/tmp is not empty");
    c.expect_ok(create_file(marker), "create " + marker);
    c.expect_ok(create_file(var_marker), "create " + var_marker);
    c.expect(::access(marker.c_str(), F_OK) == 0, "marker not visible inside the child");
  });
  EXPECT_TRUE(r.passed) << r.failures;
  EXPECT_NE(::access(marker.c_str(), F_OK), 0) << marker << " leaked to the host /tmp";
  EXPECT_NE(::access(var_marker.c_str(), F_OK), 0) << var_marker << " leaked to the host";
  expect_host_unchanged({"/tmp", "/var/tmp"});
}

TEST_F(MountNamespace, ReadOnlyCoversSubmountsButNotReadWritePaths) {
  TempDir t;
  const std::string sub = t.mkdir("sub"), rw = t.mkdir("rw");
  ASSERT_GE(create_file(t.path() + "/existing"), 0);

  const auto r = run_in_child([&](ChildChecks& c) {
    private_scratch_namespace(c);
    // A submount (with a nested one) that the recursive walk has to reach.
    c.expect_ok(
        ::mount("tmpfs", sub.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755"),
        "mount tmpfs on sub");
    c.expect_ok(::mkdir((sub + "/deep").c_str(), 0755), "mkdir sub/deep");
    c.expect_ok(::mount("tmpfs", (sub + "/deep").c_str(), "tmpfs", 0, nullptr), "mount deep");
    enter_mount_namespace(make_mount_plan(Request().read_only({t.path()}).read_write({rw})));

    c.expect_errno(create_file(t.path() + "/file"), EROFS, "write T/file");
    c.expect_errno(create_file(sub + "/file"), EROFS, "write T/sub/file (submount)");
    c.expect_errno(create_file(sub + "/deep/file"), EROFS, "write T/sub/deep/file");
    c.expect_ok(create_file(rw + "/file"), "write T/rw/file");
    c.expect_ok(::access((t.path() + "/existing").c_str(), R_OK), "read T/existing");
    // Remounting must keep the submount's own flags.
    const std::string opts = mount_options(sub);
    for (const char* flag : {"ro", "nosuid", "nodev", "noexec"})
      c.expect(("," + opts + ",").find(std::string(",") + flag + ",") != std::string::npos,
               "T/sub options '" + opts + "' lack " + flag);
  });
  EXPECT_TRUE(r.passed) << r.failures;
  expect_host_unchanged({t.path()});
  EXPECT_EQ(::access((rw + "/file").c_str(), F_OK), 0) << "T/rw/file should be on the host";
}

TEST_F(MountNamespace, ReadOnlyInsideReadWriteStillApplies) {
  TempDir t;
  const std::string ro = t.mkdir("ro");
  const auto r = run_in_child([&](ChildChecks& c) {
    enter_mount_namespace(make_mount_plan(Request().read_only({ro}).read_write({t.path()})));
    c.expect_ok(create_file(t.path() + "/file"), "write T/file");
    c.expect_errno(create_file(ro + "/file"), EROFS, "write T/ro/file");
  });
  EXPECT_TRUE(r.passed) << r.failures;
  expect_host_unchanged({t.path()});
}

TEST_F(MountNamespace, ReadOnlyRootKeepsPrivateTmpAndApiFilesystemsWritable) {
  const std::string name = "cgspawn-ns-probe-" + std::to_string(::getpid());
  RemoveOnExit usr_probe("/usr/" + name), etc_probe("/etc/" + name);
  const MountPlan plan = make_mount_plan(Request().private_tmp().read_only({"/"}));

  const auto r = run_in_child([&](ChildChecks& c) {
    enter_mount_namespace(plan);
    c.expect_errno(create_file("/usr/" + name), EROFS, "write /usr");
    c.expect_errno(create_file("/etc/" + name), EROFS, "write /etc");
    c.expect_ok(create_file("/tmp/" + name), "write /tmp");
    c.expect_ok(create_file("/var/tmp/" + name), "write /var/tmp");
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    c.expect_ok(null, "open /dev/null for writing");
    c.expect(::write(null, "x", 1) == 1, "write /dev/null");
    ::close(null);
    // /proc keeps its flags: writing our own comm still works.
    const int comm = ::open("/proc/self/comm", O_WRONLY | O_CLOEXEC);
    c.expect_ok(comm, "open /proc/self/comm for writing");
    c.expect(::write(comm, "probe", 5) == 5, "write /proc/self/comm");
    ::close(comm);
  });
  EXPECT_TRUE(r.passed) << r.failures;
  expect_host_unchanged({"/tmp", "/var/tmp", "/usr", "/etc"});
}

TEST_F(MountNamespace, FailureNamesStepPathAndErrno) {
  TempDir t;
  const std::string gone = t.mkdir("gone");
  const MountPlan plan = make_mount_plan(Request().read_only({gone}));
  ASSERT_EQ(::rmdir(gone.c_str()), 0);  // vanishes between planning and applying

  const auto r = run_in_child([&](ChildChecks& c) {
    try {
      enter_mount_namespace(plan);
      c.expect(false, "applying a plan whose path vanished succeeded");
    } catch (const Error& e) {
      c.expect(e.kind() == ErrorKind::System, std::string("not a System error: ") + e.what());
      c.expect(e.object() == gone && e.err() == ENOENT && !e.step().empty(),
               std::string("error lacks step/path/errno: ") + e.what());
    }
  });
  EXPECT_TRUE(r.passed) << r.failures;
  expect_host_unchanged({t.path()});
}

// ProtectProc=invisible: as another user the child sees only its own
// processes in its /proc; the host's /proc is untouched.
TEST_F(MountNamespace, ProtectProcHidesOtherUsersProcesses) {
  const MountPlan plan = make_mount_plan(Request().protect_proc("invisible"));
  const auto r = run_in_child([&](ChildChecks& c) {
    enter_mount_namespace(plan);
    c.expect(::access("/proc/1", F_OK) == 0, "root lost sight of pid 1");
    c.expect_ok(::setgid(65534), "setgid nobody");
    c.expect_ok(::setuid(65534), "setuid nobody");
    c.expect(::access("/proc/1", F_OK) != 0, "pid 1 (root's) is visible to nobody");
    c.expect(::access("/proc/self/status", R_OK) == 0, "its own process is not visible");
  });
  EXPECT_TRUE(r.passed) << r.failures;
  EXPECT_EQ(::access("/proc/1", F_OK), 0);
  expect_host_unchanged({"/proc"});
}

}  // namespace
}  // namespace cgspawn::ns
