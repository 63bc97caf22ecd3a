#include "cgroup/limits.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"

namespace cg = cgspawn::cg;

namespace {
std::map<std::string, std::string> as_map(const std::vector<cg::LimitWrite>& w) {
  std::map<std::string, std::string> m;
  for (const auto& x : w) m[x.file] = x.value;
  return m;
}
}  // namespace

TEST(PlanLimits, EveryTypedFlagMapsToItsFile) {
  cg::LimitFlags f;
  f.memory_max = "64M";
  f.memory_swap_max = "0";
  f.memory_low = "16M";
  f.cpu_max = "0.25";
  f.cpu_weight = "200";
  f.tasks_max = "50";
  auto m = as_map(cg::plan_limits(f));
  EXPECT_EQ(m.at("memory.max"), "67108864");
  EXPECT_EQ(m.at("memory.swap.max"), "0");
  EXPECT_EQ(m.at("memory.low"), "16777216");
  EXPECT_EQ(m.at("cpu.max"), "25000 100000");
  EXPECT_EQ(m.at("cpu.weight"), "200");
  EXPECT_EQ(m.at("pids.max"), "50");
  EXPECT_EQ(m.size(), 6u);
  EXPECT_FALSE(m.contains("memory.oom.group"));  // stays 0: the OOM killer takes the hog only
}

TEST(PlanLimits, NothingGivenWritesNothing) {
  EXPECT_TRUE(cg::plan_limits({}).empty());
}

TEST(PlanLimits, MaxValues) {
  cg::LimitFlags f;
  f.memory_max = "max";
  f.tasks_max = "max";
  auto m = as_map(cg::plan_limits(f));
  EXPECT_EQ(m.at("memory.max"), "max");
  EXPECT_EQ(m.at("pids.max"), "max");
}

TEST(PlanLimits, ZeroMemoryMaxIsRefused) {
  cg::LimitFlags f;
  f.memory_max = "0";
  EXPECT_THROW(cg::plan_limits(f), cgspawn::Error);
}

TEST(PlanLimits, PropertiesAreCheckedForShape) {
  cg::LimitFlags f;
  f.properties = {"io.weight=200", "memory.high=1G"};
  auto w = cg::plan_limits(f);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].controller, "io");
  EXPECT_EQ(w[1].file, "memory.high");
  for (const char* bad :
       {"io.weight", "=5", "io.weight=", "cgroup.procs=1", "cgroup.kill=1", "../../etc/passwd=x",
        "memory.max/x=1", "IO.weight=1", "noprefix=1", "memory.high=1\n2"}) {
    cg::LimitFlags g;
    g.properties = {bad};
    EXPECT_THROW(cg::plan_limits(g), cgspawn::Error) << bad;
  }
}

// The kernel's own names have upper case (hugetlb.2MB.max) and '-'; still
// no '/', no "..", no empty part, no unknown controller.
TEST(PlanLimits, PropertiesTakeTheKernelsRealNames) {
  for (const char* ok : {"hugetlb.2MB.max=1G", "hugetlb.1GB.rsvd.max=max", "dmem.max=x 1",
                         "irq.pressure=x", "memory.numa_stat=x", "cpu.uclamp.min=10",
                         "io.bfq.weight=100", "misc.max=x 1", "rdma.max=mlx4_0 hca_handle=2"}) {
    cg::LimitFlags f;
    f.properties = {ok};
    EXPECT_NO_THROW(cg::plan_limits(f)) << ok;
  }
  for (const char* bad : {"hugetlb..max=1", "hugetlb.2MB.=1", "hugetlb.=1", ".max=1",
                          "hugetlb.2MB/max=1", "hugetlb.2MB.max/../../x=1", "Memory.high=1",
                          "nosuch.max=1", "memory.hi gh=1", "memory.h\xc3\xafgh=1"}) {
    cg::LimitFlags f;
    f.properties = {bad};
    EXPECT_THROW(cg::plan_limits(f), cgspawn::Error) << bad;
  }
}

// --memory-max '' (an unset shell variable) once silently meant no limit.
TEST(PlanLimits, EmptyValueIsAnErrorNamingTheFlag) {
  using Field = std::optional<std::string> cg::LimitFlags::*;
  const std::vector<std::pair<Field, std::string>> flags = {
      {&cg::LimitFlags::memory_max, "--memory-max"},
      {&cg::LimitFlags::memory_swap_max, "--memory-swap-max"},
      {&cg::LimitFlags::memory_low, "--memory-low"},
      {&cg::LimitFlags::cpu_max, "--cpu-max"},
      {&cg::LimitFlags::cpu_weight, "--cpu-weight"},
      {&cg::LimitFlags::tasks_max, "--tasks-max"}};
  for (const auto& [field, flag] : flags) {
    cg::LimitFlags f;
    f.*field = "";
    try {
      cg::plan_limits(f);
      ADD_FAILURE() << flag << " '' accepted";
    } catch (const cgspawn::Error& e) {
      EXPECT_EQ(e.kind(), cgspawn::ErrorKind::BadRequest);
      EXPECT_NE(std::string(e.what()).find(flag + " got an empty value"), std::string::npos)
          << e.what();
    }
  }
  cg::LimitFlags none;
  EXPECT_TRUE(cg::plan_limits(none).empty());  // not given at all: no writes
}

TEST(PlanLimits, PropertyMayNotOverrideATypedFlag) {
  cg::LimitFlags f;
  f.memory_max = "1G";
  f.properties = {"memory.max=2G"};
  EXPECT_THROW(cg::plan_limits(f), cgspawn::Error);
}

// Typed files only through their flags, even alone: a raw value (100G,
// "100000 1000", 0x100000) would escape parsing and the sudo-mode ceilings.
TEST(PlanLimits, TypedFilesAreNeverProperties) {
  for (const char* prop : {"memory.max=100G", "cpu.max=100000 1000", "pids.max=0x100000",
                           "memory.swap.max=max", "memory.low=1", "cpu.weight=10000"}) {
    cg::LimitFlags f;
    f.properties = {prop};
    try {
      cg::plan_limits(f);
      ADD_FAILURE() << "accepted --property " << prop;
    } catch (const cgspawn::Error& e) {
      EXPECT_NE(std::string(e.what()).find("use that flag"), std::string::npos) << e.what();
    }
  }
}

TEST(MissingControllers, NamesEachOnce) {
  cg::LimitFlags f;
  f.memory_max = "1G";
  f.memory_low = "1M";
  f.cpu_max = "1";
  auto w = cg::plan_limits(f);
  EXPECT_TRUE(cg::missing_controllers(w, {"cpu", "memory", "pids"}).empty());
  EXPECT_EQ(cg::missing_controllers(w, {"cpu"}), std::vector<std::string>{"memory"});
  EXPECT_EQ(cg::missing_controllers(w, {}).size(), 2u);
}

TEST(ControllerList, Parses) {
  EXPECT_EQ(cg::parse_controller_list("cpuset cpu io memory pids\n"),
            (std::set<std::string>{"cpuset", "cpu", "io", "memory", "pids"}));
  EXPECT_TRUE(cg::parse_controller_list("\n").empty());
}
