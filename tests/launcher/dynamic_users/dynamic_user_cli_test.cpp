// `cgspawn spawn --dynamic-user` end to end on this host (root): the user's
// identity answers inside its namespace, its uid and files across respawns,
// an untouched host /etc, and the errors (exhausted range, taken name).
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "common/files.hpp"
#include "tests/launcher/cli/cli_fixture.hpp"

namespace fs = std::filesystem;
using cgspawn::testing::eventually;
using cgspawn::testing::TempDir;

namespace {

// Every identity question a notebook's tools ask, answered into ~/out.
const std::string kIdentityScript =
    "{ whoami; id -un; echo ~; getent passwd $(id -u); "
    "python3 -c 'import os, pwd; p = pwd.getpwuid(os.getuid()); print(p.pw_name, p.pw_dir, "
    "p.pw_shell)'; "
    "pwd; id -G; cat ~/marker 2>/dev/null || echo no-marker; "
    "awk '$5 == \"/\" { o = $6 } END { print (o ~ /^ro/) ? \"root-ro\" : \"root-rw\" }' "
    "/proc/self/mountinfo; "
    "} >~/out.tmp 2>&1; echo kept >~/marker; mv ~/out.tmp ~/out";

class DynamicUserCli : public cgspawn::testing::CliSandbox {
 protected:
  void SetUp() override {
    CliSandbox::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    state_dir_ = std::make_unique<TempDir>("/var/lib");  // outside any private /tmp
    ::chmod(state_dir_->path().c_str(), 0755);           // homes must be reachable
    state_ = state_dir_->path() + "/state";
  }
  cgspawn::testing::RunResult spawn_dynamic(const std::string& unit, const std::string& name,
                                            std::vector<std::string> extra,
                                            std::vector<std::string> cmd) {
    std::vector<std::string> opts{"--user", name, "--dynamic-user", "--dynamic-user-state", state_};
    opts.insert(opts.end(), extra.begin(), extra.end());
    return spawn(unit, opts, std::move(cmd));
  }
  std::string home(const std::string& name) const { return state_ + "/home/" + name; }
  // Run the identity script as NAME and return its answers, one per line.
  std::vector<std::string> answers(const std::string& unit, const std::string& name,
                                   std::vector<std::string> extra = {}) {
    fs::remove(home(name) + "/out");
    auto r = spawn_dynamic(unit, name, std::move(extra), {"/bin/bash", "-c", kIdentityScript});
    EXPECT_EQ(r.status, 0) << r.err;
    if (r.status != 0) return {};
    EXPECT_TRUE(eventually([&] { return fs::exists(home(name) + "/out"); }, 30));
    EXPECT_TRUE(eventually([&] { return cgspawn({"status", unit}).status == 3; }));
    EXPECT_EQ(cgspawn({"cleanup", unit}).status, 0);
    std::vector<std::string> lines;
    std::istringstream in(cgspawn::read_file(home(name) + "/out"));
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
  }
  uid_t owner(const std::string& path) const {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_uid;
  }

  std::unique_ptr<TempDir> state_dir_;
  std::string state_;
};

}  // namespace

