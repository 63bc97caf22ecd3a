// cgspawn killed at each step of a spawn or a stop (issue 19), on this host's
// cgroup2 sandbox: cgspawn-faults SIGKILLs itself at CGSPAWN_FAULT_AT (see
// launcher/trace/fault_point.hpp). After each kill no process of the unit runs
// outside its cgroup, `stop` clears what is left, and the next spawn and stop
// of that name work. The same with limits and mounts: tests/guest/suite/
// test_faults.py.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/files.hpp"
#include "tests/launcher/cli/cli_fixture.hpp"

namespace {

using cgspawn::testing::CliSandbox;
using cgspawn::testing::ScopedEnv;
using cgspawn::testing::RunResult;


constexpr int kKilled = 128 + SIGKILL;

class FaultCli : public CliSandbox {
 protected:
  RunResult faulty(std::vector<std::string> args, std::string_view stdin_data = {}) {
    std::vector<std::string> argv{CGSPAWN_FAULTS_BINARY, args.front(), "--cgroup-root",
                                  sandbox_->path()};
    argv.insert(argv.end(), args.begin() + 1, args.end());
    return cgspawn::testing::run(argv, stdin_data);
  }
  RunResult faulty_spawn(const std::string& unit, std::vector<std::string> cmd) {
    std::vector<std::string> a{"spawn",         "--unit",      unit,     "--env-stdin",
                               "--log-target",  "stderr",      "--user", "nobody",
                               "--private-tmp", "--read-only", "/",      "--"};
    a.insert(a.end(), cmd.begin(), cmd.end());
    return faulty(a, cgspawn::testing::kServerEnv);
  }
  // Every process below the sandbox is inside the unit's cgroup: none
  // escaped into the sandbox's own or another cgroup.
  [[nodiscard]] std::vector<std::string> procs_outside(const std::string& unit) const {
    std::vector<std::string> stray;
    for (const auto& e : std::filesystem::recursive_directory_iterator(sandbox_->path())) {
      if (e.path().filename() != "cgroup.procs") continue;
      const std::string dir = e.path().parent_path().string();
      if (dir == users() + "/" + unit) continue;
      const std::string procs = cgspawn::read_file(e.path().string());
      if (!procs.empty() && !dir.ends_with("/hub")) stray.push_back(dir + ": " + procs);
    }
    return stray;
  }
  void expect_stop_clears_and_name_is_reusable(const std::string& unit) {
    auto s = cgspawn({"stop", unit, "--timeout", "1"});
    EXPECT_EQ(s.status, 0) << s.err;
    EXPECT_FALSE(exists(users() + "/" + unit)) << "stop left the cgroup";
    auto again = spawn(unit, {"--user", "nobody"}, {"/bin/sleep", "60"});
    EXPECT_EQ(again.status, 0) << "the next spawn failed: " << again.err;
    EXPECT_EQ(cgspawn({"stop", unit, "--timeout", "1"}).status, 0);
    EXPECT_FALSE(exists(users() + "/" + unit));
  }
};

// The launcher itself killed (the parent's steps).
TEST_F(FaultCli, SpawnKilledAtEachStepLeavesNothingStopCannotClear) {
  for (const char* step : {"plan", "cgroup", "limits", "forked"}) {
    SCOPED_TRACE(step);
    ScopedEnv at("CGSPAWN_FAULT_AT", step);
    const std::string unit = std::string("f-") + step;
    auto r = faulty_spawn(unit, {"/bin/sleep", "60"});
    ASSERT_EQ(r.status, kKilled) << "not killed at " << step << " (is it still a step?) " << r.err;
    EXPECT_EQ(procs_outside(unit), std::vector<std::string>{}) << "an orphan outside the unit";
    ::unsetenv("CGSPAWN_FAULT_AT");
    expect_stop_clears_and_name_is_reusable(unit);
  }
}

// The server's child killed before its exec: the launcher must not take the
// closed report pipe for a successful exec. It says so in one line, exits 1
// and removes the unit's cgroup.
TEST_F(FaultCli, ChildKilledBeforeExecIsAFailedSpawnThatLeavesNothing) {
  for (const char* step :
       {"fork", "cgroup-move", "stdio", "mounts", "identity", "seccomp", "exec"}) {
    SCOPED_TRACE(step);
    ScopedEnv at("CGSPAWN_FAULT_AT", step);
    const std::string unit = std::string("c-") + step;
    auto r = faulty_spawn(unit, {"/bin/sleep", "60"});
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("was killed by signal 9 (Killed) before it could exec"), std::string::npos)
        << r.err;
    EXPECT_EQ(r.out, "") << "a pid was printed for a server that never ran";
    EXPECT_FALSE(exists(users() + "/" + unit)) << "the failed spawn left its cgroup";
    EXPECT_EQ(procs_outside(unit), std::vector<std::string>{});
    ::unsetenv("CGSPAWN_FAULT_AT");
    expect_stop_clears_and_name_is_reusable(unit);
  }
}

TEST_F(FaultCli, StopKilledAtEachStepCanBeRunAgain) {
  for (const char* step : {"stop-term", "stop-kill", "stop-removed"}) {
    SCOPED_TRACE(step);
    const std::string unit = std::string("s-") + step;
    auto r = spawn(unit, {"--user", "nobody"},
                   {"/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done"});
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_TRUE(cgspawn::testing::eventually(
        [&] { return !cgspawn::read_file(users() + "/" + unit + "/cgroup.procs").empty(); }));
    {
      ScopedEnv at("CGSPAWN_FAULT_AT", step);
      auto s = faulty({"stop", unit, "--timeout", "0.5"});
      EXPECT_EQ(s.status, kKilled) << "stop was not killed at " << step << ": " << s.err;
    }
    EXPECT_EQ(procs_outside(unit), std::vector<std::string>{});
    auto s = cgspawn({"stop", unit, "--timeout", "0.5"});
    EXPECT_EQ(s.status, 0) << s.err;
    EXPECT_FALSE(exists(users() + "/" + unit));
  }
}

TEST_F(FaultCli, TheProductBinaryHasNoFaultSwitch) {
  ScopedEnv at("CGSPAWN_FAULT_AT", "plan");
  auto r = spawn("product", {"--user", "nobody"}, {"/bin/sleep", "60"});
  EXPECT_EQ(r.status, 0) << "the product obeyed CGSPAWN_FAULT_AT: " << r.err;
  EXPECT_EQ(cgspawn::read_file(CGSPAWN_BINARY).find("CGSPAWN_FAULT_AT"), std::string::npos);
  EXPECT_NE(cgspawn::read_file(CGSPAWN_FAULTS_BINARY).find("CGSPAWN_FAULT_AT"), std::string::npos)
      << "the search above would not find it";
  EXPECT_EQ(cgspawn({"stop", "product"}).status, 0);
}

}  // namespace
