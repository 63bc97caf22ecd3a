// make_mount_plan(): validation of hostile input, normalisation, ordering.
// Pure planning touches nothing, so these run unprivileged.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/error.hpp"
#include "host_fixtures.hpp"
#include "mount_request.hpp"
#include "namespaces/mounts.hpp"

namespace cgspawn::ns {
namespace {

using Kind = MountStep::Kind;
using testing::Request;
using testing::TempDir;

// The BadRequest message of planning REQUEST, or "" when it was accepted.
std::string rejection(const MountRequest& request) {
  try {
    make_mount_plan(request);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest) << e.what();
    return e.what();
  }
  return "";
}

std::vector<std::pair<Kind, std::string>> steps(const MountPlan& plan) {
  std::vector<std::pair<Kind, std::string>> out;
  for (const auto& s : plan.steps) out.emplace_back(s.kind, s.path);
  return out;
}

TEST(MountPlan, EmptyRequestGivesEmptyPlan) {
  const MountPlan plan = make_mount_plan({});
  EXPECT_TRUE(plan.empty());
  EXPECT_TRUE(plan.read_write_exempt.empty());
}

TEST(MountPlan, RejectsRelativePath) {
  const std::string msg = rejection(Request().read_only({"etc"}));
  EXPECT_NE(msg.find("--read-only 'etc' is not absolute"), std::string::npos) << msg;
}

TEST(MountPlan, RejectsEmptyPath) {
  const std::string msg = rejection(Request().read_write({""}));
  EXPECT_NE(msg.find("--read-write got an empty path"), std::string::npos) << msg;
}

TEST(MountPlan, RejectsDotDotEvenWhenItWouldResolve) {
  const std::string msg = rejection(Request().read_only({"/usr/../etc"}));
  EXPECT_NE(msg.find("'..'"), std::string::npos) << msg;
  EXPECT_NE(rejection(Request().read_write({"/.."})), "");
}

TEST(MountPlan, RejectsMissingPathNamingFlagAndPath) {
  const std::string msg = rejection(Request().read_write({"/nonexistent-cgspawn-path/x"}));
  EXPECT_NE(msg.find("--read-write /nonexistent-cgspawn-path/x does not exist"), std::string::npos)
      << msg;
  // The first bad path fails the whole plan, even with good ones around it.
  EXPECT_NE(rejection(Request().read_only({"/usr", "/no-such-dir-cgspawn"})), "");
}

TEST(MountPlan, NormalisesSlashesAndDots) {
  const MountPlan plan = make_mount_plan(Request().read_only({"//usr//", "/usr/.", "/./usr"}));
  EXPECT_EQ(steps(plan), (std::vector<std::pair<Kind, std::string>>{{Kind::ReadOnly, "/usr"}}));
  EXPECT_EQ(steps(make_mount_plan(Request().read_only({"//"}))),
            (std::vector<std::pair<Kind, std::string>>{{Kind::ReadOnly, "/"}}));
}

TEST(MountPlan, ResolvesSymlinksToTheMountTablePath) {
  TempDir dir;
  const std::string real = dir.mkdir("real");
  ASSERT_EQ(::symlink(real.c_str(), (dir.path() + "/link").c_str()), 0);
  const MountPlan plan = make_mount_plan(Request().read_only({dir.path() + "/link/"}));
  ASSERT_EQ(plan.steps.size(), 1u);
  EXPECT_EQ(plan.steps[0].path, real);
}

TEST(MountPlan, DeviceNeedsPrivateDevices) {
  const std::string msg = rejection(Request().devices({"/dev/null"}));
  EXPECT_NE(msg.find("--device needs --private-devices"), std::string::npos) << msg;
}

TEST(MountPlan, RejectsRegularFileAsDevice) {
  const std::string msg = rejection(Request().private_devices().devices({"/etc/passwd"}));
  EXPECT_NE(msg.find("/etc/passwd is not a device node"), std::string::npos) << msg;
  EXPECT_NE(rejection(Request().private_devices().devices({"/dev"})), "");
  EXPECT_NE(rejection(Request().private_devices().devices({"/dev/no-such-device"})), "");
}

TEST(MountPlan, RejectsPtyDevicesThePrivateDevProvides) {
  EXPECT_NE(rejection(Request().private_devices().devices({"/dev/ptmx"})), "");
}

TEST(MountPlan, DeduplicatesPathsAndDevices) {
  const MountPlan plan = make_mount_plan(Request()
                                             .private_devices()
                                             .devices({"/dev/full", "//dev/full", "/dev/full"})
                                             .read_only({"/usr", "/usr/", "/usr"})
                                             .read_write({"/var", "/var//"}));
  EXPECT_EQ(plan.devices, std::vector<std::string>{"/dev/full"});
  EXPECT_EQ(steps(plan), (std::vector<std::pair<Kind, std::string>>{{Kind::PrivateDevices, "/dev"},
                                                                    {Kind::ReadWrite, "/var"},
                                                                    {Kind::ReadOnly, "/usr"}}));
}

TEST(MountPlan, OrdersTmpDevicesReadWriteThenReadOnlyShortestFirst) {
  const MountPlan plan = make_mount_plan(Request()
                                             .private_tmp()
                                             .private_devices()
                                             .read_only({"/usr/share", "/usr", "/etc", "/"})
                                             .read_write({"/var/lib", "/var"}));
  EXPECT_EQ(steps(plan),
            (std::vector<std::pair<Kind, std::string>>{{Kind::PrivateTmp, "/tmp"},
                                                       {Kind::PrivateDevices, "/dev"},
                                                       {Kind::ReadWrite, "/var"},
                                                       {Kind::ReadWrite, "/var/lib"},
                                                       {Kind::ReadOnly, "/"},
                                                       {Kind::ReadOnly, "/etc"},
                                                       {Kind::ReadOnly, "/usr"},
                                                       {Kind::ReadOnly, "/usr/share"}}));
  EXPECT_EQ(plan.read_write_exempt,
            (std::vector<std::string>{"/dev", "/tmp", "/var", "/var/lib", "/var/tmp"}));
}

TEST(MountPlan, RejectsPathBothReadOnlyAndReadWrite) {
  const std::string msg = rejection(Request().read_only({"/usr"}).read_write({"/usr/"}));
  EXPECT_NE(msg.find("'/usr' is both --read-only and --read-write"), std::string::npos) << msg;
}

TEST(MountPlan, RejectsPathsHiddenByPrivateTmp) {
  TempDir dir;  // under /tmp, so it would not exist in the private /tmp
  std::string msg = rejection(Request().private_tmp().read_write({dir.path()}));
  EXPECT_NE(msg.find("inside the private /tmp that --private-tmp creates"), std::string::npos)
      << msg;
  EXPECT_NE(rejection(Request().private_tmp().read_only({"/tmp"})), "");
  // Asking for the private /tmp itself to be writable is redundant, not wrong.
  const MountPlan plan = make_mount_plan(Request().private_tmp().read_write({"/tmp"}));
  EXPECT_EQ(steps(plan), (std::vector<std::pair<Kind, std::string>>{{Kind::PrivateTmp, "/tmp"}}));
}

TEST(MountPlan, RejectsPathsInsidePrivateDev) {
  const std::string msg = rejection(Request().private_devices().read_only({"/dev/shm"}));
  EXPECT_NE(msg.find("inside the private /dev"), std::string::npos) << msg;
  // Without --private-devices, /dev is an ordinary path.
  EXPECT_EQ(rejection(Request().read_only({"/dev/shm"})), "");
}

TEST(MountPlan, ProtectProcMountsAProcOfItsOwnAfterTmpAndDev) {
  const MountPlan plan =
      make_mount_plan(Request().private_tmp().protect_proc("invisible").read_only({"/"}));
  EXPECT_EQ(plan.proc_hidepid, "invisible");
  EXPECT_EQ(steps(plan),
            (std::vector<std::pair<Kind, std::string>>{
                {Kind::PrivateTmp, "/tmp"}, {Kind::ProtectProc, "/proc"}, {Kind::ReadOnly, "/"}}));
  for (const char* keep : {"", "default"})
    EXPECT_TRUE(make_mount_plan(Request().protect_proc(keep)).empty()) << keep;
  EXPECT_NE(rejection(Request().protect_proc("hidden"))
                .find("'hidden' is not one of default, noaccess, invisible, ptraceable"),
            std::string::npos);
}

}  // namespace
}  // namespace cgspawn::ns
