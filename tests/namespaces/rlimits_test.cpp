#include "namespaces/rlimits.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <string>

#include "child_process.hpp"
#include "common/error.hpp"

namespace cgspawn::ns {
namespace {

void expect_bad(const std::string& text, const std::string& says) {
  try {
    parse_rlimit(text);
    ADD_FAILURE() << "accepted --rlimit " << text;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest) << e.what();
    EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
  }
}

TEST(Rlimits, SystemdSyntax) {
  Rlimit r = parse_rlimit("NOFILE=16384");
  EXPECT_EQ(r.resource, RLIMIT_NOFILE);
  EXPECT_EQ(r.soft, 16384u);
  EXPECT_EQ(r.hard, 16384u);  // one value sets both, as LimitNOFILE=16384 does
  r = parse_rlimit("NPROC=512:1024");
  EXPECT_EQ(r.resource, RLIMIT_NPROC);
  EXPECT_EQ(r.soft, 512u);
  EXPECT_EQ(r.hard, 1024u);
  r = parse_rlimit("CORE=0:infinity");
  EXPECT_EQ(r.hard, RLIM_INFINITY);
  EXPECT_EQ(parse_rlimit("MEMLOCK=64K").soft, 64u << 10);
  EXPECT_EQ(parse_rlimit("AS=2G").hard, 2ULL << 30);
  EXPECT_EQ(parse_rlimit("RTPRIO=99").soft, 99u);
}

TEST(Rlimits, BadInputNamesTheProblem) {
  expect_bad("FILES=10", "unknown resource 'FILES'");
  expect_bad("LimitNOFILE=10", "unknown resource");
  expect_bad("NOFILE", "NAME=SOFT[:HARD]");
  expect_bad("NOFILE=ten", "not a number");
  expect_bad("NOFILE=10K", "not a number");  // a count takes no size suffix
  expect_bad("NOFILE=", "not a number");
  expect_bad("NOFILE=2:1", "soft limit 2 is above the hard limit 1");
  expect_bad("CORE=infinity:0", "above the hard limit");
  expect_bad("AS=99999999E", "not a number");  // overflows
  expect_bad("NICE=41", "out of range");
  expect_bad("RTPRIO=100", "out of range");
  try {
    parse_rlimits({"NOFILE=1", "NOFILE=2"});
    ADD_FAILURE() << "NOFILE twice accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("given twice"), std::string::npos) << e.what();
  }
}

TEST(Rlimits, AppliedInTheProcess) {
  const auto r = testing::run_in_child([](testing::ChildChecks& c) {
    apply_rlimits(parse_rlimits({"NOFILE=100:200", "CORE=0"}));
    struct rlimit now {};
    getrlimit(RLIMIT_NOFILE, &now);
    c.expect(now.rlim_cur == 100 && now.rlim_max == 200, "RLIMIT_NOFILE is not 100:200");
    getrlimit(RLIMIT_CORE, &now);
    c.expect(now.rlim_cur == 0 && now.rlim_max == 0, "RLIMIT_CORE is not 0");
  });
  EXPECT_TRUE(r.passed) << r.failures;
}

}  // namespace
}  // namespace cgspawn::ns
