#include "cgroup/locks.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "cgroup/names.hpp"
#include "common/error.hpp"
#include "common/files.hpp"

namespace cgspawn::cg {
namespace {

constexpr const char* kStep = "lock";

// /run/cgspawn: ours alone. Nobody else may create, replace or even open
// files in it, so nobody else can take or hold a lock there.
UniqueFd open_lock_dir() {
  if (::mkdir(kLockDir, 0700) != 0 && errno != EEXIST)
    throw_system(kStep, kLockDir, errno, "creating the lock directory");
  UniqueFd dir(::open(kLockDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) throw_system(kStep, kLockDir, errno, "it must be a directory, not a symlink");
  struct stat st {};
  if (::fstat(dir.get(), &st) != 0) throw_system(kStep, kLockDir, errno, "stat");
  if (st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
    throw_system(kStep, kLockDir, EPERM,
                 "owned by uid " + std::to_string(st.st_uid) + " with group/other access: " +
                     "it must be root's alone (chown root, chmod 0700)");
  return dir;
}

// NAME opened (created 0600 if absent), checked to be our regular file.
UniqueFd open_lock_file(int dir, const std::string& name, const std::string& path) {
  UniqueFd fd(::openat(dir, name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) throw_system(kStep, path, errno, "opening the lock file");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_system(kStep, path, errno, "stat");
  if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 077) != 0)
    throw_system(kStep, path, EPERM, "not a 0600 file of ours: remove it");
  return fd;
}

// Whether FD is still the file at DIR/NAME: a holder removes the file before
// it lets go, so a waiter that then gets the lock on the old file must retry.
bool still_linked(int dir, const std::string& name, int fd) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::fstatat(dir, name.c_str(), &b, AT_SYMLINK_NOFOLLOW) == 0 &&
         a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

std::string holder_of(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string pid = n > 0 ? std::string(trim(std::string_view(buf, static_cast<size_t>(n)))) : "";
  return pid.empty() ? "another cgspawn" : "cgspawn pid " + pid;
}

// The inode of D/users: what tells two delegated roots' locks apart.
std::string users_inode(const Layout& layout) {
  struct stat st {};
  CgroupDir users = layout.open_users();
  if (::fstat(users.fd(), &st) != 0) throw_system(kStep, users.path(), errno, "stat");
  return std::to_string(st.st_ino);
}

}  // namespace

RootLock::RootLock(std::string file, std::string what, const char* step,
                   std::chrono::milliseconds wait)
    : path_(std::string(kLockDir) + "/" + file), name_(std::move(file)) {
  dir_ = open_lock_dir();
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    UniqueFd fd = open_lock_file(dir_.get(), name_, path_);
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) throw_system(step, path_, errno, "flock");
      if (std::chrono::steady_clock::now() >= deadline)
        throw_system(step, path_, EWOULDBLOCK,
                     "waited " + std::to_string(wait.count() / 1000) + " s for the lock of " +
                         what + ", held now by " + holder_of(fd.get()) +
                         ": retry once it is done, or end that process if it hangs");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!still_linked(dir_.get(), name_, fd.get())) continue;
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0)
      throw_system(step, path_, errno, "recording the holder");
    lock_ = std::move(fd);
    return;
  }
}

RootLock::~RootLock() {
  // Removed while still held, so no waiter ever holds a lock on a file that
  // a newcomer no longer sees (still_linked); then closing lets go.
  if (lock_) ::unlinkat(dir_.get(), name_.c_str(), 0);
}

UsersLock::UsersLock(const Layout& layout, std::chrono::milliseconds wait)
    : RootLock("users-" + users_inode(layout) + ".lock", layout.open_users().path(),
               "lock users cgroup", wait) {}

UnitLock::UnitLock(const Layout& layout, const std::string& unit, std::chrono::milliseconds wait)
    : RootLock((validate_name(unit, "unit"), "unit-" + users_inode(layout) + "-" + unit + ".lock"),
               "unit " + unit, "lock unit", wait) {}

}  // namespace cgspawn::cg
