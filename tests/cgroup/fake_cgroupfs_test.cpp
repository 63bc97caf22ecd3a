// The cgroup logic against a fake cgroupfs (plain files in a temp dir), so it
// runs anywhere: reading figures, finding units and slices, writing values.
#include <gtest/gtest.h>

#include "cgroup/cgroup_dir.hpp"
#include "cgroup/layout.hpp"
#include "cgroup/stats.hpp"
#include "common/error.hpp"
#include "tests/support/sandbox.hpp"

namespace cg = cgspawn::cg;
using cgspawn::testing::TempDir;

namespace {

void fake_unit(const TempDir& t, const std::string& rel, bool populated) {
  t.put(rel + "/cgroup.procs", populated ? "12\n34\n" : "");
  t.put(rel + "/cgroup.events", populated ? "populated 1\nfrozen 0\n" : "populated 0\nfrozen 0\n");
  t.put(rel + "/cgroup.subtree_control", "");
  t.put(rel + "/memory.current", "1048576\n");
  t.put(rel + "/memory.max", "67108864\n");
  t.put(rel + "/memory.events", "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\noom_group_kill 0\n");
  t.put(rel + "/cpu.stat",
        "usage_usec 500\nuser_usec 400\nsystem_usec 100\nnr_periods 10\n"
        "nr_throttled 4\nthrottled_usec 77\n");
  t.put(rel + "/cpu.max", "25000 100000\n");
  t.put(rel + "/pids.current", "2\n");
  t.put(rel + "/pids.max", "max\n");
}

struct FakeTree {
  TempDir t;
  cg::Layout layout{t.path() + "/D"};
  FakeTree() {
    t.put("D/users/cgroup.subtree_control", "cpu memory pids\n");
    fake_unit(t, "D/users/jupyter-alice-singleuser", true);
    t.put("D/users/students/cgroup.subtree_control", "memory\n");
    fake_unit(t, "D/users/students/jupyter-bob-singleuser", false);
  }
};

}  // namespace

TEST(FakeCgroupfs, ListsUnitsAcrossSlices) {
  FakeTree f;
  auto units = f.layout.list_units();
  ASSERT_EQ(units.size(), 2u);
  EXPECT_EQ(units[0].name, "jupyter-alice-singleuser");
  EXPECT_EQ(units[0].slice, "");
  EXPECT_EQ(units[1].name, "jupyter-bob-singleuser");
  EXPECT_EQ(units[1].slice, "students");
  EXPECT_EQ(units[1].path, f.t.path() + "/D/users/students/jupyter-bob-singleuser");
}

TEST(FakeCgroupfs, FindsUnitInSliceAndNotSliceItself) {
  FakeTree f;
  auto bob = f.layout.find_unit("jupyter-bob-singleuser");
  ASSERT_TRUE(bob.has_value());
  EXPECT_EQ(bob->slice, "students");
  EXPECT_FALSE(f.layout.find_unit("students").has_value());
  EXPECT_FALSE(f.layout.find_unit("nobody-here").has_value());
}

// find_unit stats D/users/S/NAME per directory S (the spawn path, under the
// users lock) and must still answer as list_units() would.
TEST(FakeCgroupfs, FindsAUnitInTwoSlicesAsListUnitsOrdersThem) {
  FakeTree f;
  fake_unit(f.t, "D/users/zeta/jupyter-carol-singleuser", true);
  fake_unit(f.t, "D/users/alpha/jupyter-carol-singleuser", true);
  auto carol = f.layout.find_unit("jupyter-carol-singleuser");
  ASSERT_TRUE(carol.has_value());
  EXPECT_EQ(carol->slice, "alpha");
  EXPECT_EQ(carol->path, f.t.path() + "/D/users/alpha/jupyter-carol-singleuser");
  for (const auto& u : f.layout.list_units())
    if (u.name == carol->name) {
      EXPECT_EQ(u.slice, carol->slice) << "find_unit and list_units disagree";
      break;
    }
  // A file of that name in a unit's directory is no unit.
  f.t.put("D/users/jupyter-alice-singleuser/jupyter-dan-singleuser", "");
  EXPECT_FALSE(f.layout.find_unit("jupyter-dan-singleuser").has_value());
}

TEST(FakeCgroupfs, ReadsFiguresAndState) {
  FakeTree f;
  auto s = cg::read_stats(*f.layout.find_unit("jupyter-alice-singleuser"));
  EXPECT_EQ(s.state, cg::UnitState::Running);
  EXPECT_EQ(s.pids, (std::vector<pid_t>{12, 34}));
  EXPECT_EQ(s.memory_current, 1048576u);
  EXPECT_EQ(s.memory_max, "67108864");
  EXPECT_FALSE(s.memory_peak.has_value());  // file absent: unknown, not zero
  EXPECT_EQ(s.oom_kills(), 2u);
  EXPECT_EQ(s.cpu_stat.at("nr_throttled"), 4u);
  EXPECT_EQ(s.cpu_max, "25000 100000");
  EXPECT_EQ(s.pids_max, "max");
  auto b = cg::read_stats(*f.layout.find_unit("jupyter-bob-singleuser"));
  EXPECT_EQ(b.state, cg::UnitState::Exited);
  EXPECT_TRUE(b.pids.empty());
}

TEST(FakeCgroupfs, WritesGoToTheNamedFile) {
  FakeTree f;
  auto users = cg::CgroupDir::open(f.layout.users_path());
  EXPECT_EQ(users.subtree_control(), (std::set<std::string>{"cpu", "memory", "pids"}));
  f.t.put("D/users/x/cgroup.subtree_control", "");
  auto x = cg::CgroupDir::open(f.t.path() + "/D/users/x");
  x.enable_controllers({"memory", "cpu"});
  EXPECT_EQ(f.t.get("D/users/x/cgroup.subtree_control"), "+cpu +memory");
  EXPECT_THROW(x.write("memory.max", "1"), cgspawn::Error);  // no such file: never created
}

TEST(FakeCgroupfs, MissingUsersDirTellsToRunInit) {
  TempDir t;
  cg::Layout layout(t.path());
  try {
    (void)layout.open_users();
    ADD_FAILURE() << "no error";
  } catch (const cgspawn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("cgspawn init"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(layout.list_units().empty());
}
