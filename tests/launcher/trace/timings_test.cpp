// CGSPAWN_TIMINGS_FD (bench/'s per-step breakdown): the line format, and a
// real spawn on this host writing every step once, in order, only when asked.
#include "launcher/trace/timings.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <sstream>
#include <vector>

#include "tests/launcher/cli/cli_fixture.hpp"

namespace {

using cgspawn::parse_timing_line;
using cgspawn::testing::ScopedEnv;

TEST(TimingLine, ParsesStepAndNanoseconds) {
  auto m = parse_timing_line("cgspawn-timing cgroup-move 123456789012");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->step, "cgroup-move");
  EXPECT_EQ(m->ns, 123456789012);
}

TEST(TimingLine, RejectsOtherLines) {
  for (const char* line : {"", "cgspawn-timing", "cgspawn-timing  5", "cgspawn-timing fork",
                           "cgspawn-timing fork x1", "cgspawn-timing fork 12 ", "timing fork 1",
                           "cgspawn-timing fork -3", "[warning] cgspawn-timing fork 1"})
    EXPECT_FALSE(parse_timing_line(line)) << line;
}


std::vector<cgspawn::TimingMark> marks_in(const std::string& text) {
  std::vector<cgspawn::TimingMark> marks;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (auto m = parse_timing_line(line)) marks.push_back(*m);
  return marks;
}

class Timings : public cgspawn::testing::CliSandbox {
 protected:
  // /bin/true may still be exiting when spawn returns: cleanup refuses a
  // running unit, so retry until it has gone.
  bool cleaned_up(const std::string& unit) {
    return cgspawn::testing::eventually([&] { return cgspawn({"cleanup", unit}).status == 0; });
  }
};

// The whole isolation path, as bench/ spawns: fd 2 is the test's stderr pipe
// (the server's output stays there with --log-target stderr).
TEST_F(Timings, SpawnWritesEveryStepInOrderToTheGivenFd) {
  ScopedEnv on("CGSPAWN_TIMINGS_FD", "2");
  auto r =
      spawn("timed", {"--user", "nobody", "--private-tmp", "--private-devices", "--read-only", "/"},
            {"/bin/true"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto marks = marks_in(r.err);
  const std::vector<std::string> expected{"main",        "cli",    "policy",         "logging",
                                          "plan",        "cgroup", "limits",         "fork",
                                          "cgroup-move", "stdio",  "mounts",         "identity",
                                          "seccomp",     "exec",   "exec-confirmed", "started-log"};
  ASSERT_EQ(marks.size(), expected.size()) << r.err;
  for (size_t i = 0; i < marks.size(); ++i) {
    EXPECT_EQ(marks[i].step, expected[i]) << r.err;
    if (i > 0) {
      EXPECT_GE(marks[i].ns, marks[i - 1].ns) << marks[i].step;
    }
  }
  EXPECT_TRUE(cleaned_up("timed"));
}

TEST_F(Timings, OffUnlessAsked) {
  ::unsetenv("CGSPAWN_TIMINGS_FD");
  auto r = spawn("quiet", {"--user", "nobody"}, {"/bin/true"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("cgspawn-timing"), std::string::npos) << r.err;
  EXPECT_TRUE(cleaned_up("quiet"));
}

TEST_F(Timings, ClosedFdWarnsOnceAndTheSpawnStillWorks) {
  ScopedEnv bad("CGSPAWN_TIMINGS_FD", "917");
  auto r = spawn("badfd", {"--user", "nobody"}, {"/bin/true"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("CGSPAWN_TIMINGS_FD=917 is not an open file descriptor"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("cgspawn-timing"), std::string::npos) << r.err;
  EXPECT_TRUE(cleaned_up("badfd"));
}

}  // namespace
