#include "cgroup/values.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"

namespace cg = cgspawn::cg;
using cgspawn::Error;
using cgspawn::ErrorKind;

TEST(ParseSize, BytesAndBinarySuffixes) {
  EXPECT_EQ(cg::parse_size("0", "--m"), 0u);
  EXPECT_EQ(cg::parse_size("1024", "--m"), 1024u);
  EXPECT_EQ(cg::parse_size("1K", "--m"), 1024u);
  EXPECT_EQ(cg::parse_size("64M", "--m"), 64u << 20);
  EXPECT_EQ(cg::parse_size("2g", "--m"), 2ULL << 30);
  EXPECT_EQ(cg::parse_size("1T", "--m"), 1ULL << 40);
  EXPECT_EQ(cg::parse_size("1.5G", "--m"), 3ULL << 29);
  EXPECT_EQ(cg::parse_size("0.5K", "--m"), 512u);
}

TEST(ParseSize, MaxMeansNoLimit) {
  EXPECT_FALSE(cg::parse_size("max", "--m").has_value());
  EXPECT_FALSE(cg::parse_size("infinity", "--m").has_value());
}

TEST(ParseSize, RejectsHostileInput) {
  for (const char* bad : {"",
                          "-1",
                          "1.5",
                          "1e3",
                          "G",
                          "1GB",
                          " 1G",
                          "1G ",
                          "1 G",
                          "0x10",
                          "1..5G",
                          ".5G",
                          "5.G",
                          "18446744073709551616",
                          "99999999999T",
                          "1G\n",
                          "max\n",
                          "1;rm -rf /",
                          "NaN",
                          "inf"}) {
    try {
      cg::parse_size(bad, "--memory-max");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BadRequest) << bad;
      EXPECT_NE(std::string(e.what()).find("--memory-max"), std::string::npos) << e.what();
    }
  }
}

TEST(ParseCpuQuota, CoresToQuotaPerPeriod) {
  EXPECT_EQ(cg::parse_cpu_quota("0.25", "--cpu-max", 100000), 25000u);
  EXPECT_EQ(cg::parse_cpu_quota("1", "--cpu-max", 100000), 100000u);
  EXPECT_EQ(cg::parse_cpu_quota("1.5", "--cpu-max", 100000), 150000u);
  EXPECT_EQ(cg::parse_cpu_quota("0.01", "--cpu-max", 100000), 1000u);
}

TEST(ParseCpuQuota, RejectsOutOfRangeAndGarbage) {
  for (const char* bad : {"", "0", "0.001", "-1", "nan", "inf", "1e2", "4097", "1,5", "1.5x", " 1"})
    EXPECT_THROW(cg::parse_cpu_quota(bad, "--cpu-max", 100000), Error) << bad;
}

// The kernel's cpu.max text, read back (top, the slice reports): the one parser.
TEST(ParseCpuMax, QuotaAndPeriodOrMax) {
  auto q = cg::parse_cpu_max("25000 100000");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->quota_usec, 25000u);
  EXPECT_EQ(q->period_usec, 100000u);
  auto m = cg::parse_cpu_max("max 100000");
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->quota_usec.has_value());
  EXPECT_EQ(m->period_usec, 100000u);
  for (const char* bad : {"", "25000", "25000 0", "max 0", "25000x 100000", "25000 100000x",
                          "-1 100000", "+1 100000", " 25000 100000", "max", "25000  100000"})
    EXPECT_FALSE(cg::parse_cpu_max(bad).has_value()) << bad;
}

TEST(ParseCpuQuota, BoundsInTheMessageAreTheTables) {
  try {
    cg::parse_cpu_quota("5000", "--cpu-max", 100000);
    ADD_FAILURE() << "accepted 5000 CPUs";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("from 0.01 to 4096"), std::string::npos) << e.what();
  }
}

TEST(ParseUint, RangeAndMax) {
  EXPECT_EQ(cg::parse_uint("50", "--tasks-max", 1, 100, false), 50u);
  EXPECT_FALSE(cg::parse_uint("max", "--tasks-max", 1, 100, true).has_value());
  EXPECT_THROW(cg::parse_uint("max", "--cpu-weight", 1, 100, false), Error);
  EXPECT_THROW(cg::parse_uint("0", "--tasks-max", 1, 100, false), Error);
  EXPECT_THROW(cg::parse_uint("101", "--tasks-max", 1, 100, false), Error);
  EXPECT_THROW(cg::parse_uint("+5", "--tasks-max", 1, 100, false), Error);
  EXPECT_THROW(cg::parse_uint("99999999999999999999999", "--tasks-max", 1, 100, false), Error);
}

TEST(ParseKeyed, KernelFormats) {
  auto m = cg::parse_keyed("low 0\nhigh 3\nmax 7\noom 1\noom_kill 2\n");
  EXPECT_EQ(m.at("oom_kill"), 2u);
  EXPECT_EQ(m.at("high"), 3u);
  EXPECT_EQ(m.size(), 5u);
  auto e = cg::parse_keyed("populated 1\nfrozen 0");
  EXPECT_EQ(e.at("populated"), 1u);
  EXPECT_TRUE(cg::parse_keyed("").empty());
  EXPECT_TRUE(cg::parse_keyed("garbage\nkey notanumber\n").empty());
}
