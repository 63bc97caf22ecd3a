// `cgspawn top`'s model on a fake cgroup tree (CPU % over an interval, the
// sorts, the table), and the binary's two modes on the real cgroup2 mount.
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include "common/error.hpp"
#include "launcher/top/top_model.hpp"
#include "tests/launcher/cli/cli_fixture.hpp"
#include "tests/support/sandbox.hpp"

namespace top = cgspawn::top;
using cgspawn::testing::TempDir;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

void fake_unit(const TempDir& t, const std::string& rel, const std::string& procs,
               uint64_t usage_usec, const std::string& cpu_max, const std::string& memory_max,
               uint64_t memory_current, uint64_t tasks, uint64_t oom_kill) {
  t.put(rel + "/cgroup.procs", procs);
  t.put(rel + "/cgroup.events", procs.empty() ? "populated 0\n" : "populated 1\n");
  t.put(rel + "/cgroup.subtree_control", "");
  t.put(rel + "/cpu.stat", "usage_usec " + std::to_string(usage_usec) + "\nnr_throttled 0\n");
  t.put(rel + "/cpu.max", cpu_max + "\n");
  t.put(rel + "/memory.max", memory_max + "\n");
  t.put(rel + "/memory.current", std::to_string(memory_current) + "\n");
  t.put(rel + "/memory.events", "oom 0\noom_kill " + std::to_string(oom_kill) + "\n");
  t.put(rel + "/pids.current", std::to_string(tasks) + "\n");
}

void set_usage(const TempDir& t, const std::string& rel, uint64_t usage_usec) {
  t.put(rel + "/cpu.stat", "usage_usec " + std::to_string(usage_usec) + "\nnr_throttled 0\n");
}

const std::string kQuarter = "D/users/quarter";     // 0.25 CPU, 512M, 3 tasks
const std::string kFree = "D/users/students/free";  // no cpu limit, 1G, 9 tasks, 2 OOM kills

struct FakeTree {
  TempDir t;
  top::Sampler sampler{cgspawn::cg::Layout(t.path() + "/D")};
  std::chrono::steady_clock::time_point t0{seconds(1000)};
  FakeTree() {
    t.put("D/users/cgroup.subtree_control", "cpu memory pids\n");
    t.put("D/users/students/cgroup.subtree_control", "cpu memory pids\n");
    fake_unit(t, kQuarter, std::to_string(::getpid()) + "\n", 1000, "25000 100000", "536870912",
              300 << 20, 3, 0);
    fake_unit(t, kFree, "", 5000, "max 100000", "1073741824", 100 << 20, 9, 2);
  }
  const top::Row& row(const std::vector<top::Row>& rows, const std::string& name) {
    for (const auto& r : rows)
      if (r.name == name) return r;
    throw std::runtime_error("no row " + name);
  }
};

std::vector<std::string> names(const std::vector<top::Row>& rows) {
  std::vector<std::string> n;
  for (const auto& r : rows) n.push_back(r.name);
  return n;
}

}  // namespace

TEST(TopModel, CpuLimitFromCpuMax) {
  EXPECT_DOUBLE_EQ(top::cpu_limit_cpus("25000 100000").value(), 0.25);
  EXPECT_DOUBLE_EQ(top::cpu_limit_cpus("150000 100000").value(), 1.5);
  EXPECT_FALSE(top::cpu_limit_cpus("max 100000").has_value());
  EXPECT_FALSE(top::cpu_limit_cpus("25000 0").has_value());
  EXPECT_FALSE(top::cpu_limit_cpus("25000").has_value());
  EXPECT_FALSE(top::cpu_limit_cpus("25000x 100000").has_value());
}

TEST(TopModel, CpuPercentIsOfTheLimitOrOfOneCpu) {
  // 50 ms of CPU in 1 s: 5 % of one CPU, 50 % of a 0.1-CPU limit, 2.5 % of 2 CPUs.
  EXPECT_DOUBLE_EQ(top::cpu_percent(50000, seconds(1), std::nullopt), 5.0);
  EXPECT_DOUBLE_EQ(top::cpu_percent(50000, seconds(1), 0.1), 50.0);
  EXPECT_DOUBLE_EQ(top::cpu_percent(50000, seconds(1), 2.0), 2.5);
  EXPECT_DOUBLE_EQ(top::cpu_percent(3000000, seconds(2), std::nullopt), 150.0);
  EXPECT_DOUBLE_EQ(top::cpu_percent(1000, std::chrono::microseconds(0), 1.0), 0.0);
}

