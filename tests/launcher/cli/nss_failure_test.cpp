// Finding 2 of issue 13, end to end: with a user database source that cannot
// answer (tests/support/nss_cgspawntestfail.cpp, listed after files in a
// private /etc/nsswitch.conf), a dynamic user is never given a uid the
// source might hold, a spawn fails with one clear line, and nothing is
// recorded in the dynamic-users state. Root only (mount namespace).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "tests/launcher/cli/cli_fixture.hpp"

namespace fs = std::filesystem;
using cgspawn::testing::RunResult;
using cgspawn::testing::TempDir;

namespace {

class NssFailure : public cgspawn::testing::CliSandbox {
 protected:
  void SetUp() override {
    CliSandbox::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!fs::exists(std::string(CGSPAWN_NSS_TESTFAIL_DIR) + "/libnss_cgspawntestfail.so.2"))
      GTEST_SKIP() << "the test NSS module was not built";
    state_dir_ = std::make_unique<TempDir>("/var/lib");
    ::chmod(state_dir_->path().c_str(), 0755);
    state_ = state_dir_->path() + "/state";
  }

  // cgspawn spawn ... in a mount namespace whose /etc/nsswitch.conf reads
  // "passwd: files SOURCES" (the same for group); ONLY is CGSPAWN_NSS_TESTFAIL.
  RunResult spawn_with(const std::string& sources, const std::string& only,
                       std::vector<std::string> opts) {
    conf_.put("nsswitch.conf", "passwd: files " + sources + "\ngroup: files " + sources + "\n");
    std::vector<std::string> argv{"/usr/bin/unshare",
                                  "-m",
                                  "--propagation",
                                  "private",
                                  "sh",
                                  "-c",
                                  "mount --bind \"$1\" /etc/nsswitch.conf && shift && exec \"$@\"",
                                  "sh",
                                  conf_.path() + "/nsswitch.conf",
                                  "/usr/bin/env",
                                  std::string("LD_LIBRARY_PATH=") + CGSPAWN_NSS_TESTFAIL_DIR,
                                  "CGSPAWN_NSS_TESTFAIL=" + only,
                                  CGSPAWN_BINARY,
                                  "spawn",
                                  "--cgroup-root",
                                  sandbox_->path(),
                                  "--unit",
                                  "nss-u",
                                  "--env-stdin",
                                  "--log-target",
                                  "stderr"};
    argv.insert(argv.end(), opts.begin(), opts.end());
    argv.insert(argv.end(), {"--", "/bin/true"});
    return cgspawn::testing::run(argv, cgspawn::testing::kServerEnv);
  }
  std::vector<std::string> dynamic(const std::string& name) {
    return {"--user",         name,
            "--dynamic-user", "--dynamic-user-state",
            state_,           "--dynamic-user-range",
            "29996-29996"};
  }
  void expect_nothing_recorded(const RunResult& r) {
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("could not answer"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(child_count(users()), 0u);
    for (const char* d : {"/dynamic-users/uid", "/dynamic-users/name", "/home"}) {
      if (fs::exists(state_ + d)) {
        EXPECT_TRUE(fs::is_empty(state_ + d)) << state_ + d;
      }
    }
  }

  TempDir conf_;
  std::unique_ptr<TempDir> state_dir_;
  std::string state_;
};

}  // namespace

// The reviewer's case: the name looks free, the uid's holder cannot be asked.
TEST_F(NssFailure, UnanswerableUidIsNeverHandedOut) {
  auto r = spawn_with("cgspawntestfail", "uid", dynamic("cgsnss-a"));
  expect_nothing_recorded(r);
  EXPECT_NE(r.err.find("uid 29996"), std::string::npos) << r.err;
}

TEST_F(NssFailure, UnanswerableNameIsNotTakenForFree) {
  auto r = spawn_with("cgspawntestfail", "", dynamic("cgsnss-b"));
  expect_nothing_recorded(r);
  EXPECT_NE(r.err.find("'cgsnss-b'"), std::string::npos) << r.err;
  // An ordinary --user that files cannot find is not "unknown" either.
  r = spawn_with("cgspawntestfail", "", {"--user", "cgsnss-no-such"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("could not answer"), std::string::npos) << r.err;
}

// The controls: the same wrapper with a healthy database spawns, and an
// account in files is still found while the failing source is listed.
TEST_F(NssFailure, HealthyDatabaseSpawnsAndFilesStillAnswer) {
  auto r = spawn_with("", "", dynamic("cgsnss-c"));
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(state_ + "/dynamic-users/uid/29996"));
  ASSERT_TRUE(cgspawn::testing::eventually([&] {
    return cgspawn({"status", "nss-u"}).status == 3;
  }));
  EXPECT_EQ(cgspawn({"cleanup", "nss-u"}).status, 0);
  r = spawn_with("cgspawntestfail", "", {"--user", "nobody"});
  EXPECT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(cgspawn::testing::eventually([&] {
    return cgspawn({"status", "nss-u"}).status == 3;
  }));
  EXPECT_EQ(cgspawn({"cleanup", "nss-u"}).status, 0);
}
