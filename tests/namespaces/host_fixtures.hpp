// RAII helpers that keep the host clean whatever a test does: temp
// directories and stray files are removed, and the host mount table is
// compared before and after.
#pragma once

#include <unistd.h>

#include <map>
#include <string>
#include <vector>

namespace cgspawn::ns::testing {

#define CGSPAWN_SKIP_UNLESS_ROOT()                                                       \
  do {                                                                                   \
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (mounts, setresuid); run as root"; \
  } while (0)

// open(PATH, O_CREAT) as a libc-style result (the fd, or -1 with errno
// set), the fd closed again: for expect_ok/expect_errno in a child.
long create_file(const std::string& path);

// mkdtemp under /tmp; removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  // Creates PATH()/NAME (a directory) and returns its path.
  std::string mkdir(const std::string& name) const;

 private:
  std::string path_;
};

// Removes PATH on destruction if a broken implementation left it there.
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::string path) : path_(std::move(path)) {}
  ~RemoveOnExit() { ::unlink(path_.c_str()); }
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;

 private:
  std::string path_;
};

// The test process's /proc/self/mountinfo, keyed by mount id.
struct MountSnapshot {
  MountSnapshot();
  std::map<std::string, std::string> lines;
  // Host mounts changed or removed since BEFORE, and new mounts at or below
  // any of WATCHED; empty when the host table is as it was.
  static std::vector<std::string> changes(const MountSnapshot& before, const MountSnapshot& after,
                                          const std::vector<std::string>& watched);
};

// Whole text of a (pseudo-)file; empty when unreadable.
std::string read_text(const std::string& path);

}  // namespace cgspawn::ns::testing
