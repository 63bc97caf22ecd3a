// libsystemd's journal calls, loaded with dlopen the first time a record or
// a server's output stream goes to the journal. Linked directly, libsystemd
// and the six libraries it pulls in (libgcrypt, libgpg-error, liblzma,
// libzstd, liblz4, libcap) were loaded by every run, even `cgspawn status`,
// which the hub runs per poll and which never writes to the journal (issue 17).
#pragma once

#include <systemd/sd-journal.h>

namespace cgspawn {

struct JournalApi {
  decltype(&::sd_journal_send) send = nullptr;
  decltype(&::sd_journal_stream_fd) stream_fd = nullptr;
};

// libsystemd's functions, loaded once (thread-safe); nullptr when the library
// or a symbol is missing (then callers treat the journal as unreachable).
const JournalApi* journal_api() noexcept;

}  // namespace cgspawn
