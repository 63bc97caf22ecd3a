// Small whole-file helpers for pseudo-filesystems (cgroupfs, procfs): every
// failure throws an Error naming the file and the errno.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/fd.hpp"

namespace cgspawn {

// Read FD until EOF, or until more than LIMIT bytes have arrived (the caller
// then sees size() > limit and decides). DISPLAY names it in errors.
std::string read_fd(int fd, const std::string& display, size_t limit = SIZE_MAX);
// Read a whole file (pseudo-files report size 0, so read until EOF).
std::string read_file(const std::string& path);
// Read or write (a single write(2), as cgroupfs expects; no O_CREAT) a
// file relative to an open directory.
std::string read_file_at(int dirfd, const std::string& name, const std::string& display_dir);
void write_file_at(int dirfd, const std::string& name, std::string_view value,
                   const std::string& display_dir);
// Create DIRFD/NAME with MODE holding all of CONTENT, fsync'd, or nothing:
// it is written as an unnamed file (O_TMPFILE) and only then linked in, so a
// full or failing disk never leaves a half-written NAME. Never replaces an
// existing NAME or follows a symlink there (EEXIST, as O_EXCL). The content is
// never repeated in an error (it may be a whole /etc/passwd).
void create_file_at(int dirfd, const std::string& name, std::string_view content, mode_t mode,
                    const std::string& display_dir);
// Write all of DATA to FD, retrying short writes and EINTR. Returns 0 or the
// errno (EIO for a write that made no progress); never throws, so a child
// after fork and a noexcept sender can use it.
int write_all(int fd, std::string_view data) noexcept;
// Open a directory (O_DIRECTORY|O_CLOEXEC); throws on failure.
UniqueFd open_dir(const std::string& path);
// Strip leading and trailing spaces and tabs, and trailing newlines.
std::string_view trim(std::string_view s) noexcept;
// Whether PATH is a directory (following symlinks); false when it cannot be
// stat'ed at all.
bool is_dir(const std::string& path) noexcept;
// A mode's permission bits as an admin reads them, e.g. "0755".
std::string mode_string(mode_t mode);

}  // namespace cgspawn
