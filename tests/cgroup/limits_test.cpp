#include "cgroup/limits.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <variant>

#include "common/error.hpp"

namespace cg = cgspawn::cg;

namespace {
std::map<std::string, std::string> as_map(const std::vector<cg::LimitWrite>& w) {
  std::map<std::string, std::string> m;
  for (const auto& x : w) m[x.file] = x.text();
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

// Planned limits stay typed: the kernel's text is made only at the write.
TEST(PlanLimits, ValuesStayTypedUntilWritten) {
  cg::LimitFlags f;
  f.memory_max = "64M";
  f.cpu_max = "1.5";
  f.cpu_weight = "300";
  f.tasks_max = "max";
  f.properties = {"io.weight=200"};
  auto w = cg::plan_limits(f);
  ASSERT_EQ(w.size(), 5u);
  EXPECT_EQ(std::get<cg::Bytes>(w[0].value).n, 64u << 20);
  const auto quota = std::get<cg::CpuQuota>(w[1].value);
  EXPECT_EQ(quota.quota_usec, 150000u);
  EXPECT_EQ(quota.period_usec, cg::kCpuPeriodUsec);
  EXPECT_EQ(std::get<cg::Weight>(w[2].value).n, 300u);
  EXPECT_TRUE(std::holds_alternative<cg::Unlimited>(w[3].value));
  EXPECT_EQ(std::get<cg::RawText>(w[4].value).text, "200");
  EXPECT_EQ(cg::amount(w[0].value), 64u << 20);
  EXPECT_EQ(cg::amount(w[1].value), 150000u);
  EXPECT_EQ(cg::amount(cg::CpuQuota{3000, 2000}), 150000u);  // normalised to the standard period
  EXPECT_FALSE(cg::amount(w[3].value).has_value());
  EXPECT_FALSE(cg::amount(w[4].value).has_value());
  EXPECT_EQ(cg::kernel_text(cg::Unlimited{}), "max");
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
  for (const auto& l : cg::kTypedLimits) {
    const std::string flag = l.flag;
    cg::LimitFlags f;
    f.*l.field = "";
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

// The table's bounds are the parser's: min and max pass, one step beyond
// each fails, max only where the table says so.
TEST(LimitTable, BoundsAreThoseThePlannerEnforces) {
  auto plans = [](const cg::TypedLimit& l, const std::string& text) {
    cg::LimitFlags f;
    f.*l.field = text;
    try {
      cg::plan_limits(f);
      return true;
    } catch (const cgspawn::Error&) {
      return false;
    }
  };
  for (const auto& l : cg::kTypedLimits) {
    SCOPED_TRACE(l.file);
    EXPECT_EQ(plans(l, "max"), l.accepts_max);
    EXPECT_EQ(plans(l, "0"), l.zero_allowed);
    if (l.kind == cg::LimitKind::Cpus) {
      EXPECT_TRUE(plans(l, std::to_string(l.min)));
      EXPECT_TRUE(plans(l, std::to_string(l.max)));
      EXPECT_FALSE(plans(l, std::to_string(l.min / 2)));
      EXPECT_FALSE(plans(l, std::to_string(l.max + 1)));
    } else if (l.kind != cg::LimitKind::Size) {
      EXPECT_TRUE(plans(l, std::to_string(static_cast<uint64_t>(l.min))));
      EXPECT_TRUE(plans(l, std::to_string(static_cast<uint64_t>(l.max))));
      EXPECT_FALSE(plans(l, std::to_string(static_cast<uint64_t>(l.max) + 1)));
    } else {
      EXPECT_TRUE(std::isinf(l.max)) << "sizes are bounded by 64 bits only";
      EXPECT_TRUE(plans(l, "18446744073709551615"));
      EXPECT_FALSE(plans(l, "18446744073709551616"));
    }
    cg::LimitFlags prop;
    prop.properties = {std::string(l.file) + "=1"};
    EXPECT_THROW(cg::plan_limits(prop), cgspawn::Error) << "--property may set a typed file";
    EXPECT_TRUE(cg::is_typed_limit_file(l.file));
  }
}

// `cgspawn check` writes each limit as the planner would plan its probe input.
TEST(LimitTable, ProbesArePlannedValues) {
  auto probes = cg::limit_probes();
  ASSERT_EQ(probes.size(), cg::kTypedLimits.size());
  const std::map<std::string, std::string> want = {
      {"memory.max", "67108864"},  {"memory.swap.max", "0"}, {"memory.low", "1048576"},
      {"cpu.max", "50000 100000"}, {"cpu.weight", "200"},    {"pids.max", "50"}};
  for (const auto& p : probes) {
    EXPECT_EQ(p.value, want.at(p.file)) << p.file;
    EXPECT_EQ(p.expect, p.value) << p.file;
    // the spawner's option names (mem_limit, cpu_guarantee...) stay out of cgspawn
    EXPECT_NE(std::string(p.consequence).find(p.file), std::string::npos) << p.consequence;
    EXPECT_EQ(std::string(p.consequence).find('_'), std::string::npos) << p.consequence;
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
