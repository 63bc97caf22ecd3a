#include "tests/support/sandbox.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cgroup/root.hpp"
#include "common/files.hpp"
#include "tests/support/owner.hpp"

namespace fs = std::filesystem;

namespace cgspawn::testing {

TempDir::TempDir() : TempDir(fs::temp_directory_path().string()) {
}

TempDir::TempDir(const std::string& base) {
  std::string tmpl = (fs::path(base) / ("cgspawn-test-" + owner_tag() + "-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void TempDir::put(const std::string& file, std::string_view text) const {
  fs::path p = fs::path(path_) / file;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string TempDir::get(const std::string& file) const {
  std::ifstream in(fs::path(path_) / file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string cgroup2_mount() {
  return cg::find_cgroup2_mount(read_file("/proc/self/mountinfo"));
}

bool is_root() {
  return ::geteuid() == 0;
}

CgroupSandbox::CgroupSandbox() {
  static std::atomic<int> counter{0};
  path_ = cgroup2_mount() + "/cgspawn-test-" + owner_tag() + "-" + std::to_string(counter++);
  if (::mkdir(path_.c_str(), 0755) != 0)
    throw std::runtime_error("mkdir " + path_ + ": " + std::strerror(errno));
}

namespace {

// The lock files of the sandbox's D (cgroup/locks.hpp: named after the inode
// of D/users): a cgspawn killed while holding one leaves its file behind.
void remove_lock_files(const std::string& root) {
  struct stat st {};
  if (::stat((root + "/users").c_str(), &st) != 0) return;
  const std::string ino = std::to_string(st.st_ino);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/cgspawn", ec)) {
    const std::string name = e.path().filename().string();
    if (name == "users-" + ino + ".lock" || name.starts_with("unit-" + ino + "-"))
      fs::remove(e.path(), ec);
  }
}

}  // namespace

CgroupSandbox::~CgroupSandbox() {
  remove_lock_files(path_);
  remove_cgroup_tree(path_);
}

void remove_cgroup_tree(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return;
  // cgroup.kill (Linux 5.14+) kills the whole subtree at once, even
  // processes that fork while we look; the loop below is for older kernels.
  if (int fd = ::open((path + "/cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC); fd >= 0) {
    [[maybe_unused]] ssize_t n = ::write(fd, "1", 1);
    ::close(fd);
  }
  for (const auto& e : fs::directory_iterator(path, ec))
    if (e.is_directory()) remove_cgroup_tree(e.path().string());
  // Kill what is left here, then wait for the cgroup to empty.
  for (int i = 0; i < 250; ++i) {
    std::string procs;
    try {
      procs = read_file(path + "/cgroup.procs");
    } catch (...) {
      break;
    }
    if (procs.empty()) break;
    std::istringstream in(procs);
    for (pid_t pid; in >> pid;) ::kill(pid, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int i = 0; i < 100 && ::rmdir(path.c_str()) != 0 && errno == EBUSY; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

// Output goes to memfds, not pipes: a server started by cgspawn inherits
// them, and we must not wait for it to close them.
RunResult run(const std::vector<std::string>& argv, std::string_view stdin_data) {
  int out = ::memfd_create("out", MFD_CLOEXEC), err = ::memfd_create("err", MFD_CLOEXEC);
  int in[2];
  if (out < 0 || err < 0 || ::pipe2(in, O_CLOEXEC) != 0)
    throw std::runtime_error("memfd/pipe failed");
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    _exit(125);
  }
  ::close(in[0]);
  ::signal(SIGPIPE, SIG_IGN);
  size_t off = 0;
  while (off < stdin_data.size()) {
    ssize_t n = ::write(in[1], stdin_data.data() + off, stdin_data.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(in[1]);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  RunResult r;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  auto slurp = [](int fd) {
    std::string text;
    char buf[4096];
    ssize_t n;
    for (off_t pos = 0; (n = ::pread(fd, buf, sizeof buf, pos)) > 0; pos += n)
      text.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return text;
  };
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace cgspawn::testing
