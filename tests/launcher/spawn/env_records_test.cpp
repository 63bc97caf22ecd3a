#include "launcher/spawn/env_records.hpp"

#include <gtest/gtest.h>

#include <chrono>

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

// The token that lost its "KEY=", a key made of token fragments, a token in a
// duplicate: the error names the record by position, never any of its bytes.
TEST(EnvRecords, MalformedRecordIsNamedByIndexWithoutItsContents) {
  using namespace std::string_literals;
  const std::string secret = "tok3n-9f8e7d6c5b4a";
  for (const std::string& bad :
       {"A=1\0"s + secret + "\0"s, "A=1\0"s + secret + "=x\0"s, "A=1\0"s + secret + " x=1\0"s,
        "A=1\0T="s + secret + "\0T="s + secret + "\0"s}) {
    try {
      parse_env_records(bad);
      ADD_FAILURE() << "accepted a malformed record";
    } catch (const cgspawn::Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("record 2"), std::string::npos) << what;
      for (const std::string& part : {secret, secret.substr(0, 5), secret.substr(6)})
        EXPECT_EQ(what.find(part), std::string::npos) << what;
    }
  }
}

// 1 MiB of keys once took 17 s to de-duplicate and then failed exec with
// E2BIG; now it is refused at once, and the largest accepted environment
// parses quickly (generous bounds: the host is shared).
TEST(EnvRecords, BoundedByWhatExecAcceptsAndFast) {
  std::string flood;
  for (size_t i = 0; flood.size() < cgspawn::kMaxEnvBytes - 16; ++i)
    flood += "K" + std::to_string(i) + "=" + '\0';
  auto start = std::chrono::steady_clock::now();
  try {
    parse_env_records(flood);
    ADD_FAILURE() << "accepted " << flood.size() << " bytes of tiny records";
  } catch (const cgspawn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("more than 4096 records"), std::string::npos) << e.what();
  }
  std::string most;
  const std::string prefix(180, 'P');  // long shared prefixes: costly compares
  for (size_t i = 0; i < cgspawn::kMaxEnvRecords; ++i)
    most += prefix + std::to_string(i) + "=v" + '\0';
  EXPECT_EQ(parse_env_records(most).size(), cgspawn::kMaxEnvRecords);
  EXPECT_THROW(parse_env_records(most + "ONE_MORE=1"), cgspawn::Error);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  // One string of 128 KiB or more fails execve with E2BIG whatever the total.
  std::string one = "BIG=" + std::string(cgspawn::kMaxEnvRecordBytes - 5, 'x');
  EXPECT_EQ(parse_env_records(one).size(), 1u);
  EXPECT_THROW(parse_env_records(one + "x"), cgspawn::Error);
}
