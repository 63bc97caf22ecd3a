#include "cgroup/root.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"

namespace cg = cgspawn::cg;

namespace {
// Shapes copied from a hybrid host (this development machine) and a unified one.
constexpr const char* kHybrid =
    "24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "27 24 0:25 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755\n"
    "28 27 0:26 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 "
    "cgroup2 rw,nsdelegate\n"
    "29 27 0:27 / /sys/fs/cgroup/memory rw,nosuid shared:10 - cgroup cgroup rw,memory\n";
constexpr const char* kUnified =
    "31 24 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";
}  // namespace

TEST(FindCgroup2Mount, HybridAndUnified) {
  EXPECT_EQ(cg::find_cgroup2_mount(kHybrid), "/sys/fs/cgroup/unified");
  EXPECT_EQ(cg::find_cgroup2_mount(kUnified), "/sys/fs/cgroup");
}

TEST(FindCgroup2Mount, NoneOrBindOfSubdirOrEscaped) {
  EXPECT_EQ(cg::find_cgroup2_mount(""), "");
  EXPECT_EQ(cg::find_cgroup2_mount("garbage without separator\n"), "");
  // A cgroup2 bind of a subdirectory (root field not "/") is not the hierarchy root.
  EXPECT_EQ(cg::find_cgroup2_mount("40 1 0:27 /sub /mnt/x rw - cgroup2 cgroup2 rw\n"), "");
  EXPECT_EQ(cg::find_cgroup2_mount("40 1 0:27 / /mnt/my\\040cg rw - cgroup2 cgroup2 rw\n"),
            "/mnt/my cg");
}

TEST(OwnCgroupPath, PicksTheV2Entry) {
  EXPECT_EQ(
      cg::own_cgroup_path("12:memory:/x\n1:name=systemd:/y\n0::/system.slice/jupyterhub.service\n"),
      "/system.slice/jupyterhub.service");
  EXPECT_EQ(cg::own_cgroup_path("0::/\n"), "/");
  EXPECT_THROW(cg::own_cgroup_path("12:memory:/x\n"), cgspawn::Error);
  EXPECT_THROW(cg::own_cgroup_path("0::relative\n"), cgspawn::Error);
}

TEST(DelegatedRoot, StripsTrailingHub) {
  EXPECT_EQ(cg::delegated_root("/sys/fs/cgroup", "/system.slice/jupyterhub.service/hub"),
            "/sys/fs/cgroup/system.slice/jupyterhub.service");
  EXPECT_EQ(cg::delegated_root("/sys/fs/cgroup/", "/system.slice/jupyterhub.service"),
            "/sys/fs/cgroup/system.slice/jupyterhub.service");
  EXPECT_EQ(cg::delegated_root("/sys/fs/cgroup", "/a/hubx"), "/sys/fs/cgroup/a/hubx");
  EXPECT_EQ(
      cg::delegated_root("/sys/fs/cgroup", "/system.slice/jupyterhub-servers.service/.control"),
      "/sys/fs/cgroup/system.slice/jupyterhub-servers.service");
  EXPECT_EQ(cg::delegated_root("/sys/fs/cgroup", "/"), "/sys/fs/cgroup");
}

TEST(ResolveRoot, ExplicitRootMustBeOnCgroup2) {
  try {
    cg::resolve_root("/tmp");
    ADD_FAILURE() << "accepted /tmp";
  } catch (const cgspawn::Error& e) {
    EXPECT_EQ(e.kind(), cgspawn::ErrorKind::BadRequest);
    EXPECT_NE(std::string(e.what()).find("cgroup2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(cg::resolve_root("/nonexistent/cgroup"), cgspawn::Error);
}
