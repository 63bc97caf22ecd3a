#include "namespaces/checked_path.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>

#include "common/error.hpp"

namespace cgspawn::ns {
namespace {

constexpr const char* kStep = "mount plan";

// glibc 2.36 has no openat2() wrapper.
int openat2_path(const std::string& path, uint64_t flags, uint64_t resolve) {
  struct open_how how {};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, AT_FDCWD, path.c_str(), &how, sizeof how));
}

FileId id_of(int fd, const std::string& path, const char* step) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_system(step, path, errno, "fstat");
  return {st.st_dev, st.st_ino};
}

}  // namespace

CheckedPath resolve_checked(const std::string& path, const std::string& flag) {
  UniqueFd fd(openat2_path(path, O_PATH | O_CLOEXEC, RESOLVE_NO_MAGICLINKS));
  if (!fd) {
    if (errno == ENOENT || errno == ENOTDIR)
      throw_bad_request(kStep, flag + " " + path + " does not exist: create it or drop the flag");
    if (errno == ELOOP)
      throw_bad_request(kStep, flag + " " + path +
                                   " goes through a /proc magic link or a symlink loop: pass "
                                   "the real path");
    throw_system(kStep, path, errno, "resolving " + flag);
  }
  // The kernel's name for the object opened, not a second resolution.
  const std::string link = "/proc/self/fd/" + std::to_string(fd.get());
  char buf[PATH_MAX];
  const ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buf || buf[0] != '/')
    throw_system(kStep, path, n < 0 ? errno : ENAMETOOLONG, "naming the resolved " + flag);
  return {std::string(buf, static_cast<size_t>(n)), id_of(fd.get(), path, kStep)};
}

UniqueFd reopen_checked(const std::string& path, const FileId& id) {
  constexpr const char* step = "read-write bind";
  UniqueFd fd(openat2_path(path, O_PATH | O_CLOEXEC | O_NOFOLLOW,
                           RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
  if (!fd)
    throw_system(step, path, errno,
                 errno == ELOOP ? "a symlink took its place after it was checked" : "reopening");
  if (!(id_of(fd.get(), path, step) == id))
    throw_system(step, path, ESTALE, "it is no longer the object that was checked");
  return fd;
}

}  // namespace cgspawn::ns
