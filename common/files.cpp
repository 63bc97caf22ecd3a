#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/error.hpp"

namespace cgspawn {
namespace {

void write_once(int fd, std::string_view value, const std::string& display) {
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw_system("write", display, errno, "value '" + std::string(value) + "'");
  if (static_cast<size_t>(n) != value.size()) throw_system("write", display, EIO, "short write");
}

std::string joined(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

}  // namespace

std::string read_fd(int fd, const std::string& display, size_t limit) {
  std::string out;
  char buf[65536];
  while (out.size() <= limit) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_system("read", display, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_system("open", path, errno);
  return read_fd(fd.get(), path);
}

std::string read_file_at(int dirfd, const std::string& name, const std::string& display_dir) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_system("open", joined(display_dir, name), errno);
  return read_fd(fd.get(), joined(display_dir, name));
}

void write_file_at(int dirfd, const std::string& name, std::string_view value,
                   const std::string& display_dir) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_system("open", joined(display_dir, name), errno);
  write_once(fd.get(), value, joined(display_dir, name));
}

int write_all(int fd, std::string_view data) noexcept {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

namespace {

void write_all_and_sync(int fd, std::string_view content, const std::string& shown) {
  if (int err = write_all(fd, content)) throw_system("write", shown, err);
  if (::fsync(fd) != 0) throw_system("fsync", shown, errno);
}

}  // namespace

void create_file_at(int dirfd, const std::string& name, std::string_view content, mode_t mode,
                    const std::string& display_dir) {
  const std::string shown = joined(display_dir, name);
  UniqueFd tmp(::openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode));
  if (tmp) {
    // fchmod: O_TMPFILE's mode is filtered by the umask like any create.
    if (::fchmod(tmp.get(), mode) != 0) throw_system("create", shown, errno);
    write_all_and_sync(tmp.get(), content, shown);
    // Linking through /proc needs no CAP_DAC_READ_SEARCH (AT_EMPTY_PATH would).
    const std::string self = "/proc/self/fd/" + std::to_string(tmp.get());
    if (::linkat(AT_FDCWD, self.c_str(), dirfd, name.c_str(), AT_SYMLINK_FOLLOW) != 0)
      throw_system("create", shown, errno);
    return;
  }
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
    throw_system("create", shown, errno);
  // A filesystem without O_TMPFILE: create, and remove again on failure.
  UniqueFd fd(
      ::openat(dirfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) throw_system("create", shown, errno);
  try {
    write_all_and_sync(fd.get(), content, shown);
  } catch (...) {
    ::unlinkat(dirfd, name.c_str(), 0);
    throw;
  }
}

UniqueFd open_dir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_system("open directory", path, errno);
  return fd;
}

bool is_dir(const std::string& path) noexcept {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string mode_string(mode_t mode) {
  char m[8];
  std::snprintf(m, sizeof m, "%04o", static_cast<unsigned>(mode & 07777));
  return m;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

}  // namespace cgspawn
