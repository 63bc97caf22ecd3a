// The policy file's numbers: every one out of type or range is a refusal
// naming its key (so main() writes an audit record), never an uncaught
// nlohmann exception or a silently wrapped or truncated value.
#include <gtest/gtest.h>

#include <string>

#include "common/error.hpp"
#include "launcher/policy/policy.hpp"

namespace {

// Refused (policy file), naming KEY; anything else thrown is a failure.
void expect_refused_naming(const std::string& text, const std::string& key) {
  try {
    cgspawn::parse_policy(text, "policy.json");
    ADD_FAILURE() << "accepted " << text;
  } catch (const cgspawn::Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.kind(), cgspawn::ErrorKind::Refused) << what;
    EXPECT_NE(what.find("(policy file): policy.json"), std::string::npos) << what;
    EXPECT_NE(what.find(key), std::string::npos) << text << " -> " << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << text << " threw a non-cgspawn exception: " << e.what();
  }
}

TEST(PolicyFileNumbers, UnreadableNumbersNameTheirKey) {
  for (const char* key : {"max_tasks", "max_cpu", "max_memory"})
    expect_refused_naming(std::string(R"({"commands": [], ")") + key + R"(": 1e400})",
                          std::string("'") + key + "'");
  expect_refused_naming(R"({"users": {"uid_min": 1000, "uid_max": -1e999}})", "'uid_max'");
}

TEST(PolicyFileNumbers, IntegersMustBeWholeNonNegativeAndInRange) {
  for (const char* v : {"-1", "0", "1.5", "100.0", "1e3", "4194305", "18446744073709551615",
                        "\"100\"", "true", "null"})
    expect_refused_naming(std::string(R"({"max_tasks": )") + v + "}", "'max_tasks'");
  for (const char* v : {"-1", "0", "1000.5", "1e3", "4294967295", "4294967296", "10000000000"})
    expect_refused_naming(std::string(R"({"users": {"uid_min": )") + v + "}}", "'uid_min'");
  for (const char* v : {"-5", "65534.0", "4294967296", "18446744073709551616"})
    expect_refused_naming(std::string(R"({"users": {"uid_max": )") + v + "}}", "'uid_max'");
  for (const char* v : {"-1", "0", "1e300", "\"2\"", "true"})
    expect_refused_naming(std::string(R"({"max_cpu": )") + v + "}", "max_cpu");
}

TEST(PolicyFileNumbers, UidMinAboveUidMaxIsRefused) {
  expect_refused_naming(R"({"users": {"uid_min": 5000, "uid_max": 4000}})", "uid_min");
  expect_refused_naming(R"({"users": {"uid_max": 999}})", "uid_min");  // default uid_min 1000
}

TEST(PolicyFileNumbers, LimitsOfTheRangesAreAccepted) {
  auto p = cgspawn::parse_policy(
      R"({"users": {"uid_min": 1, "uid_max": 4294967294}, "max_tasks": 4194304, "max_cpu": 0.5})",
      "policy.json");
  EXPECT_EQ(p.uid_min, 1u);
  EXPECT_EQ(p.uid_max, 4294967294u);
  EXPECT_EQ(p.max_tasks, 4194304u);
  EXPECT_EQ(p.max_cpu_quota, 50000u);
  EXPECT_EQ(cgspawn::parse_policy(R"({"max_tasks": 1})", "p").max_tasks, 1u);
}

}  // namespace
