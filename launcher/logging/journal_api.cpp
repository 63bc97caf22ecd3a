#include "launcher/logging/journal_api.hpp"

#include <dlfcn.h>

namespace cgspawn {
namespace {

// The soname, never a path the caller could choose: the loader searches only
// the system's directories (sudo and a root hub clear LD_LIBRARY_PATH, as for
// the libraries linked directly). The handle stays open for the process's life.
JournalApi load() noexcept {
  JournalApi api;
  void* lib = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return api;
  api.send = reinterpret_cast<decltype(api.send)>(::dlsym(lib, "sd_journal_send"));
  api.stream_fd = reinterpret_cast<decltype(api.stream_fd)>(::dlsym(lib, "sd_journal_stream_fd"));
  return api;
}

}  // namespace

const JournalApi* journal_api() noexcept {
  static const JournalApi api = load();
  return api.send && api.stream_fd ? &api : nullptr;
}

}  // namespace cgspawn
