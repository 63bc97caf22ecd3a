// Issue 13's findings that the real binary shows on this host: the server
// leaves the caller's session (no terminal to type into), and everything
// after the first "--" belongs to the server, whatever option precedes it.
// (The pty injection itself and the setuid caller: tests/guest/suite/
// test_hardening.py.)
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/files.hpp"
#include "tests/launcher/cli/cli_fixture.hpp"

namespace {

using cgspawn::testing::CliSandbox;

// Fields of /proc/PID/stat after the command name: state, ppid, pgrp,
// session, tty_nr, ...
std::vector<std::string> stat_fields(const std::string& pid) {
  const std::string stat = cgspawn::read_file("/proc/" + pid + "/stat");
  std::istringstream in(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  return fields;
}

std::string status_line(const std::string& pid, const std::string& key) {
  std::istringstream in(cgspawn::read_file("/proc/" + pid + "/status"));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(key + ":")) return line;
  return {};
}

class HardenedCli : public CliSandbox {};

TEST_F(HardenedCli, ServerRunsInASessionOfItsOwnWithoutAControllingTerminal) {
  auto r = spawn("sess", {"--user", "nobody"}, {"/bin/sleep", "600"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string pid(cgspawn::trim(r.out));
  const auto f = stat_fields(pid);
  ASSERT_GE(f.size(), 5U);
  EXPECT_EQ(f[3], pid) << "the server does not lead a session of its own (session " << f[3] << ")";
  EXPECT_EQ(f[2], pid) << "the server is in another process group";
  EXPECT_NE(f[3], std::to_string(::getsid(0))) << "the server shares the caller's session";
  EXPECT_EQ(f[4], "0") << "the server has a controlling terminal";
  EXPECT_EQ(cgspawn({"stop", "sess", "--timeout", "2"}).status, 0);
}

// The server's own arguments look like launcher flags that would switch
// protections off or change the user; none of them may reach the launcher.
const std::vector<std::string> kFlagLikeServerArgs = {
    "/bin/sh", "-c",     "exec sleep 600", "--allow-new-privileges", "--seccomp",
    "none",    "--user", "root",           "--allow-root",           "-c",
    "--",      "--unit", "other"};

struct Case {
  const char* name;
  std::vector<std::string> opts;  // ends with a repeatable option and its value
};

TEST_F(HardenedCli, EverythingAfterTheFirstDoubleDashIsTheServersCommand) {
  const std::vector<Case> cases = {
      {"ro", {"--read-only", "/usr"}},
      {"rw", {"--read-only", "/", "--read-write", "/tmp"}},
      {"dev", {"--private-devices", "--device", "/dev/null"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> opts{"--user", "nobody"};
    opts.insert(opts.end(), c.opts.begin(), c.opts.end());
    auto r = spawn(c.name, opts, kFlagLikeServerArgs);
    ASSERT_EQ(r.status, 0) << r.err;
    const std::string pid(cgspawn::trim(r.out));
    ASSERT_TRUE(cgspawn::testing::eventually([&] {
      return cgspawn::read_file("/proc/" + pid + "/cmdline").starts_with("sleep");
    })) << "the server never exec'd sleep";
    EXPECT_EQ(status_line(pid, "NoNewPrivs"), "NoNewPrivs:\t1") << "server args became flags";
    EXPECT_EQ(status_line(pid, "Seccomp"), "Seccomp:\t2") << "server args became flags";
    EXPECT_NE(status_line(pid, "Uid").find("\t65534\t"), std::string::npos)
        << status_line(pid, "Uid");
    EXPECT_FALSE(exists(users() + "/other")) << "--unit other was taken from the server's args";
    EXPECT_EQ(cgspawn({"stop", c.name, "--timeout", "2"}).status, 0);
  }
}

TEST_F(HardenedCli, ACommandBeforeTheDoubleDashIsABadRequest) {
  auto r = cgspawn({"spawn", "--unit", "early", "--user", "nobody", "/bin/true", "--", "x"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("'/bin/true' stands before --"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(users() + "/early"));
  auto none = cgspawn({"spawn", "--unit", "empty", "--user", "nobody", "--"});
  EXPECT_EQ(none.status, 2) << none.err;
  EXPECT_NE(none.err.find("no command given"), std::string::npos) << none.err;
}

}  // namespace
