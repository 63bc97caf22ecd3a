// --internal-ssl's namespace step: the planned order and conflicts, and the
// files as the server finds them (owner, modes, read-only, unreadable to
// another uid), applied in a forked child; the host keeps nothing of it.
#include "namespaces/server_tls.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "child_process.hpp"
#include "common/error.hpp"
#include "host_fixtures.hpp"
#include "namespaces/mounts.hpp"

namespace cgspawn::ns {
namespace {

using testing::ChildChecks;
using testing::MountSnapshot;
using testing::run_in_child;

constexpr uid_t kServerUid = 61001;  // no account needed: only the ids matter
constexpr uid_t kOtherUid = 61002;

// /run/cgspawn as cgspawn makes it (its lock directory), removed afterwards
// if this test made it.
class LockDir {
 public:
  LockDir() : made_(::mkdir(kServerTlsMount, 0700) == 0) {}
  ~LockDir() {
    if (made_) ::rmdir(kServerTlsMount);
  }
  LockDir(const LockDir&) = delete;
  LockDir& operator=(const LockDir&) = delete;

 private:
  bool made_;
};

MountPlan tls_plan() {
  MountRequest r;
  r.server_tls = true;
  r.private_tmp = true;
  r.read_only = {"/"};
  MountPlan plan = make_mount_plan(r);
  plan.server_tls = ServerTls{"KEY-PEM\n", "CERT-PEM\n", "CA-PEM\n", kServerUid, kServerUid};
  return plan;
}

TEST(ServerTlsPlan, AfterTheTmpfsStepsBeforeTheReadOnlyWalk) {
  MountRequest r;
  r.server_tls = true;
  r.private_tmp = true;
  r.read_only = {"/"};
  const MountPlan plan = make_mount_plan(r);
  ASSERT_EQ(plan.steps.size(), 3u);
  EXPECT_EQ(plan.steps[0].kind, MountStep::Kind::PrivateTmp);
  EXPECT_EQ(plan.steps[1].kind, MountStep::Kind::ServerTls);
  EXPECT_EQ(plan.steps[1].path, kServerTlsMount);
  EXPECT_EQ(plan.steps[2].kind, MountStep::Kind::ReadOnly);
}

TEST(ServerTlsPlan, ARead_WriteBindMayNotCoverIt) {
  CGSPAWN_SKIP_UNLESS_ROOT();
  LockDir lock_dir;
  MountRequest r;
  r.server_tls = true;
  r.read_write = {kServerTlsMount};
  try {
    make_mount_plan(r);
    ADD_FAILURE() << "planned a --read-write over the certificates";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
    EXPECT_NE(std::string(e.what()).find("would cover /run/cgspawn/ssl"), std::string::npos)
        << e.what();
  }
  r.server_tls = false;
  EXPECT_NO_THROW(make_mount_plan(r)) << "only --internal-ssl makes it a conflict";
}

TEST(ServerTlsNamespace, OnlyTheServersUidReadsTheKey) {
  CGSPAWN_SKIP_UNLESS_ROOT();
  LockDir lock_dir;
  const MountSnapshot before;
  const MountPlan plan = tls_plan();
  const auto r = run_in_child([&](ChildChecks& c) {
    enter_mount_namespace(plan);
    struct stat st {};
    c.expect_ok(::stat(kServerTlsDir, &st), "stat the directory");
    c.expect(st.st_uid == kServerUid && (st.st_mode & 07777) == 0700,
             "the directory is not 0700 the server's");
    const std::string key = std::string(kServerTlsDir) + "/" + kServerTlsKey;
    c.expect_ok(::stat(key.c_str(), &st), "stat the key");
    c.expect(st.st_uid == kServerUid && st.st_gid == kServerUid && (st.st_mode & 07777) == 0600,
             "the key is not 0600 the server's: mode " + std::to_string(st.st_mode & 07777));
    c.expect(testing::read_text(key) == "KEY-PEM\n", "the key's contents");
    c.expect(testing::read_text(std::string(kServerTlsDir) + "/" + kServerTlsCa) == "CA-PEM\n",
             "the CA's contents");
    c.expect_errno(testing::create_file(std::string(kServerTlsDir) + "/x"), EROFS,
                   "write beside the key");
    c.expect_errno(::chmod(key.c_str(), 0644), EROFS, "widen the key's mode");
    // Another user: not even the directory opens.
    c.expect_ok(::setresgid(kOtherUid, kOtherUid, kOtherUid), "setresgid");
    c.expect_ok(::setresuid(kOtherUid, kOtherUid, kOtherUid), "setresuid");
    c.expect_errno(::open(key.c_str(), O_RDONLY | O_CLOEXEC), EACCES, "another uid opens the key");
  });
  EXPECT_TRUE(r.passed) << r.failures;
  const auto changes = MountSnapshot::changes(before, MountSnapshot(), {kServerTlsMount});
  EXPECT_TRUE(changes.empty()) << ::testing::PrintToString(changes);
  EXPECT_NE(::access((std::string(kServerTlsDir)).c_str(), F_OK), 0) << "ssl/ leaked to the host";
}

TEST(ServerTlsNamespace, AnUnplannedOwnerIsRefused) {
  CGSPAWN_SKIP_UNLESS_ROOT();
  LockDir lock_dir;
  MountPlan plan = tls_plan();
  plan.server_tls->uid = static_cast<uid_t>(-1);
  const auto r = run_in_child([&](ChildChecks& c) {
    try {
      enter_mount_namespace(plan);
      c.expect(false, "installed files without an owner");
    } catch (const Error& e) {
      c.expect(std::string(e.what()).find("uid was not planned") != std::string::npos, e.what());
    }
  });
  EXPECT_TRUE(r.passed) << r.failures;
}

}  // namespace
}  // namespace cgspawn::ns
