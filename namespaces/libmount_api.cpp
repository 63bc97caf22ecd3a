#include "namespaces/libmount_api.hpp"

#include <dlfcn.h>

#include <cerrno>

#include "common/error.hpp"

namespace cgspawn::ns {
namespace {

template <typename Fn>
bool bind(void* lib, Fn& fn, const char* name) noexcept {
  fn = reinterpret_cast<Fn>(::dlsym(lib, name));
  return fn != nullptr;
}

// The soname, never a path the caller could choose (as for the libraries
// linked directly: sudo and a root hub clear LD_LIBRARY_PATH). The handle
// stays open for the process's life.
bool load(LibmountApi& a) noexcept {
  void* lib = ::dlopen("libmount.so.1", RTLD_NOW | RTLD_LOCAL);
  return lib && bind(lib, a.new_table, "mnt_new_table") &&
         bind(lib, a.unref_table, "mnt_unref_table") &&
         bind(lib, a.table_parse_file, "mnt_table_parse_file") &&
         bind(lib, a.new_iter, "mnt_new_iter") && bind(lib, a.free_iter, "mnt_free_iter") &&
         bind(lib, a.table_next_fs, "mnt_table_next_fs") &&
         bind(lib, a.fs_get_id, "mnt_fs_get_id") &&
         bind(lib, a.fs_get_target, "mnt_fs_get_target") &&
         bind(lib, a.fs_get_vfs_options, "mnt_fs_get_vfs_options") &&
         bind(lib, a.optstr_get_flags, "mnt_optstr_get_flags") &&
         bind(lib, a.get_builtin_optmap, "mnt_get_builtin_optmap");
}

}  // namespace

const LibmountApi& libmount() {
  static LibmountApi api;
  static const bool loaded = load(api);
  if (!loaded)
    throw_system("load libmount", "libmount.so.1", ENOENT,
                 "install libmount1 (util-linux); read-only paths need it");
  return api;
}

}  // namespace cgspawn::ns