TEST_F(DynamicUserCli, IdentityAnswersInsideAndNothingChangesOnTheHost) {
  const std::string passwd = cgspawn::read_file("/etc/passwd");
  const std::string group = cgspawn::read_file("/etc/group");
  const std::string name = "cgsdyn-a";
  auto a = answers("dyn-a", name);
  ASSERT_EQ(a.size(), 9u) << ::testing::PrintToString(a);
  const uid_t uid = owner(home(name));
  const std::string u = std::to_string(uid);
  EXPECT_GE(uid, 20000u);
  EXPECT_LE(uid, 29999u);
  EXPECT_EQ(a[0], name);  // whoami
  EXPECT_EQ(a[1], name);  // id -un
  EXPECT_EQ(a[2], home(name)) << "echo ~ (HOME unset: from passwd)";
  EXPECT_EQ(a[3],
            name + ":x:" + u + ":" + u + ":cgspawn dynamic user:" + home(name) + ":/bin/bash");
  EXPECT_EQ(a[4], name + " " + home(name) + " /bin/bash");  // python pwd.getpwuid
  EXPECT_EQ(a[5], home(name)) << "the home is the working directory";
  EXPECT_EQ(a[6], u) << "groups: the primary group only";
  EXPECT_EQ(a[7], "no-marker");
  struct stat st {};
  ASSERT_EQ(::stat(home(name).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(st.st_gid, uid);
  EXPECT_EQ(cgspawn::read_file("/etc/passwd"), passwd);
  EXPECT_EQ(cgspawn::read_file("/etc/group"), group);
  EXPECT_EQ(::getpwnam(name.c_str()), nullptr) << "the host knows the dynamic user";
}

TEST_F(DynamicUserCli, RespawnKeepsTheUidAndFindsItsFilesOthersGetTheirOwn) {
  auto first = answers("dyn-r", "cgsdyn-r");
  ASSERT_FALSE(first.empty());
  const uid_t uid = owner(home("cgsdyn-r"));
  // Again, now with a read-only system: the home stays writable.
  auto again = answers("dyn-r", "cgsdyn-r", {"--read-only", "/", "--private-tmp"});
  ASSERT_EQ(again.size(), 9u) << ::testing::PrintToString(again);
  EXPECT_EQ(owner(home("cgsdyn-r")), uid);
  EXPECT_EQ(again[3].substr(0, again[3].find(":cgspawn")),
            "cgsdyn-r:x:" + std::to_string(uid) + ":" + std::to_string(uid));
  EXPECT_EQ(again[7], "kept") << "the first spawn's file is gone";
  EXPECT_EQ(first[8], "root-rw");
  EXPECT_EQ(again[8], "root-ro") << "--read-only / did not apply";
  auto other = answers("dyn-o", "cgsdyn-o");
  ASSERT_FALSE(other.empty());
  EXPECT_NE(owner(home("cgsdyn-o")), uid);
}

TEST_F(DynamicUserCli, ExhaustedRangeFailsWithOneClearLineAndLeavesNothing) {
  auto r =
      spawn_dynamic("dyn-x1", "cgsdyn-x1", {"--dynamic-user-range", "29998-29998"}, {"/bin/true"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(eventually([&] { return cgspawn({"status", "dyn-x1"}).status == 3; }));
  EXPECT_EQ(cgspawn({"cleanup", "dyn-x1"}).status, 0);
  r = spawn_dynamic("dyn-x2", "cgsdyn-x2", {"--dynamic-user-range", "29998-29998"}, {"/bin/true"});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("no free uid left in the dynamic user range 29998-29998"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--dynamic-user-range"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(child_count(users()), 0u);
  EXPECT_FALSE(fs::exists(home("cgsdyn-x2")));
}

TEST_F(DynamicUserCli, BadRequestsExitTwoAndAllocateNothing) {
  struct Case {
    std::vector<std::string> opts;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"--user", "nobody", "--dynamic-user", "--dynamic-user-state", state_}, "existing user"},
      {{"--user", "nogroup", "--dynamic-user", "--dynamic-user-state", state_}, "existing group"},
      {{"--user", "9lives", "--dynamic-user", "--dynamic-user-state", state_}, "dynamic user name"},
      {{"--user", "cgsdyn-b", "--dynamic-user", "--dynamic-user-state", state_,
        "--dynamic-user-range", "100-200"},
       "--dynamic-user-range"},
      {{"--user", "cgsdyn-b", "--dynamic-user", "--dynamic-user-state", "relative/dir"},
       "--dynamic-user-state"},
      {{"--user", "cgsdyn-b", "--dynamic-user", "--dynamic-user-state", state_,
        "--dynamic-user-shell", "/no/such/shell"},
       "--dynamic-user-shell"},
      {{"--user", "nobody", "--dynamic-user-range", "20000-20010"}, "need --dynamic-user"},
  };
  for (const auto& c : cases) {
    auto r = spawn("dyn-bad", c.opts, {"/bin/true"});
    EXPECT_EQ(r.status, 2) << c.needle << ": " << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
  }
  EXPECT_EQ(child_count(users()), 0u);
  EXPECT_FALSE(fs::exists(state_)) << "a refused request allocated state";
}