TEST(TopModel, FormatsSizes) {
  EXPECT_EQ(top::format_size(0), "0B");
  EXPECT_EQ(top::format_size(900), "900B");
  EXPECT_EQ(top::format_size(1024), "1K");
  EXPECT_EQ(top::format_size(512ULL << 20), "512M");
  EXPECT_EQ(top::format_size(3ULL << 29), "1.5G");
  EXPECT_EQ(top::format_size((1ULL << 20) + 104858), "1.1M");
  EXPECT_EQ(top::format_size(5ULL << 40), "5T");
  EXPECT_EQ(top::format_size(5ULL << 50), "5120T");
}

TEST(TopModel, SortKeys) {
  EXPECT_EQ(top::sort_key_for('m'), top::SortKey::Memory);
  EXPECT_EQ(top::sort_key_for('c'), top::SortKey::Cpu);
  EXPECT_EQ(top::sort_key_for('o'), top::SortKey::Oom);
  EXPECT_FALSE(top::sort_key_for('x').has_value());
  EXPECT_EQ(top::parse_sort_key("tasks"), top::SortKey::Tasks);
  try {
    top::parse_sort_key("mem");
    FAIL() << "accepted --sort mem";
  } catch (const cgspawn::Error& e) {
    EXPECT_EQ(e.kind(), cgspawn::ErrorKind::BadRequest);
    EXPECT_NE(std::string(e.what()).find("use cpu, memory, tasks, name or oom"), std::string::npos)
        << e.what();
  }
}

TEST(TopModel, SamplesCpuOverTheInterval) {
  FakeTree f;
  auto first = f.sampler.sample(f.t0);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_FALSE(f.row(first, "quarter").cpu_percent.has_value()) << "no interval yet";
  // 100 ms later: quarter used 25 ms (all of its 0.25 CPU), free 50 ms (half a CPU).
  set_usage(f.t, kQuarter, 1000 + 25000);
  set_usage(f.t, kFree, 5000 + 50000);
  auto second = f.sampler.sample(f.t0 + milliseconds(100));
  EXPECT_NEAR(f.row(second, "quarter").cpu_percent.value(), 100.0, 1e-9);
  EXPECT_NEAR(f.row(second, "free").cpu_percent.value(), 50.0, 1e-9);
  // The next interval is measured from the second sample, not the first.
  set_usage(f.t, kQuarter, 1000 + 25000 + 5000);
  auto third = f.sampler.sample(f.t0 + milliseconds(300));
  EXPECT_NEAR(f.row(third, "quarter").cpu_percent.value(), 10.0, 1e-9);

  const auto& q = f.row(third, "quarter");
  EXPECT_EQ(q.slice, "");
  EXPECT_EQ(q.memory_current, 300u << 20);
  EXPECT_EQ(q.memory_max, "536870912");
  EXPECT_DOUBLE_EQ(q.cpu_limit.value(), 0.25);
  EXPECT_EQ(q.tasks, 3u);
  EXPECT_EQ(q.user, ::getpwuid(::geteuid())->pw_name) << "owner of the unit's process";
  const auto& free = f.row(third, "free");
  EXPECT_EQ(free.slice, "students");
  EXPECT_FALSE(free.cpu_limit.has_value());
  EXPECT_EQ(free.oom_kills, 2u);
  EXPECT_EQ(free.user, "-") << "no process";
}

TEST(TopModel, UnitGoneBetweenSamplesDropsOut) {
  FakeTree f;
  (void)f.sampler.sample(f.t0);
  std::filesystem::remove_all(f.t.path() + "/" + kFree);
  auto rows = f.sampler.sample(f.t0 + seconds(1));
  EXPECT_EQ(names(rows), std::vector<std::string>{"quarter"});
}

TEST(TopModel, SortsByEachColumn) {
  FakeTree f;
  (void)f.sampler.sample(f.t0);
  set_usage(f.t, kQuarter, 1000 + 10000);  // 40 % of 0.25 CPU
  set_usage(f.t, kFree, 5000 + 20000);     // 20 % of one CPU
  auto rows = f.sampler.sample(f.t0 + milliseconds(100));
  top::sort_rows(rows, top::SortKey::Cpu);
  EXPECT_EQ(names(rows), (std::vector<std::string>{"quarter", "free"}));
  top::sort_rows(rows, top::SortKey::Memory);
  EXPECT_EQ(names(rows), (std::vector<std::string>{"quarter", "free"}));
  top::sort_rows(rows, top::SortKey::Tasks);
  EXPECT_EQ(names(rows), (std::vector<std::string>{"free", "quarter"}));
  top::sort_rows(rows, top::SortKey::Oom);
  EXPECT_EQ(names(rows), (std::vector<std::string>{"free", "quarter"}));
  top::sort_rows(rows, top::SortKey::Name);  // by slice, then name: "" before "students"
  EXPECT_EQ(names(rows), (std::vector<std::string>{"quarter", "free"}));
  // A figure that is missing sorts last, whatever its neighbour's value.
  rows[0].memory_current.reset();
  top::sort_rows(rows, top::SortKey::Memory);
  EXPECT_EQ(names(rows), (std::vector<std::string>{"free", "quarter"}));
}

