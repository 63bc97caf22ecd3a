// --read-write paths are resolved once and mounted as checked (issue 13,
// finding 6). The policy (sudo mode) and the mount plan used to resolve a
// path separately, and the child mounted it by name a third time, so a
// symlink swapped in with renameat2(RENAME_EXCHANGE) between two of them
// made /etc writable. Now:
//  - the plan opens the path once (openat2, no /proc magic links) and takes
//    both its canonical name and its identity (st_dev, st_ino) from that
//    open: the policy judges that name;
//  - the child, in its new mount namespace (an fd of the host's namespace
//    cannot be mounted there), opens the canonical name again without
//    following any symlink (it has none, being canonical), refuses an object
//    that is not the one checked, and binds through that fd
//    (/proc/self/fd/N as source and target), so what is mounted is exactly
//    what was opened.
// A swap after planning makes the spawn fail; it never mounts anything else.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/fd.hpp"

namespace cgspawn::ns {

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
};

struct CheckedPath {
  std::string path;  // canonical, as the kernel names the opened object
  FileId id;
};

// Open PATH (absolute, normalised), following symlinks but no /proc magic
// links, and name what was opened. FLAG names the option in errors.
// Throws Error(BadRequest) when it does not exist or goes through a magic
// link, Error(System) otherwise.
CheckedPath resolve_checked(const std::string& path, const std::string& flag);

// Open the canonical PATH with no symlink anywhere in it, and check that it
// is still ID. Throws Error(System) naming PATH when it is not.
UniqueFd reopen_checked(const std::string& path, const FileId& id);

}  // namespace cgspawn::ns
