// The sudo policy for dynamic users and slice limits: off by default, the
// range bounded by users.uid_min/uid_max, the state directory fixed.
#include <gtest/gtest.h>

#include "common/error.hpp"
#include "launcher/policy/policy.hpp"
#include "launcher/spawn/request.hpp"
#include "tests/launcher/policy/policy_fixture.hpp"

using cgspawn::Caller;
using cgspawn::Policy;
using cgspawn::SpawnRequest;

namespace {

using cgspawn::testing::judge;
using cgspawn::testing::kHub;

struct DynamicRequest {
  SpawnRequest req;
  DynamicRequest() {
    req.command = {"/usr/bin/jupyterhub-singleuser"};
    req.user = "oauth-alice";
    req.dynamic_user = true;
  }
};

Policy allowing(const std::string& extra = "") {
  return cgspawn::parse_policy(
      R"({"allow_dynamic_users": true, "users": {"group": "jupyterhub-users"})" + extra + "}",
      "test");
}

std::string refusal(const Policy& p, DynamicRequest& r) {
  try {
    judge(p, kHub, r.req);
  } catch (const cgspawn::Error& e) {
    EXPECT_EQ(e.kind(), cgspawn::ErrorKind::Refused) << e.what();
    return e.what();
  }
  return "";
}

}  // namespace

TEST(DynamicUserPolicy, OffByDefault) {
  EXPECT_FALSE(cgspawn::parse_policy("{}", "test").allow_dynamic_users);
  DynamicRequest r;
  EXPECT_NE(refusal(cgspawn::parse_policy("{}", "test"), r).find("(allow_dynamic_users)"),
            std::string::npos);
  EXPECT_THROW(cgspawn::parse_policy(R"({"allow_dynamic_users": "yes"})", "t"), cgspawn::Error);
}

TEST(DynamicUserPolicy, AllowedWithinTheUidBoundsWithoutGroupMembership) {
  DynamicRequest r;
  EXPECT_EQ(refusal(allowing(), r), "") << "users.group cannot apply to a user with no account";
  // The uid a name already has is checked against the bounds once known:
  // spawn() gets them from allowed_uids().
  const auto bounds = cgspawn::allowed_uids(cgspawn::Access{kHub, allowing()});
  ASSERT_TRUE(bounds.has_value());
  EXPECT_EQ(bounds->first, 1000u);
  EXPECT_EQ(bounds->last, 59999u);
  EXPECT_FALSE(cgspawn::allowed_uids(cgspawn::Access{}).has_value()) << "no policy, no bounds";
}

TEST(DynamicUserPolicy, RangeMustLieWithinTheUidBounds) {
  DynamicRequest r;
  r.req.dynamic_user_range = "";  // the default, 20000-29999
  EXPECT_NE(refusal(allowing(R"(, "users": {"uid_min": 25000, "uid_max": 59999})"), r)
                .find("outside the allowed uid range 25000-59999"),
            std::string::npos);
}

TEST(DynamicUserPolicy, StateDirectoryIsTheDefaultOnly) {
  DynamicRequest r;
  r.req.dynamic_user_state = "/home/jhub/state";
  EXPECT_NE(refusal(allowing(), r).find("(dynamic_user_state)"), std::string::npos);
  r.req.dynamic_user_state = "/var/lib/cgspawn/";
  EXPECT_EQ(refusal(allowing(), r), "");
}

TEST(SliceSetPolicy, PropertiesMustBeAllowedTypedLimitsAreFree) {
  Policy p = cgspawn::parse_policy(R"({"properties": ["io.weight"]})", "test");
  EXPECT_NO_THROW(cgspawn::enforce_slice_set(p, {{"memory.max", cgspawn::cg::Unlimited{}, "memory"},
                                                 {"io.weight", cgspawn::cg::RawText{"50"}, "io"}}));
  try {
    cgspawn::enforce_slice_set(p, {{"cpuset.cpus", cgspawn::cg::RawText{"0"}, "cpuset"}});
    FAIL() << "an unlisted property passed";
  } catch (const cgspawn::Error& e) {
    EXPECT_EQ(e.kind(), cgspawn::ErrorKind::Refused);
    EXPECT_NE(std::string(e.what()).find("(properties)"), std::string::npos) << e.what();
  }
}

// Issue 13, finding 10: the policy owns the range. The hub cannot narrow it
// to one exact (perhaps orphaned) uid; the range used is the policy's.
TEST(DynamicUserPolicy, ThePolicyOwnsTheRange) {
  DynamicRequest r;
  for (const char* asked : {"20000-20000", "29999-29999", "20000-29998", "65536-70000"}) {
    r.req.dynamic_user_range = asked;
    EXPECT_NE(refusal(allowing(), r).find("(dynamic_user_range)"), std::string::npos) << asked;
  }
  r.req.dynamic_user_range = "20000-29999";  // the policy's own (the default): harmless
  EXPECT_EQ(refusal(allowing(), r), "");
  const Policy p = allowing(R"(, "dynamic_user_range": "25000-25009")");
  r.req.dynamic_user_range = "25003-25003";
  EXPECT_NE(refusal(p, r).find("the policy sets the range (25000-25009)"), std::string::npos);
  r.req.dynamic_user_range = "";
  EXPECT_EQ(refusal(p, r), "");
  EXPECT_EQ(cgspawn::policy_dynamic_user_range(p).str(), "25000-25009")
      << "the range used is the policy's";
  EXPECT_EQ(cgspawn::policy_uid_bounds(p).str(), "1000-59999");
}

TEST(DynamicUserPolicy, TheRangeIsValidatedAtLoad) {
  for (const char* bad : {R"("dynamic_user_range": "50000-70000")",  // beyond uid_max 59999
                          R"("dynamic_user_range": "61184-61200")",  // systemd's, nobody
                          R"("dynamic_user_range": "20000")", R"("dynamic_user_range": 20000)",
                          R"("dynamic_user_range": "500-2000")",
                          R"("users": {"uid_min": 30000}, "dynamic_user_range": "20000-29999")"}) {
    try {
      cgspawn::parse_policy(std::string("{") + bad + "}", "test");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const cgspawn::Error& e) {
      EXPECT_EQ(e.kind(), cgspawn::ErrorKind::Refused) << e.what();
      EXPECT_NE(std::string(e.what()).find("dynamic_user_range"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(cgspawn::parse_policy(R"({"dynamic_user_range": "30000-30999"})", "t")
                .dynamic_user_range->str(),
            "30000-30999");
}
