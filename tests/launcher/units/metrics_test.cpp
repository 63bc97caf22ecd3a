// `cgspawn metrics`' formatting: the Prometheus text format's families and
// series, label values escaped, "max" as +Inf, and no series (never a zero)
// for a file of a controller that is not enabled, read from a fake tree.
#include "launcher/units/metrics.hpp"

#include <gtest/gtest.h>

#include "tests/support/sandbox.hpp"

namespace cg = cgspawn::cg;
namespace metrics = cgspawn::metrics;
using cgspawn::testing::TempDir;

namespace {

cg::UnitStats full_unit() {
  cg::UnitStats s;
  s.where = {"jupyter-alice-singleuser", "", "/unused"};
  s.state = cg::UnitState::Running;
  s.memory_current = 1000;
  s.memory_peak = 2000;
  s.memory_max = "536870912";
  s.memory_low = "0";
  s.memory_events = {{"oom", 3}, {"oom_kill", 2}};
  s.cpu_stat = {
      {"usage_usec", 1234567}, {"nr_periods", 10}, {"nr_throttled", 4}, {"throttled_usec", 5000}};
  s.cpu_max = "150000 100000";
  s.pids_current = 7;
  s.pids_max = "256";
  s.owner = R"(["alice", ""])";
  return s;
}

const char* const kAlice = R"({unit="jupyter-alice-singleuser",user="alice",slice=""})";

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST(Metrics, EscapesBackslashQuoteAndNewlineInLabelValues) {
  EXPECT_EQ(metrics::escape_label_value("plain-name_1.2@x"), "plain-name_1.2@x");
  EXPECT_EQ(metrics::escape_label_value(R"(a\b)"), R"(a\\b)");
  EXPECT_EQ(metrics::escape_label_value(R"(say "hi")"), R"(say \"hi\")");
  EXPECT_EQ(metrics::escape_label_value("two\nlines"), R"(two\nlines)");
  EXPECT_EQ(metrics::escape_label_value("\\\"\n"), R"(\\\"\n)");
  EXPECT_EQ(metrics::escape_label_value("tab\there ünï"), "tab\there ünï");  // UTF-8 as is
}

TEST(Metrics, UserIsTheHubUserOfTheOwnerRecord) {
  EXPECT_EQ(metrics::owner_user(std::string(R"(["ann.lee", "lab"])")), "ann.lee");
  EXPECT_EQ(metrics::owner_user(std::string("not json")), "not json");
  EXPECT_EQ(metrics::owner_user(std::string("[1, 2]")), "[1, 2]");
  EXPECT_EQ(metrics::owner_user(std::nullopt), "");
}

TEST(Metrics, EveryFigureOnceWithHelpTypeAndLabels) {
  const std::string text = metrics::format({full_unit()});
  const std::string a = kAlice;
  for (const auto& line : {
           "cgspawn_unit_running" + a + " 1",
           "cgspawn_memory_current_bytes" + a + " 1000",
           "cgspawn_memory_peak_bytes" + a + " 2000",
           "cgspawn_memory_max_bytes" + a + " 536870912",
           "cgspawn_oom_kills_total" + a + " 2",
           "cgspawn_cpu_usage_seconds_total" + a + " 1.234567",
           "cgspawn_cpu_limit_cpus" + a + " 1.5",
           "cgspawn_cpu_periods_total" + a + " 10",
           "cgspawn_cpu_throttled_periods_total" + a + " 4",
           "cgspawn_cpu_throttled_seconds_total" + a + " 0.005000",
           "cgspawn_tasks" + a + " 7",
           "cgspawn_tasks_max" + a + " 256",
           std::string("# TYPE cgspawn_oom_kills_total counter"),
           std::string("# TYPE cgspawn_memory_current_bytes gauge"),
       })
    EXPECT_TRUE(has_line(text, line)) << line << "\n---\n" << text;
  // one HELP and one TYPE per family, right before its series
  EXPECT_EQ(text.find("# HELP cgspawn_tasks "), text.rfind("# HELP cgspawn_tasks "));
  EXPECT_NE(text.find("# HELP cgspawn_tasks pids.current"), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
}

TEST(Metrics, NoLimitIsInfAndSeriesOfOneFamilyStayTogether) {
  auto a = full_unit();
  auto b = full_unit();
  b.where = {"jupyter-bob-singleuser", "students", "/unused"};
  b.owner = R"(["bo\"b\\x", ""])";
  b.memory_max = "max";
  b.cpu_max = "max 100000";
  b.pids_max = "max";
  b.state = cg::UnitState::Exited;
  const std::string text = metrics::format({a, b});
  const std::string lb = R"({unit="jupyter-bob-singleuser",user="bo\"b\\x",slice="students"})";
  EXPECT_TRUE(has_line(text, "cgspawn_memory_max_bytes" + lb + " +Inf")) << text;
  EXPECT_TRUE(has_line(text, "cgspawn_cpu_limit_cpus" + lb + " +Inf")) << text;
  EXPECT_TRUE(has_line(text, "cgspawn_tasks_max" + lb + " +Inf")) << text;
  EXPECT_TRUE(has_line(text, "cgspawn_unit_running" + lb + " 0")) << text;
  // alice's and bob's memory_max lines are adjacent: a family is one block
  auto first = text.find("cgspawn_memory_max_bytes{");
  auto second = text.find("cgspawn_memory_max_bytes{", first + 1);
  EXPECT_EQ(text.find('\n', first) + 1, second) << text;
}

TEST(Metrics, AbsentControllersGiveAbsentSeriesNotZeros) {
  // A unit where only the core files exist (no memory, cpu or pids
  // controller enabled): read as cgspawn reads it, from a fake tree.
  TempDir t;
  t.put("u/cgroup.procs", "42\n");
  t.put("u/cgroup.events", "populated 1\n");
  t.put("u/cpu.stat", "usage_usec 500\nuser_usec 300\nsystem_usec 200\n");
  auto stats = cg::read_stats({"u", "", t.path() + "/u"});
  const std::string text = metrics::format({stats});
  EXPECT_TRUE(
      has_line(text, R"(cgspawn_cpu_usage_seconds_total{unit="u",user="",slice=""} 0.000500)"))
      << text;
  for (const char* absent : {"cgspawn_memory", "cgspawn_oom", "cgspawn_tasks", "cgspawn_cpu_limit",
                             "cgspawn_cpu_throttled", "cgspawn_cpu_periods"})
    EXPECT_EQ(text.find(absent), std::string::npos) << absent << "\n" << text;
  EXPECT_EQ(metrics::format({}), "");
}
