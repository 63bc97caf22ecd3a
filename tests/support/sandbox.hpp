// Test fixtures that always clean up: a temporary directory, and a uniquely
// named subtree on the real cgroup2 mount (removed with everything in it,
// even when the test fails).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cgspawn::testing {

class TempDir {
 public:
  TempDir();                                  // under $TMPDIR or /tmp
  explicit TempDir(const std::string& base);  // under BASE (e.g. outside a private /tmp)
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  // Create FILE (and parent dirs) holding TEXT.
  void put(const std::string& file, std::string_view text) const;
  [[nodiscard]] std::string get(const std::string& file) const;

 private:
  std::string path_;
};

// The cgroup2 mount point, or "" (then tests skip).
std::string cgroup2_mount();

class CgroupSandbox {
 public:
  CgroupSandbox();   // mkdir MOUNT/cgspawn-test-PID-START-N (see owner.hpp)
  ~CgroupSandbox();  // kill every process below, rmdir bottom-up
  CgroupSandbox(const CgroupSandbox&) = delete;
  CgroupSandbox& operator=(const CgroupSandbox&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Remove a cgroup subtree: kill its processes, rmdir leaves first.
void remove_cgroup_tree(const std::string& path);

struct RunResult {
  int status = -1;  // exit status, or 128+signal
  std::string out, err;
};

// Run ARGV (no shell) with STDIN_DATA on its stdin, and wait.
RunResult run(const std::vector<std::string>& argv, std::string_view stdin_data = {});

// Poll PRED every 20 ms for up to SECONDS.
template <class Pred>
bool eventually(Pred pred, double seconds = 10);

bool is_root();

}  // namespace cgspawn::testing

#include <chrono>
#include <thread>

template <class Pred>
bool cgspawn::testing::eventually(Pred pred, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}