TEST(TopModel, TableShowsLimitsAndMarksUnlimitedCpu) {
  FakeTree f;
  (void)f.sampler.sample(f.t0);
  set_usage(f.t, kQuarter, 1000 + 12500);
  auto rows = f.sampler.sample(f.t0 + milliseconds(100));
  top::sort_rows(rows, top::SortKey::Name);
  auto lines = top::format_table(rows);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0].substr(0, 4), "UNIT");
  std::string user = ::getpwuid(::geteuid())->pw_name;
  auto words = [](const std::string& line) {
    std::vector<std::string> w;
    std::istringstream in(line);
    for (std::string s; in >> s;) w.push_back(s);
    return w;
  };
  EXPECT_EQ(words(lines[0]), (std::vector<std::string>{"UNIT", "SLICE", "USER", "MEM", "MEM_MAX",
                                                       "CPU%", "CPU_MAX", "TASKS", "OOM"}));
  EXPECT_EQ(words(lines[1]), (std::vector<std::string>{"quarter", "-", user, "300M", "512M", "50.0",
                                                       "0.25", "3", "0"}));
  EXPECT_EQ(words(lines[2]), (std::vector<std::string>{"free", "students", "-", "100M", "1G",
                                                       "0.0*", "max", "9", "2"}));
  EXPECT_EQ(lines[3], "* no cpu.max limit: CPU% is of one CPU");
  // Columns line up: every figure column ends where its header ends.
  EXPECT_EQ(lines[0].find("OOM") + 3, lines[1].size());
  EXPECT_EQ(lines[1].size(), lines[2].size());
}

TEST(TopModel, TableWritesCpuLimitsAsCpus) {
  std::vector<top::Row> rows;
  for (double cpus : {0.5, 1.0, 1.5, 0.01}) {
    top::Row r;
    r.name = "u" + std::to_string(rows.size());
    r.user = "alice";
    r.cpu_limit = cpus;
    rows.push_back(r);
  }
  auto lines = top::format_table(rows);
  ASSERT_EQ(lines.size(), 5u) << "no legend: every unit has a limit";
  std::vector<std::string> cpu_max;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::istringstream in(lines[i]);
    std::vector<std::string> w;
    for (std::string s; in >> s;) w.push_back(s);
    ASSERT_EQ(w.size(), 9u) << lines[i];
    cpu_max.push_back(w[6]);
  }
  EXPECT_EQ(cpu_max, (std::vector<std::string>{"0.5", "1", "1.5", "0.01"}));
}

namespace cgspawn::testing {

using TopCli = CliSandbox;

TEST_F(TopCli, OnceListsUnitsAndLiveViewNeedsATerminal) {
  auto r = spawn("top-a", {"--user", "nobody"}, {"/bin/sleep", "300"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto once = cgspawn({"top", "--once", "-d", "0.2", "--sort", "name"});
  EXPECT_EQ(once.status, 0) << once.err;
  EXPECT_EQ(once.out.rfind("UNIT", 0), 0u) << once.out;
  EXPECT_NE(once.out.find("\ntop-a  "), std::string::npos) << once.out;
  EXPECT_NE(once.out.find("  nobody  "), std::string::npos) << once.out;
  EXPECT_EQ(once.out.find('\x1b'), std::string::npos) << "terminal control in --once output";

  auto live = cgspawn({"top"});  // stdout is a pipe here
  EXPECT_EQ(live.status, 2);
  EXPECT_NE(live.err.find("use `cgspawn top --once`"), std::string::npos) << live.err;
  EXPECT_EQ(live.out, "");

  auto bad = cgspawn({"top", "--once", "--sort", "size"});
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("--sort 'size'"), std::string::npos) << bad.err;
  EXPECT_EQ(cgspawn({"stop", "top-a", "--timeout", "1"}).status, 0);
}

}  // namespace cgspawn::testing
