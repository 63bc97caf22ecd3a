// Dynamic users on a state directory that is full or read-only (issue 19):
// the allocation fails with one clear line and records nothing, not even an
// empty record (an empty uid record strands that uid forever; an empty name
// record makes the mapping "damaged" for that name from then on). Once there
// is room again, the same name gets the range's first uid.
//
// Each case runs in a forked child with a private mount namespace holding a
// tiny tmpfs, so nothing is mounted on the host even if the test dies.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/error.hpp"
#include "launcher/dynamic_users/dynamic_users.hpp"
#include "tests/support/sandbox.hpp"

namespace {

using cgspawn::DynamicUsers;
using cgspawn::UidRange;

// Entries of DIR, or "-" when DIR does not exist.
std::string entries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return "-";
  std::string names;
  while (const dirent* e = ::readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
      names += std::string(names.empty() ? "" : " ") + e->d_name;
  ::closedir(d);
  return names;
}

// Fill the filesystem at DIR: write a file until ENOSPC.
void fill(const std::string& dir) {
  const int fd = ::open((dir + "/filler").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  static const std::string block(4096, 'x');
  while (fd >= 0 && ::write(fd, block.data(), block.size()) > 0) {
  }
  if (fd >= 0) ::close(fd);
}

// In a child with its own mount namespace and a 64 KiB tmpfs at MOUNTPOINT
// (OPTIONS added): BODY returns "" or what failed. Returns that text.
template <class Body>
std::string in_tiny_tmpfs(const std::string& mountpoint, const char* options, Body body) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return "pipe failed";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    std::string failure;
    if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr))
      failure = std::string("private mount namespace: ") + std::strerror(errno);
    else if (::mount("tmpfs", mountpoint.c_str(), "tmpfs", 0, "size=64k,mode=0755") != 0)
      failure = std::string("mount tmpfs: ") + std::strerror(errno);
    else
      failure = body(options);
    (void)!::write(pipefd[1], failure.data(), failure.size());
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::string text;
  char buf[512];
  for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) > 0;) text.append(buf, n);
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return "the child died: " + text;
  return text;
}

// allocate() must throw one line naming WANT; returns "" or what went wrong.
std::string expect_allocation_fails(const DynamicUsers& users, const std::string& want) {
  try {
    users.allocate("ann", UidRange{20000, 20009});
    return "allocate succeeded";
  } catch (const cgspawn::Error& e) {
    const std::string what = e.what();
    if (what.find(want) == std::string::npos) return "unexpected error: " + what;
    if (what.find('\n') != std::string::npos) return "not one line: " + what;
    return "";
  }
}

class DynamicUsersFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root (mount namespace, tmpfs)";
  }
  cgspawn::testing::TempDir dir_;
};

TEST_F(DynamicUsersFaults, AFullStateDirectoryRecordsNothingAndRecovers) {
  const std::string state = dir_.path();
  const std::string failure = in_tiny_tmpfs(state, "", [&](const char*) -> std::string {
    DynamicUsers users(state + "/st");
    users.allocate("first", UidRange{20000, 20009});  // the directories exist
    fill(state);
    if (auto f = expect_allocation_fails(users, "No space left on device"); !f.empty()) return f;
    const std::string by_uid = entries(state + "/st/dynamic-users/uid");
    const std::string by_name = entries(state + "/st/dynamic-users/name");
    if (by_uid != "20000" || by_name != "first")
      return "a failed allocation left records: uid/ [" + by_uid + "] name/ [" + by_name + "]";
    ::unlink((state + "/filler").c_str());
    const uid_t uid = users.allocate("ann", UidRange{20000, 20009});
    if (uid != 20001) return "after the disk had room: ann got " + std::to_string(uid);
    return "";
  });
  EXPECT_EQ(failure, "");
}

TEST_F(DynamicUsersFaults, AReadOnlyStateDirectoryRecordsNothing) {
  const std::string state = dir_.path();
  const std::string failure = in_tiny_tmpfs(state, "", [&](const char*) -> std::string {
    if (::mount(nullptr, state.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) != 0)
      return std::string("remount read-only: ") + std::strerror(errno);
    if (auto f = expect_allocation_fails(DynamicUsers(state + "/st"), "Read-only file system");
        !f.empty())
      return f;
    if (entries(state) != "") return "the read-only directory gained [" + entries(state) + "]";
    return "";
  });
  EXPECT_EQ(failure, "");
}

}  // namespace
