// fork_into (clone_into_cgroup.hpp): on this host's kernel the child starts
// in the unit's cgroup (clone3 with CLONE_INTO_CGROUP); when clone3 is
// refused, as an old kernel or a container's seccomp profile refuses it,
// plain fork() with the child left where its parent is (it moves itself);
// and a whole spawn says which way its server started. Root, real cgroup2.
#include "launcher/spawn/clone_into_cgroup.hpp"

#include <gtest/gtest.h>
#include <seccomp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "tests/launcher/cli/cli_fixture.hpp"

namespace {

using cgspawn::fork_into;
using cgspawn::cg::CgroupDir;

std::string own_cgroup() {
  std::ifstream f("/proc/self/cgroup");
  std::string line;
  while (std::getline(f, line))
    if (line.starts_with("0::")) return line.substr(3);
  return {};
}

// In a child of the test (so the filter and the cgroups go with it): fork
// into UNIT, optionally with clone3 refused first; exit status 0 when the
// way taken and the grandchild's cgroup are as EXPECT_CLONE3 says.
int fork_into_in_a_child(const std::string& unit_path, const std::string& unit_rel,
                         bool refuse_clone3) {
  pid_t helper = ::fork();
  if (helper == 0) {
    if (refuse_clone3) {
      scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
      if (ctx == nullptr || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0) ||
          seccomp_load(ctx))
        _exit(90);
    }
    const std::string before = own_cgroup();
    CgroupDir unit = CgroupDir::open(unit_path);
    auto forked = fork_into(unit);
    if (forked.pid == 0) {
      const std::string where = own_cgroup();
      _exit(where == (refuse_clone3 ? before : unit_rel) ? 0 : 91);
    }
    int status = 0;
    ::waitpid(forked.pid, &status, 0);
    if (forked.in_cgroup == refuse_clone3) _exit(92);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 93);
  }
  int status = 0;
  ::waitpid(helper, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

class CloneInto : public cgspawn::testing::CliSandbox {
 protected:
  std::string unit_path() { return users() + "/probe"; }
  std::string unit_rel() { return unit_path().substr(cgspawn::testing::cgroup2_mount().size()); }
  void SetUp() override {
    CliSandbox::SetUp();
    if (IsSkipped()) return;
    ASSERT_EQ(::mkdir(unit_path().c_str(), 0755), 0);
  }
};

TEST_F(CloneInto, ChildStartsInTheUnitsCgroup) {
  EXPECT_EQ(fork_into_in_a_child(unit_path(), unit_rel(), false), 0)
      << "91: the child was not in the unit's cgroup; 92: not cloned into it";
}

TEST_F(CloneInto, FallsBackToForkWhenClone3IsRefused) {
  EXPECT_EQ(fork_into_in_a_child(unit_path(), unit_rel(), true), 0)
      << "90: no filter; 91: the child moved; 92: clone3 was reported though refused";
}

TEST_F(CloneInto, ASpawnSaysHowItsServerStarted) {
  auto r = spawn("cloned", {"--user", "nobody"}, {"/bin/true"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("(cloned into it)"), std::string::npos) << r.err;
  EXPECT_TRUE(cgspawn::testing::eventually([&] {
    return cgspawn({"cleanup", "cloned"}).status == 0;
  }));
}

}  // namespace
