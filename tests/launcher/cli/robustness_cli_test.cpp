// The command line refuses what an attack review found slipping through
// (issue 13, finding 12): each is exit 2 with one line naming the problem,
// leaves nothing behind, and never echoes an environment record.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/launcher/cli/cli_fixture.hpp"

namespace cgspawn::testing {
namespace {

using namespace std::string_literals;

class Robustness : public CliSandbox {
 protected:
  void expect_bad_request(const RunResult& r, const std::string& needle) {
    EXPECT_EQ(r.status, 2) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(child_count(users()), 0u) << "left a cgroup: " << r.err;
  }
};

TEST_F(Robustness, MalformedEnvironmentRecordNeverReachesStderr) {
  const std::string token = "f00dfacecafe1234";  // a token that lost its "KEY="
  const std::vector<std::pair<std::string, std::string>> cases = {
      {kServerEnv + token + "\0"s, "environment record 2 has no '='"},
      {kServerEnv + token + "-x=1\0"s, "environment record 2 has a KEY not of"},
      {kServerEnv + "T=" + token + "\0T="s + token + "\0"s,
       "environment record 3 repeats the KEY of record 2"}};
  for (const auto& [env, needle] : cases) {
    auto r = spawn("env-unit", {"--user", "nobody"}, {"/bin/true"}, env);
    expect_bad_request(r, needle);
    for (const std::string& part : {token, token.substr(0, 6), token.substr(8)})
      EXPECT_EQ(r.err.find(part), std::string::npos) << r.err;
  }
}

TEST_F(Robustness, NonFiniteSecondsAreRefused) {
  for (const char* v : {"nan", "NaN", "-nan", "inf", "nan(1)"}) {
    auto r = cgspawn({"stop", "no-such-unit", "--timeout", v});
    EXPECT_EQ(r.status, 2) << v << ": " << r.err;
    EXPECT_NE(r.err.find("--timeout"), std::string::npos) << r.err;
    // Bounded by timeout(1): a NaN delay must not hang the test either.
    r = run({"/usr/bin/timeout", "10", CGSPAWN_BINARY, "top", "--cgroup-root", sandbox_->path(),
             "-d", v, "--once"});
    EXPECT_EQ(r.status, 2) << v << ": " << r.err;
    EXPECT_NE(r.err.find("--delay"), std::string::npos) << r.err;
  }
  EXPECT_EQ(cgspawn({"stop", "no-such-unit", "--timeout", "0.5"}).status, 0);
}

TEST_F(Robustness, EmptyLimitValueIsAnErrorNamingTheFlag) {
  for (const char* flag : {"--memory-max", "--memory-swap-max", "--memory-low", "--cpu-max",
                           "--cpu-weight", "--tasks-max"}) {
    expect_bad_request(spawn("empty-unit", {"--user", "nobody", flag, ""}, {"/bin/true"}),
                       std::string(flag) + " got an empty value");
    expect_bad_request(cgspawn({"slice", "set", "empty-slice", flag, ""}),
                       std::string(flag) + " got an empty value");
  }
}

TEST_F(Robustness, NamesStartingWithDashAreRefused) {
  // As "--unit=-x": "--unit -x" is already a command-line error.
  expect_bad_request(
      cgspawn({"spawn", "--unit=-x", "--user", "nobody", "--env-stdin", "--", "/bin/true"},
              kServerEnv),
      "unit name '-x' starts with '-'");
  expect_bad_request(spawn("ok", {"--user", "nobody", "--slice=-s"}, {"/bin/true"}),
                     "slice name '-s' starts with '-'");
  expect_bad_request(cgspawn({"slice", "set", "--tasks-max", "5", "--", "-s"}),
                     "slice name '-s' starts with '-'");
}

}  // namespace
}  // namespace cgspawn::testing
