#include "cgroup/cgroup_dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <thread>

#include "cgroup/limits.hpp"
#include "cgroup/values.hpp"
#include "common/error.hpp"
#include "common/files.hpp"

namespace cgspawn::cg {

using namespace std::chrono_literals;

CgroupDir CgroupDir::open(std::string path) {
  UniqueFd fd = open_dir(path);
  return {std::move(path), std::move(fd)};
}

CgroupDir CgroupDir::create(const CgroupDir& parent, std::string_view name) {
  std::string n(name);
  std::string path = parent.path() + "/" + n;
  if (::mkdirat(parent.fd(), n.c_str(), 0755) != 0) throw_system("create cgroup", path, errno);
  return open(std::move(path));
}

std::string CgroupDir::read(std::string_view file) const {
  return read_file_at(fd(), std::string(file), path_);
}

void CgroupDir::write(std::string_view file, std::string_view value) const {
  write_file_at(fd(), std::string(file), value, path_);
}

bool CgroupDir::has(std::string_view file) const {
  return ::faccessat(fd(), std::string(file).c_str(), F_OK, 0) == 0;
}

std::vector<pid_t> CgroupDir::procs() const {
  std::vector<pid_t> pids;
  std::string text = read("cgroup.procs");  // one pid a line
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    pid_t pid = 0;
    auto [next, ec] = std::from_chars(p, end, pid);
    if (ec == std::errc()) pids.push_back(pid);
    p = std::find(next, end, '\n');
    if (p < end) ++p;
  }
  return pids;
}

bool CgroupDir::populated() const {
  auto events = parse_keyed(read("cgroup.events"));
  auto it = events.find("populated");
  return it != events.end() && it->second != 0;
}

std::set<std::string> CgroupDir::controllers() const {
  return parse_controller_list(read("cgroup.controllers"));
}

std::set<std::string> CgroupDir::subtree_control() const {
  return parse_controller_list(read("cgroup.subtree_control"));
}

void CgroupDir::enable_controllers(const std::set<std::string>& wanted) const {
  if (wanted.empty()) return;
  std::string all;
  for (const auto& c : wanted) all += (all.empty() ? "+" : " +") + c;
  try {
    write("cgroup.subtree_control", all);
  } catch (const Error&) {
    for (const auto& c : wanted) {
      try {
        write("cgroup.subtree_control", "+" + c);
      } catch (const Error& e) {
        throw_system("enable controller " + c, path_ + "/cgroup.subtree_control", e.err(),
                     e.err() == EBUSY ? "the cgroup has processes of its own: run cgspawn init"
                                      : "is it delegated to us?");
      }
    }
  }
}

void CgroupDir::move(pid_t pid) const {
  write("cgroup.procs", std::to_string(pid));
}

std::vector<std::string> CgroupDir::child_names() const {
  std::vector<std::string> names;
  UniqueFd dup(::openat(fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dup) throw_system("list cgroup", path_, errno);
  DIR* d = ::fdopendir(dup.get());
  if (d == nullptr) throw_system("list cgroup", path_, errno);
  dup.release();
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (e->d_type == DT_DIR && n != "." && n != "..") names.emplace_back(n);
  }
  ::closedir(d);
  return names;
}

bool CgroupDir::wait_unpopulated(std::chrono::milliseconds timeout) const {
  UniqueFd ino(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!ino) throw_system("inotify", path_, errno);
  std::string events = path_ + "/cgroup.events";
  if (::inotify_add_watch(ino.get(), events.c_str(), IN_MODIFY) < 0)
    throw_system("watch", events, errno);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (!populated()) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) return false;
    pollfd p{ino.get(), POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno != EINTR) throw_system("poll", events, errno);
    char buf[4096];
    while (::read(ino.get(), buf, sizeof buf) > 0) {
    }
  }
}

void CgroupDir::signal_all(int sig) const {
  for (pid_t pid : procs())
    if (::kill(pid, sig) != 0 && errno != ESRCH) throw_system("signal", path_, errno);
}

void CgroupDir::kill_all() const {
  if (has("cgroup.kill")) {
    write("cgroup.kill", "1");
    return;
  }
  // Older kernels: repeat, because a fork may race with the previous pass.
  for (int pass = 0; pass < 100 && !procs().empty(); ++pass) {
    signal_all(SIGKILL);
    std::this_thread::sleep_for(10ms);
  }
}

void CgroupDir::remove() const {
  for (int attempt = 0;; ++attempt) {
    if (::rmdir(path_.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY || attempt >= 50) throw_system("remove cgroup", path_, errno);
    std::this_thread::sleep_for(20ms);
  }
}

RemoveOnFailure::~RemoveOnFailure() {
  if (dir_ == nullptr) return;
  try {
    if (!dir_->procs().empty()) {
      dir_->kill_all();
      (void)dir_->wait_unpopulated(2s);
    }
    dir_->remove();
  } catch (const Error&) {
    // Best effort in a destructor; the original error is what the user needs.
  }
}

}  // namespace cgspawn::cg
