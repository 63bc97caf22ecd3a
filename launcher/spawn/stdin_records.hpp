// What `cgspawn spawn` reads on stdin: with --internal-ssl, first the
// server's SSL material as three typed records, then the environment records
// (env_records.hpp). Secrets all, so the same rules: never in argv, bounded,
// and no error ever shows a byte of them.
//
//   @ssl-key=PEM\0 @ssl-cert=PEM\0 @ssl-ca=PEM\0 KEY=VALUE\0 ...
//
// '@' can begin no environment key, so a material record can never be
// mistaken for a variable, nor a variable for one.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "namespaces/server_tls.hpp"

namespace cgspawn {

// Each PEM: a key or a certificate is a few KiB, a CA bundle a handful of
// certificates; 64 KiB leaves room and keeps the whole read bounded.
inline constexpr size_t kMaxTlsRecordBytes = size_t{64} * 1024;  // the PEM, without its name
inline constexpr size_t kTlsRecords = 3;

struct SpawnStdin {
  std::optional<ns::ServerTls> tls;  // set when internal_ssl (uid/gid not yet)
  std::string_view env;              // the environment records, still to parse
};

// Split DATA (which outlives the result). Without INTERNAL_SSL any '@' record
// at the start is refused; with it the three records must come first, in
// that order, each a PEM of its kind within kMaxTlsRecordBytes. Throws
// Error(BadRequest) naming the record, never its contents.
SpawnStdin split_spawn_stdin(std::string_view data, bool internal_ssl);

// Read all of FD: up to the environment's bound, plus the material's with
// INTERNAL_SSL (more is a BadRequest).
std::string read_spawn_stdin(int fd, bool internal_ssl);

}  // namespace cgspawn
