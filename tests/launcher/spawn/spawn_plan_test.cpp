// Planning validates a request and touches nothing: these run without root.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "launcher/spawn/request.hpp"

using cgspawn::SpawnRequest;

namespace {

SpawnRequest valid() {
  SpawnRequest r;
  r.unit = "jupyter-alice-singleuser";
  r.user = "nobody";
  r.command = {"/bin/true"};
  return r;
}

void expect_bad(const SpawnRequest& r, const std::string& needle) {
  try {
    cgspawn::prepare_spawn(r, {}, cgspawn::Access{});
    ADD_FAILURE() << "accepted; expected an error mentioning '" << needle << "'";
  } catch (const cgspawn::Error& e) {
    EXPECT_EQ(e.kind(), cgspawn::ErrorKind::BadRequest) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(SpawnPlan, RejectsBadNamesBeforeAnythingElse) {
  auto r = valid();
  r.unit = "../../etc";
  expect_bad(r, "unit name");
  r = valid();
  r.slice = "cgroup.procs";
  expect_bad(r, "slice name");
}

TEST(SpawnPlan, NeedsACommand) {
  auto r = valid();
  r.command.clear();
  expect_bad(r, "no command");
}

TEST(SpawnPlan, WorkdirMustBeAbsolute) {
  auto r = valid();
  r.workdir = "notebooks";
  expect_bad(r, "--workdir");
}

TEST(SpawnPlan, CgroupRootMustBeCgroup2) {
  auto r = valid();
  r.cgroup_root = "/tmp";
  expect_bad(r, "cgroup2");
}

TEST(SpawnPlan, InternalSslReadsFromStdinOnly) {
  auto r = valid();
  r.internal_ssl = true;
  expect_bad(r, "--internal-ssl reads the certificates from stdin: add --env-stdin");
}
