// The --internal-ssl records ahead of the environment on stdin: parsing,
// order, kinds, bounds, and errors that never show the material.
#include "launcher/spawn/stdin_records.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/error.hpp"
#include "launcher/spawn/env_records.hpp"

namespace cgspawn {
namespace {

using namespace std::string_literals;

const std::string kKey = "-----BEGIN PRIVATE KEY-----\nS3CRETKEY\n-----END PRIVATE KEY-----\n";
const std::string kCert = "-----BEGIN CERTIFICATE-----\nCERTBODY\n-----END CERTIFICATE-----\n";
const std::string kCa = "-----BEGIN CERTIFICATE-----\nCABODY\n-----END CERTIFICATE-----\n";

std::string records(const std::string& key = kKey, const std::string& cert = kCert,
                    const std::string& ca = kCa) {
  return "@ssl-key=" + key + '\0' + "@ssl-cert=" + cert + '\0' + "@ssl-ca=" + ca + '\0';
}

// The BadRequest message of split_spawn_stdin(DATA, INTERNAL_SSL); "" if it passed.
std::string refusal(const std::string& data, bool internal_ssl = true) {
  try {
    split_spawn_stdin(data, internal_ssl);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest) << e.what();
    EXPECT_EQ(std::string(e.what()).find("S3CRETKEY"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "not one line";
    return e.what();
  }
  return "";
}

TEST(StdinRecords, MaterialFirstThenTheEnvironment) {
  const std::string data = records() + "A=1\0B=2\0"s;
  SpawnStdin in = split_spawn_stdin(data, true);
  ASSERT_TRUE(in.tls);
  EXPECT_EQ(in.tls->key, kKey);
  EXPECT_EQ(in.tls->cert, kCert);
  EXPECT_EQ(in.tls->ca, kCa);
  EXPECT_EQ(in.tls->uid, static_cast<uid_t>(-1)) << "the owner is planned later";
  EXPECT_EQ(parse_env_records(in.env).size(), 2u);
  EXPECT_TRUE(split_spawn_stdin(records(), true).env.empty()) << "no environment is fine";
  // An EC or RSA key spells its header differently.
  std::string ec = "-----BEGIN EC PRIVATE KEY-----\nx\n-----END EC PRIVATE KEY-----\n";
  EXPECT_EQ(split_spawn_stdin(records(ec), true).tls->key, ec);
}

TEST(StdinRecords, WithoutTheFlagTheEnvironmentIsAllThereIs) {
  const std::string data = "A=1\0"s;  // outlives IN, whose env is a view into it
  SpawnStdin in = split_spawn_stdin(data, false);
  EXPECT_FALSE(in.tls);
  EXPECT_EQ(in.env, "A=1\0"s);
  EXPECT_NE(refusal(records() + "A=1\0"s, false).find("--internal-ssl was not given"),
            std::string::npos);
}

TEST(StdinRecords, AllThreeInOrderAreRequired) {
  EXPECT_NE(refusal("A=1\0"s).find("expected the @ssl-key record"), std::string::npos);
  EXPECT_NE(refusal("").find("stdin ended before the @ssl-key record"), std::string::npos);
  const std::string key = "@ssl-key=" + kKey + '\0';
  EXPECT_NE(refusal(key).find("before the @ssl-cert"), std::string::npos);
  EXPECT_NE(refusal(key + "@ssl-ca=" + kCa + '\0').find("expected the @ssl-cert record"),
            std::string::npos);
  EXPECT_NE(refusal(records() + "@ssl-key=" + kKey + '\0').find("fourth @ record"),
            std::string::npos);
  // a record without its name's '=' is not the record
  EXPECT_NE(refusal("@ssl-key" + kKey + '\0').find("expected the @ssl-key"), std::string::npos);
}

TEST(StdinRecords, EachMustBeAPemOfItsKind) {
  EXPECT_NE(refusal(records("S3CRETKEY")).find("@ssl-key record is not a PEM private key"),
            std::string::npos);
  EXPECT_NE(refusal(records(kCert)).find("@ssl-key record is not a PEM private key"),
            std::string::npos)
      << "a certificate is no key";
  EXPECT_NE(refusal(records(kKey, kKey)).find("@ssl-cert record is not a PEM certificate"),
            std::string::npos)
      << "a key is no certificate";
  EXPECT_NE(refusal(records(kKey, kCert, "")).find("@ssl-ca record is not a PEM certificate"),
            std::string::npos);
}

TEST(StdinRecords, SixtyFourKiBEach) {
  auto padded = [](const std::string& pem, size_t size) {
    return pem + std::string(size - pem.size(), '\n');
  };
  SpawnStdin in =
      split_spawn_stdin(records(padded(kKey, kMaxTlsRecordBytes), padded(kCert, kMaxTlsRecordBytes),
                                padded(kCa, kMaxTlsRecordBytes)),
                        true);
  EXPECT_EQ(in.tls->ca.size(), kMaxTlsRecordBytes);
  EXPECT_NE(refusal(records(padded(kKey, kMaxTlsRecordBytes + 1))).find("over 64 KiB"),
            std::string::npos);
  EXPECT_NE(refusal(records(kKey, kCert, padded(kCa, kMaxTlsRecordBytes + 1))).find("@ssl-ca"),
            std::string::npos);
}

// What read_spawn_stdin reads from a file of SIZE bytes.
std::string read_sized(size_t size, bool internal_ssl) {
  int fd = ::memfd_create("stdin", MFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  std::string data(size, 'x');
  EXPECT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::lseek(fd, 0, SEEK_SET);
  try {
    std::string out = read_spawn_stdin(fd, internal_ssl);
    ::close(fd);
    return out;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

TEST(StdinRecords, TheReadIsBounded) {
  EXPECT_EQ(read_sized(kMaxEnvBytes, false).size(), kMaxEnvBytes);
  EXPECT_THROW(read_sized(kMaxEnvBytes + 1, false), Error);
  // room for a full environment and three full records, and no more
  const size_t most = kMaxEnvBytes + kTlsRecords * (kMaxTlsRecordBytes + 16);
  EXPECT_EQ(read_sized(most, true).size(), most);
  EXPECT_THROW(read_sized(most + 1, true), Error);
}

}  // namespace
}  // namespace cgspawn
