// A dynamic user's passwd/group entries: their text (hostile fields refused),
// the amended /etc files of its mount namespace (the host's untouched), the
// planning of amended files and state dirs, and become() with the primary
// group only.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "common/error.hpp"
#include "host_fixtures.hpp"
#include "namespaces/identity.hpp"
#include "namespaces/mounts.hpp"
#include "namespaces/nss_entries.hpp"

namespace cgspawn::ns {
namespace {

using testing::ChildChecks;
using testing::MountSnapshot;
using testing::read_text;
using testing::run_in_child;
using testing::TempDir;

Identity dynamic(const std::string& name, uid_t id) {
  return Identity{name, id, id, "/var/lib/cgspawn/home/" + name, "/bin/bash", false};
}

MountRequest amend(std::vector<std::string> files) {
  MountRequest r;
  r.amended_files = std::move(files);
  return r;
}

std::vector<gid_t> groups_now() {
  std::vector<gid_t> g(static_cast<size_t>(std::max(::getgroups(0, nullptr), 0)));
  g.resize(static_cast<size_t>(std::max(::getgroups(static_cast<int>(g.size()), g.data()), 0)));
  std::sort(g.begin(), g.end());
  return g;
}

// The amend step's scratch tmpfs (mode=700) is detached from /tmp once used.
bool scratch_still_mounted() {
  std::istringstream in(read_text("/proc/self/mountinfo"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string f[5];
    for (auto& x : f) fields >> x;
    if (f[4] == "/tmp" && line.find("mode=700") != std::string::npos) return true;
  }
  return false;
}

TEST(NssEntries, PasswdAndGroupLines) {
  EXPECT_EQ(passwd_line(dynamic("dyn", 20001), "cgspawn dynamic user"),
            "dyn:x:20001:20001:cgspawn dynamic user:/var/lib/cgspawn/home/dyn:/bin/bash\n");
  EXPECT_EQ(group_line(dynamic("dyn", 20001)), "dyn:x:20001:\n");
}

TEST(NssEntries, FieldsThatWouldForgeEntriesAreRefused) {
  auto who = dynamic("dyn", 20001);
  who.home = "/home/x:0:0::/root:/bin/sh\nroot2";
  EXPECT_THROW((void)passwd_line(who, "g"), Error);
  who = dynamic("dyn", 20001);
  who.shell = "/bin/sh\nevil::0:0::/:/bin/sh";
  EXPECT_THROW((void)passwd_line(who, "g"), Error);
  EXPECT_THROW((void)passwd_line(dynamic("dyn", 20001), "a:b"), Error);
  EXPECT_THROW((void)group_line(dynamic("a:x:0:", 20001)), Error);
  try {
    (void)passwd_line(dynamic("d\nroot::0:0", 1), "g");
    FAIL() << "accepted a newline in the name";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
  }
}

TEST(AmendPlan, AmendedFilesComeFirstAndMustBeRegularFiles) {
  MountRequest r = amend({"/etc/passwd", "/etc/group"});
  r.private_tmp = true;
  r.read_only = {"/usr"};
  const MountPlan plan = make_mount_plan(r);
  ASSERT_GE(plan.steps.size(), 4u);
  EXPECT_EQ(plan.steps[0].kind, MountStep::Kind::AmendFile);
  EXPECT_EQ(plan.steps[0].path, "/etc/group");
  EXPECT_EQ(plan.steps[1].path, "/etc/passwd");
  EXPECT_EQ(plan.steps[2].kind, MountStep::Kind::PrivateTmp);
  EXPECT_THROW(make_mount_plan(amend({"/etc"})), Error);
  EXPECT_THROW(make_mount_plan(amend({"/nonexistent-cgspawn"})), Error);
  EXPECT_THROW(make_mount_plan(amend({"etc/passwd"})), Error);
  TempDir t;
  const std::string link = t.path() + "/passwd-link";
  ASSERT_EQ(::symlink("/etc/passwd", link.c_str()), 0);
  EXPECT_THROW(make_mount_plan(amend({link})), Error) << "a symlink would miss its amendment";
}

TEST(AmendPlan, StateDirsNeedNotExistAndStayWritable) {
  MountRequest r;
  r.state_dirs = {"/var/lib/cgspawn-test-absent/home/dyn"};
  r.read_only = {"/var"};
  const MountPlan plan = make_mount_plan(r);
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(plan.steps[0].kind, MountStep::Kind::ReadWrite);
  EXPECT_EQ(plan.steps[0].path, "/var/lib/cgspawn-test-absent/home/dyn");
  EXPECT_NE(std::find(plan.read_write_exempt.begin(), plan.read_write_exempt.end(),
                      "/var/lib/cgspawn-test-absent/home/dyn"),
            plan.read_write_exempt.end());
  r.private_tmp = true;
  r.state_dirs = {"/tmp/state/home/dyn"};  // would be hidden by the private /tmp
  EXPECT_THROW(make_mount_plan(r), Error);
  r.state_dirs = {"relative/home"};
  EXPECT_THROW(make_mount_plan(r), Error);
}

class AmendNamespace : public ::testing::Test {
 protected:
  void SetUp() override { CGSPAWN_SKIP_UNLESS_ROOT(); }
  MountSnapshot before_;
};

TEST_F(AmendNamespace, ChildSeesTheEntryHostFilesAndMountsStayAsTheyWere) {
  const std::string host_passwd = read_text("/etc/passwd");
  const std::string host_group = read_text("/etc/group");
  const Identity who = dynamic("cgspawn-dyn-test", 29999);
  MountPlan plan = make_mount_plan(amend({"/etc/passwd", "/etc/group"}));
  plan.amendments["/etc/passwd"] = passwd_line(who, "cgspawn dynamic user");
  plan.amendments["/etc/group"] = group_line(who);

  const auto r = run_in_child([&](ChildChecks& c) {
    enter_mount_namespace(plan);
    c.expect(read_text("/etc/passwd") == host_passwd + plan.amendments["/etc/passwd"],
             "/etc/passwd is not the host's plus the entry");
    c.expect(read_text("/etc/group") == host_group + plan.amendments["/etc/group"],
             "/etc/group is not the host's plus the entry");
    struct passwd* pw = ::getpwuid(29999);
    c.expect(pw != nullptr && std::string(pw->pw_name) == who.name, "getpwuid(29999)");
    c.expect(pw != nullptr && std::string(pw->pw_dir) == who.home, "pw_dir");
    struct group* gr = ::getgrgid(29999);
    c.expect(gr != nullptr && std::string(gr->gr_name) == who.name, "getgrgid(29999)");
    c.expect_errno(::open("/etc/passwd", O_WRONLY | O_CLOEXEC), EROFS, "write /etc/passwd");
    c.expect(!scratch_still_mounted(), "the scratch tmpfs is still mounted on /tmp");
  });
  EXPECT_TRUE(r.passed) << r.failures;
  EXPECT_EQ(read_text("/etc/passwd"), host_passwd);
  EXPECT_EQ(read_text("/etc/group"), host_group);
  EXPECT_EQ(::getpwuid(29999), nullptr) << "the host gained the entry";
  const auto changes = MountSnapshot::changes(before_, MountSnapshot(), {"/etc", "/tmp"});
  EXPECT_TRUE(changes.empty()) << ::testing::PrintToString(changes);
}

TEST_F(AmendNamespace, MissingAmendmentFailsInsteadOfShowingTheHostFile) {
  const MountPlan plan = make_mount_plan(amend({"/etc/passwd"}));
  const auto r = run_in_child([&](ChildChecks&) { enter_mount_namespace(plan); });
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.failures.find("/etc/passwd"), std::string::npos) << r.failures;
}

// A group line naming the user (left by a deleted account of the same name)
// grants the group through initgroups; a dynamic identity must not get it.
TEST_F(AmendNamespace, PrimaryGroupOnlyIgnoresStaleMemberships) {
  const Identity who = dynamic("cgspawn-dyn-test", 29999);
  MountPlan plan = make_mount_plan(amend({"/etc/group"}));
  plan.amendments["/etc/group"] = "cgspawn-stale:x:29998:cgspawn-dyn-test\n";
  for (bool supplementary : {true, false}) {
    Identity as = who;
    as.supplementary_groups = supplementary;
    const auto r = run_in_child([&](ChildChecks& c) {
      enter_mount_namespace(plan);
      become(as);
      const auto groups = groups_now();
      const bool stale = std::find(groups.begin(), groups.end(), 29998u) != groups.end();
      c.note("stale", stale ? "yes" : "no");
      c.note("count", std::to_string(groups.size()));
    });
    EXPECT_TRUE(r.passed) << r.failures;
    // initgroups honours the stale line (the control), the dynamic path does not.
    EXPECT_EQ(r.notes.at("stale"), supplementary ? "yes" : "no");
    if (!supplementary) {
      EXPECT_EQ(r.notes.at("count"), "1");
    }
  }
}

}  // namespace
}  // namespace cgspawn::ns
