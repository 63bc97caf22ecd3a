// libmount's functions, loaded with dlopen the first time a spawn remounts
// paths read-only. Linked directly, libmount and the three libraries it
// pulls in (libblkid, libselinux with its start-up probe, libpcre2) were
// loaded by every run of cgspawn, even `cgspawn status` (issue 17).
#pragma once

#include <libmount/libmount.h>

namespace cgspawn::ns {

struct LibmountApi {
  decltype(&::mnt_new_table) new_table = nullptr;
  decltype(&::mnt_unref_table) unref_table = nullptr;
  decltype(&::mnt_table_parse_file) table_parse_file = nullptr;
  decltype(&::mnt_new_iter) new_iter = nullptr;
  decltype(&::mnt_free_iter) free_iter = nullptr;
  decltype(&::mnt_table_next_fs) table_next_fs = nullptr;
  decltype(&::mnt_fs_get_id) fs_get_id = nullptr;
  decltype(&::mnt_fs_get_target) fs_get_target = nullptr;
  decltype(&::mnt_fs_get_vfs_options) fs_get_vfs_options = nullptr;
  decltype(&::mnt_optstr_get_flags) optstr_get_flags = nullptr;
  decltype(&::mnt_get_builtin_optmap) get_builtin_optmap = nullptr;
};

// The functions, loaded once; throws Error(System) naming libmount.so.1 and
// the fix when the library or one of them is missing.
const LibmountApi& libmount();

}  // namespace cgspawn::ns
