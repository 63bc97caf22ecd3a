// `spawn --dry-run` (issue 16's contract mode): the plan a spawn would carry
// out, as JSON, made by the same code, with nothing created, no secret
// shown, and the host checks it would fail listed instead of stopping it.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/launcher/cli/cli_fixture.hpp"

namespace cgspawn::testing {
namespace {

using nlohmann::json;

constexpr const char* kToken = "d3adb33fd3adb33f";  // stands for the hub's API token

class DryRun : public CliSandbox {
 protected:
  RunResult dry_run(const std::string& user, std::vector<std::string> opts) {
    opts.insert(opts.begin(), {"--dry-run", "--user", user, "--private-tmp", "--rlimit",
                               "NOFILE=100:200", "--setenv-defaults"});
    return spawn("jupyter-dry", opts, {"/bin/sleep", "60"},
                 kServerEnv + "JUPYTERHUB_API_TOKEN=" + kToken + '\0');
  }
  [[nodiscard]] bool memory_enabled() const {
    std::ifstream f(users() + "/cgroup.subtree_control");
    std::string word;
    while (f >> word)
      if (word == "memory") return true;
    return false;
  }
};

TEST_F(DryRun, PrintsThePlanAndCreatesNothing) {
  auto r = dry_run("nobody", {});
  ASSERT_EQ(r.status, 0) << r.err;
  json plan = json::parse(r.out);
  EXPECT_EQ(plan["cgroup"], users() + "/jupyter-dry");
  EXPECT_EQ(plan["user"]["name"], "nobody");
  EXPECT_EQ(plan["user"]["uid"], 65534);
  EXPECT_EQ(plan["rlimits"]["NOFILE"], json({{"soft", 100}, {"hard", 200}}));
  EXPECT_EQ(plan["mounts"][0], json({{"kind", "PrivateTmp"}, {"path", "/tmp"}}));
  EXPECT_EQ(plan["command"], json({"/bin/sleep", "60"}));
  EXPECT_EQ(plan["output"], "stderr");
  EXPECT_TRUE(plan["refusals"].empty());
  // The environment's names, never its values: the token is a secret.
  EXPECT_NE(
      std::find(plan["environment"].begin(), plan["environment"].end(), "JUPYTERHUB_API_TOKEN"),
      plan["environment"].end());
  EXPECT_EQ(r.out.find(kToken), std::string::npos);
  EXPECT_EQ(r.err.find(kToken), std::string::npos);
  EXPECT_EQ(child_count(users()), 0u) << "a dry run created a cgroup";
}

TEST_F(DryRun, ListsTheHostChecksASpawnWouldFail) {
  auto r = dry_run("cgspawn-no-such-user", {"--memory-max", "1G"});
  json plan = json::parse(r.out);
  EXPECT_EQ(plan["limits"]["memory.max"], "1073741824");
  EXPECT_EQ(plan["user"]["uid"], nullptr);
  const json& refusals = plan["refusals"];
  ASSERT_FALSE(refusals.empty()) << r.out;
  EXPECT_EQ(refusals[0]["step"], "user lookup");
  EXPECT_EQ(r.status, refusals[0]["exit"].get<int>());
  // On a host whose cgroup2 tree lacks the memory controller (this project's
  // development machines) a spawn would also stop there; in a guest it would not.
  const size_t expected = memory_enabled() ? 1 : 2;
  ASSERT_EQ(refusals.size(), expected) << r.out;
  if (expected == 2) {
    EXPECT_EQ(refusals[1]["step"], "check controllers");
  }
  EXPECT_NE(r.err.find("a spawn would stop here: user lookup"), std::string::npos) << r.err;
  EXPECT_EQ(child_count(users()), 0u);
}

TEST_F(DryRun, ABadRequestIsStillOneLineAndNoPlan) {
  auto r = dry_run("nobody", {"--memory-max", "lots"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace cgspawn::testing
