// `cgspawn check --json`'s stable ids: the contract the spawner's preflight
// and check-kernel.sh key on (kernel-check/README.md lists them). Runs the
// real binary in a fresh `cgspawn init` sandbox; on a host without memory,
// cpu or pids in cgroup2 the limit findings still appear (as FAIL), so every
// id is present either way.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "tests/launcher/cli/cli_fixture.hpp"

namespace cgspawn::testing {
namespace {

using Check = CliSandbox;

nlohmann::json check_json(const RunResult& r) {
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(doc.is_discarded()) << r.out;
  return doc;
}

TEST_F(Check, EveryFindingHasAStableDocumentedId) {
  auto r = cgspawn({"check", "--json"});
  ASSERT_TRUE(r.status == 0 || r.status == 1) << r.out << r.err;
  auto doc = check_json(r);
  const std::set<std::string> want = {"root",
                                      "delegation",
                                      "units",
                                      "controller.memory",
                                      "controller.cpu",
                                      "controller.pids",
                                      "controller.io",
                                      "units.create",
                                      "limit.memory.max",
                                      "limit.memory.low",
                                      "limit.memory.swap.max",
                                      "limit.cpu.max",
                                      "limit.cpu.weight",
                                      "limit.pids.max",
                                      "isolation.cgroup_move",
                                      "isolation.mount_namespace",
                                      "isolation.no_new_privs",
                                      "isolation.seccomp"};
  std::set<std::string> seen;
  const std::regex shape("[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*");
  for (const auto& c : doc.at("checks")) {
    ASSERT_TRUE(c.contains("id")) << c.dump();
    const std::string id = c.at("id");
    EXPECT_TRUE(std::regex_match(id, shape)) << id;
    EXPECT_TRUE(seen.insert(id).second) << "id twice: " << id;
  }
  EXPECT_EQ(seen, want);
}

// The check names kernel files, never the spawner's option names: the
// spawner maps ids to its own options.
TEST_F(Check, MessagesDoNotNameTheSpawnersOptions) {
  auto r = cgspawn({"check", "--json"});
  auto doc = check_json(r);
  const std::regex option(
      "mem_limit|mem_guarantee|mem_swap_limit|cpu_limit|cpu_guarantee|tasks_limit|isolate_tmp|"
      "isolate_devices|readonly_paths|seccomp_profile|disable_user_sudo");
  for (const auto& c : doc.at("checks")) {
    const std::string text = c.at("check").get<std::string>() + " " +
                             c.at("message").get<std::string>() + " " +
                             c.at("fix").get<std::string>();
    EXPECT_FALSE(std::regex_search(text, option)) << text;
  }
}

// Before init the units directory is the failing finding, by id.
TEST(CheckBeforeInit, TheUnitsFindingFails) {
  if (!is_root()) GTEST_SKIP() << "needs root";
  if (cgroup2_mount().empty()) GTEST_SKIP() << "no cgroup2 mount";
  CgroupSandbox bare;
  auto r = run({CGSPAWN_BINARY, "check", "--json", "--cgroup-root", bare.path()});
  EXPECT_EQ(r.status, 1) << r.out;
  auto doc = check_json(r);
  std::string failed;
  for (const auto& c : doc.at("checks"))
    if (c.at("status") == "fail") failed += c.at("id").get<std::string>() + " ";
  EXPECT_EQ(failed, "units ");
}

// No cgroup root: exit 2, and the one finding is `root`.
TEST(CheckNoRoot, TheRootFindingFails) {
  auto r = run({CGSPAWN_BINARY, "check", "--json", "--cgroup-root", "/nonexistent-cgspawn-root"});
  EXPECT_EQ(r.status, 2) << r.out;
  auto doc = check_json(r);
  ASSERT_EQ(doc.at("checks").size(), 1u) << r.out;
  EXPECT_EQ(doc["checks"][0].at("id"), "root");
  EXPECT_EQ(doc.at("verdict"), "error");
}

}  // namespace
}  // namespace cgspawn::testing
