// cgspawn killed at each step of a spawn or a stop (issue 19), on this host's
// cgroup2 sandbox: cgspawn-faults SIGKILLs itself at CGSPAWN_FAULT_AT (see
// launcher/trace/fault_point.hpp). After each kill no process of the unit runs
// outside its cgroup, `stop` clears what is left, and the next spawn and stop
// of that name work. The same with limits and mounts: tests/guest/suite/
// test_faults.py.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "common/files.hpp"
#include "tests/launcher/cli/cli_fixture.hpp"

namespace {

using cgspawn::testing::CliSandbox;
using cgspawn::testing::ScopedEnv;
using cgspawn::testing::RunResult;
using namespace std::chrono_literals;


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

// A spawn of UNIT by cgspawn-faults, stopped (SIGSTOP) at CGSPAWN_PAUSE_AT;
// its output goes to OUT. Returns its pid once it has stopped, or -1.
pid_t paused_spawn(const std::string& root, const std::string& unit, const std::string& out) {
  int in[2];
  if (::pipe(in) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(in[0], 0);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::close(in[1]);
    ::execl(CGSPAWN_FAULTS_BINARY, CGSPAWN_FAULTS_BINARY, "spawn", "--cgroup-root", root.c_str(),
            "--unit", unit.c_str(), "--env-stdin", "--log-target", "stderr", "--user", "nobody",
            "--", "/bin/sleep", "60", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  (void)::write(in[1], cgspawn::testing::kServerEnv.data(), cgspawn::testing::kServerEnv.size());
  ::close(in[1]);
  int st = 0;
  if (::waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st)) return -1;
  return pid;
}

// One lock per unit (issue 15): a stop issued while a spawn of the same unit
// is in progress waits for it, then stops what it started; nothing is left
// and nothing raced. Paused at each step from taking the lock to the fork.
TEST_F(FaultCli, AStopDuringASpawnOfItsUnitWaitsThenStopsWhatTheSpawnStarted) {
  cgspawn::testing::TempDir tmp;
  for (const char* step : {"unit-locked", "cgroup", "limits", "forked"}) {
    SCOPED_TRACE(step);
    const std::string unit = std::string("p-") + step, out = tmp.path() + "/" + unit + ".out";
    pid_t spawn_pid = -1;
    {
      ScopedEnv at("CGSPAWN_PAUSE_AT", step);
      spawn_pid = paused_spawn(sandbox_->path(), unit, out);
    }
    ASSERT_GT(spawn_pid, 0) << "cgspawn-faults did not pause at " << step << ": "
                            << cgspawn::read_file(out);
    std::atomic<bool> stopped{false};
    RunResult s;
    std::thread stopper([&] {
      s = cgspawn({"stop", unit, "--timeout", "1"});
      stopped = true;
    });
    std::this_thread::sleep_for(1500ms);
    EXPECT_FALSE(stopped) << "stop did not wait for the spawn of its unit: " << s.err;
    // Another unit is not held up by this one's spawn.
    auto other = spawn(unit + "-other", {"--user", "nobody"}, {"/bin/true"});
    EXPECT_EQ(other.status, 0) << other.err;
    ::kill(spawn_pid, SIGCONT);
    int st = 0;
    ::waitpid(spawn_pid, &st, 0);
    stopper.join();
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << cgspawn::read_file(out);
    EXPECT_EQ(s.status, 0) << s.err;
    EXPECT_NE(s.err.find("stopped unit " + unit), std::string::npos)
        << "the stop did not find the spawned unit: " << s.err;
    EXPECT_FALSE(exists(users() + "/" + unit)) << "the spawned unit outlived the stop";
    EXPECT_EQ(procs_outside(unit), std::vector<std::string>{});
    EXPECT_EQ(cgspawn({"stop", unit + "-other"}).status, 0);
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
