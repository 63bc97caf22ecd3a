// One cgroup v2 directory, held open. Every failure names the directory and
// the interface file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/fd.hpp"

namespace cgspawn::cg {

class CgroupDir {
 public:
  static CgroupDir open(std::string path);
  // mkdir PARENT/NAME (mode 0755) and open it. EEXIST is thrown as
  // Error(System) with err() == EEXIST so callers can decide.
  static CgroupDir create(const CgroupDir& parent, std::string_view name);

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

  [[nodiscard]] std::string read(std::string_view file) const;
  void write(std::string_view file, std::string_view value) const;
  [[nodiscard]] bool has(std::string_view file) const;

  [[nodiscard]] std::vector<pid_t> procs() const;
  [[nodiscard]] bool populated() const;
  [[nodiscard]] std::set<std::string> controllers() const;      // available here
  [[nodiscard]] std::set<std::string> subtree_control() const;  // enabled for children
  // Enable WANTED for the children; one write for all, and on failure one per
  // controller so the error names the one the kernel refused.
  void enable_controllers(const std::set<std::string>& wanted) const;
  void move(pid_t pid) const;  // 0 = the caller
  [[nodiscard]] std::vector<std::string> child_names() const;

  // Wait (inotify on cgroup.events, no busy loop) until nothing runs here.
  // Returns false on timeout.
  [[nodiscard]] bool wait_unpopulated(std::chrono::milliseconds timeout) const;
  void signal_all(int sig) const;
  // cgroup.kill (Linux >= 5.14), else SIGKILL every member until none is left.
  void kill_all() const;
  // rmdir; retries briefly on EBUSY (exiting tasks still being unlinked).
  void remove() const;

 private:
  CgroupDir(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  std::string path_;
  UniqueFd fd_;
};

// Removes the unit's cgroup when a spawn fails half-way: nothing left behind.
class RemoveOnFailure {
 public:
  explicit RemoveOnFailure(const CgroupDir& dir) : dir_(&dir) {}
  RemoveOnFailure(const RemoveOnFailure&) = delete;
  RemoveOnFailure& operator=(const RemoveOnFailure&) = delete;
  ~RemoveOnFailure();
  void release() noexcept { dir_ = nullptr; }

 private:
  const CgroupDir* dir_;
};

}  // namespace cgspawn::cg
