#include "namespaces/no_new_privs.hpp"

#include <gtest/gtest.h>

#include <string>

#include "child_process.hpp"
#include "host_fixtures.hpp"

namespace cgspawn::ns {
namespace {

TEST(NoNewPrivs, ShowsInProcStatus) {
  auto status = [] { return testing::read_text("/proc/self/status"); };
  ASSERT_NE(status().find("NoNewPrivs:\t0"), std::string::npos) << "test process already has it";
  const auto r = testing::run_in_child([&](testing::ChildChecks& c) {
    set_no_new_privs();
    c.expect(status().find("NoNewPrivs:\t1") != std::string::npos, "NoNewPrivs is not 1");
  });
  EXPECT_TRUE(r.passed) << r.failures;
}

}  // namespace
}  // namespace cgspawn::ns
