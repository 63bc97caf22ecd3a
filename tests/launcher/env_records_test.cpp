#include "launcher/env_records.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"

using cgspawn::EnvList;
using cgspawn::parse_env_records;

TEST(EnvRecords, ParsesProcEnvironFormat) {
  using namespace std::string_literals;
  auto env = parse_env_records("A=1\0B=x=y\0EMPTY=\0"s);
  ASSERT_EQ(env.size(), 3u);
  EXPECT_EQ(env[0], (std::pair<std::string, std::string>{"A", "1"}));
  EXPECT_EQ(env[1].second, "x=y");
  EXPECT_EQ(env[2].second, "");
  EXPECT_EQ(parse_env_records("PATH=/bin"s).size(), 1u);  // trailing NUL optional
  EXPECT_TRUE(parse_env_records("").empty());
}

TEST(EnvRecords, ValuesMayHoldAnyByteButNul) {
  using namespace std::string_literals;
  auto env = parse_env_records("MULTI=line1\nline2\xff\0"s);
  EXPECT_EQ(env[0].second, "line1\nline2\xff");
}

TEST(EnvRecords, RejectsMalformedKeysAndDuplicates) {
  using namespace std::string_literals;
  for (const std::string& bad : {"NOEQUALS\0"s, "=value\0"s, "1A=x\0"s, "A-B=x\0"s, "A B=x\0"s,
                                 "A=1\0\0B=2\0"s, "A=1\0A=2\0"s, "\xff=1\0"s, "A.B=1\0"s}) {
    try {
      parse_env_records(bad);
      ADD_FAILURE() << "accepted a malformed record";
    } catch (const cgspawn::Error& e) {
      EXPECT_EQ(e.kind(), cgspawn::ErrorKind::BadRequest);
    }
  }
}

TEST(EnvRecords, ErrorNeverShowsTheValue) {
  using namespace std::string_literals;
  try {
    parse_env_records("JUPYTERHUB_API_TOKEN=s3cr3t\0JUPYTERHUB_API_TOKEN=s3cr3t\0"s);
    ADD_FAILURE();
  } catch (const cgspawn::Error& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cr3t"), std::string::npos) << e.what();
  }
  try {
    parse_env_records("bad key=s3cr3t\0"s);
    ADD_FAILURE();
  } catch (const cgspawn::Error& e) {
    EXPECT_EQ(std::string(e.what()).find("s3cr3t"), std::string::npos) << e.what();
  }
}

TEST(EnvRecords, SizeLimit) {
  std::string big = "A=" + std::string(cgspawn::kMaxEnvBytes, 'x');
  EXPECT_THROW(parse_env_records(big), cgspawn::Error);
}

TEST(EnvRecords, DefaultsDoNotOverride) {
  EnvList env{{"HOME", "/custom"}};
  cgspawn::set_default(env, "HOME", "/home/alice");
  cgspawn::set_default(env, "USER", "alice");
  EXPECT_EQ(cgspawn::to_envp_strings(env),
            (std::vector<std::string>{"HOME=/custom", "USER=alice"}));
}
