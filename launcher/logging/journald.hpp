// journald's two client protocols, spoken directly: the native protocol
// (one datagram per record, systemd.io/JOURNAL_NATIVE_PROTOCOL) for the
// launcher's own records, and the stream protocol (sd_journal_stream_fd(3))
// for a server's stdout and stderr. Through libsystemd, each spawn loaded
// that library and the six it pulls in, once in the launcher and once in the
// server's child: ~17% of a spawn in the guest benchmark (issue 17). Both
// protocols are a socket, a few header lines and one write.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace cgspawn::journald {

// journald's sockets. Fixed paths, never from the caller's environment.
inline constexpr const char* kNativeSocket = "/run/systemd/journal/socket";
inline constexpr const char* kStreamSocket = "/run/systemd/journal/stdout";

struct Field {
  std::string_view name;  // upper case, digits and '_' (journald's rule)
  std::string_view value;
};

// One record in the native protocol's form: NAME=value\n per field, or, for
// a value holding a newline, NAME\n, its length (64-bit little endian), the
// value and \n.
std::string encode(std::initializer_list<Field> fields);

// Sends one record. A record too large for one datagram goes as a sealed
// memfd passed with SCM_RIGHTS, as libsystemd does. Returns 0 or an errno.
int send(std::initializer_list<Field> fields, const char* socket_path = kNativeSocket) noexcept;

// A connected stream whose every line becomes a record of IDENTIFIER at
// PRIORITY (0-7; with level_prefix a line may start with <N> for its own).
// Returns the fd (close-on-exec) or -errno; -EINVAL for an identifier with a
// newline, which would break the header.
int open_stream(std::string_view identifier, int priority, bool level_prefix,
                const char* socket_path = kStreamSocket) noexcept;

}  // namespace cgspawn::journald
