#include "launcher/spawn/stdin_records.hpp"

#include <array>

#include "common/error.hpp"
#include "common/files.hpp"
#include "launcher/spawn/env_records.hpp"

namespace cgspawn {
namespace {

constexpr const char* kStep = "read internal-ssl material";

struct TlsRecord {
  std::string_view name;    // without the '@'
  std::string_view header;  // what its PEM must contain
  std::string ns::ServerTls::*field;
};

// A private key in any PEM spelling ("PRIVATE KEY", "RSA PRIVATE KEY",
// "EC PRIVATE KEY"); certificates as X.509 PEM.
constexpr std::array<TlsRecord, kTlsRecords> kRecords{{
    {"ssl-key", "PRIVATE KEY-----", &ns::ServerTls::key},
    {"ssl-cert", "-----BEGIN CERTIFICATE-----", &ns::ServerTls::cert},
    {"ssl-ca", "-----BEGIN CERTIFICATE-----", &ns::ServerTls::ca},
}};

constexpr const char* kFix =
    "send @ssl-key=PEM, @ssl-cert=PEM and @ssl-ca=PEM records, in that order, before the "
    "environment records";

[[noreturn]] void bad(const std::string& problem) {
  throw_bad_request(kStep, problem + ": " + kFix);
}

// The next NUL-terminated record of DATA (consumed), without its NUL.
std::string_view take_record(std::string_view& data) {
  auto nul = data.find('\0');
  std::string_view rec = data.substr(0, nul);
  data = nul == std::string_view::npos ? std::string_view{} : data.substr(nul + 1);
  return rec;
}

std::string take_tls_record(std::string_view& data, const TlsRecord& want) {
  const std::string tag = "@" + std::string(want.name);
  if (data.empty()) bad("stdin ended before the " + tag + " record");
  std::string_view rec = take_record(data);
  if (!rec.starts_with(tag + "="))
    bad("expected the " + tag + " record, found " +
        (rec.starts_with('@') ? "another @ record" : "something else"));
  std::string_view pem = rec.substr(tag.size() + 1);
  if (pem.size() > kMaxTlsRecordBytes) bad("the " + tag + " record is over 64 KiB");
  if (pem.find("-----BEGIN ") == std::string_view::npos ||
      pem.find(want.header) == std::string_view::npos ||
      pem.find("-----END ") == std::string_view::npos)
    bad("the " + tag + " record is not a PEM " +
        (want.field == &ns::ServerTls::key ? "private key" : "certificate"));
  return std::string(pem);
}

}  // namespace

SpawnStdin split_spawn_stdin(std::string_view data, bool internal_ssl) {
  SpawnStdin out;
  if (!internal_ssl) {
    if (data.starts_with('@'))
      throw_bad_request(kStep,
                        "stdin starts with an @ record (internal-ssl material) but --internal-ssl "
                        "was not given: pass --internal-ssl, or send only environment records");
    out.env = data;
    return out;
  }
  ns::ServerTls tls;
  for (const auto& rec : kRecords) tls.*rec.field = take_tls_record(data, rec);
  if (data.starts_with('@')) bad("a fourth @ record follows @ssl-ca");
  out.tls = std::move(tls);
  out.env = data;
  return out;
}

std::string read_spawn_stdin(int fd, bool internal_ssl) {
  // Each record's name, '=' and NUL on top of its PEM.
  const size_t tls = internal_ssl ? kTlsRecords * (kMaxTlsRecordBytes + 16) : 0;
  const size_t limit = kMaxEnvBytes + tls;
  std::string data = read_fd(fd, "stdin (environment)", limit);
  if (data.size() > limit)
    throw_bad_request("read environment",
                      internal_ssl ? "stdin exceeds 1 MiB of environment and 3 x 64 KiB of "
                                     "internal-ssl material: send less"
                                   : "environment on stdin exceeds 1 MiB: send less");
  return data;
}

}  // namespace cgspawn
