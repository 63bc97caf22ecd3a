#include "launcher/spawn/contain.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>

#include "common/error.hpp"
#include "launcher/logging/journald.hpp"
#include "launcher/trace/timings.hpp"
#include "namespaces/identity.hpp"
#include "namespaces/mounts.hpp"
#include "namespaces/no_new_privs.hpp"
#include "namespaces/rlimits.hpp"
#include "namespaces/seccomp.hpp"

namespace cgspawn {
namespace {

// The hub (Python) ignores SIGPIPE and may block signals; ignored and
// blocked signals survive exec, so give the server a clean slate.
void reset_signals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) signal(sig, SIG_DFL);
}

// A session of its own, without a controlling terminal: the server can no
// longer open the caller's /dev/tty and type into it (TIOCSTI), and a
// Ctrl-C or hang-up on the hub's terminal no longer reaches it. A forked
// child is never a process-group leader, so setsid() cannot fail with EPERM.
void leave_callers_session() {
  if (::setsid() < 0) throw_system("start a new session", "setsid", errno);
}

// stdin from /dev/null (the environment was on it); stdout/stderr to a
// journald stream named after the unit, or left as inherited.
void connect_stdio(const SpawnPlan& plan) {
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || ::dup2(null, STDIN_FILENO) < 0) throw_system("connect stdin", "/dev/null", errno);
  ::close(null);
  if (!plan.journal_output) return;
  int stream = journald::open_stream(plan.unit, LOG_INFO, true);
  if (stream < 0)
    throw_system("connect output to journald", journald::kStreamSocket, -stream,
                 "start systemd-journald, or pass --log-target stderr");
  if (::dup2(stream, STDOUT_FILENO) < 0 || ::dup2(stream, STDERR_FILENO) < 0)
    throw_system("connect output to journald", "stdout/stderr", errno);
  ::close(stream);
}

void enter_workdir(const SpawnPlan& plan) {
  if (::chdir(plan.workdir.c_str()) == 0) return;
  int err = errno;
  // A user without a home directory still gets a server, started in /.
  if (plan.workdir_is_default && ::chdir("/") == 0) return;
  throw_system("enter working directory", plan.workdir, err,
               "create it or pass --workdir with a directory the user can enter");
}

std::string env_value(const EnvList& env, std::string_view key, std::string_view fallback) {
  for (const auto& [k, v] : env)
    if (k == key) return v;
  return std::string(fallback);
}

// execve with PATH taken from the *server's* environment (glibc's execvpe
// would search the launcher's own PATH).
[[noreturn]] void exec_target(const SpawnPlan& plan) {
  std::vector<std::string> envs = to_envp_strings(plan.env);
  std::vector<char*> envp, argv;
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = plan.argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string& cmd = plan.argv.front();
  int err = ENOENT;
  if (cmd.find('/') != std::string::npos) {
    ::execve(cmd.c_str(), argv.data(), envp.data());
    err = errno;
  } else {
    std::string path = env_value(plan.env, "PATH", "/usr/local/bin:/usr/bin:/bin");
    size_t start = 0;
    while (start <= path.size()) {
      size_t colon = path.find(':', start);
      if (colon == std::string::npos) colon = path.size();
      std::string dir = path.substr(start, colon - start);
      std::string candidate = (dir.empty() ? "." : dir) + "/" + cmd;
      ::execve(candidate.c_str(), argv.data(), envp.data());
      if (errno != ENOENT && errno != ENOTDIR) err = errno;  // remember "found but failed"
      start = colon + 1;
    }
  }
  throw Error(err == ENOENT ? ErrorKind::NotFound : ErrorKind::ExecFailed, "exec", cmd, err,
              err == ENOENT ? "install it or give its absolute path" : "");
}

void report_exec_next(int fd) {
  if (::write(fd, kExecNext, 1) != 1) throw_system("report to the launcher", "pipe", errno);
}

void report(int fd, int status, const std::string& message) {
  std::string rec = std::to_string(status) + "\n" + message;
  ssize_t ignored = ::write(fd, rec.data(), rec.size());
  (void)ignored;
}

}  // namespace

void contain_and_exec(const cg::CgroupDir& unit, const SpawnPlan& plan, bool in_cgroup,
                      int report_fd) {
  try {
    timing_mark("fork");
    reset_signals();
    leave_callers_session();
    if (!in_cgroup) unit.move(0);
    timing_mark("cgroup-move");  // in its cgroup now, either way (~0 after clone3)
    connect_stdio(plan);
    timing_mark("stdio");
    if (!plan.mounts.empty()) ns::enter_mount_namespace(plan.mounts);
    timing_mark("mounts");
    ns::apply_rlimits(plan.rlimits);  // as root: a hard limit may also go up
    if (plan.no_new_privs) {
      ns::become(plan.identity);
      timing_mark("identity");
      ns::set_no_new_privs();
      ns::load_seccomp(plan.seccomp);
      timing_mark("seccomp");
    } else {
      // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it
      // while still root (as systemd does), then drop.
      ns::load_seccomp(plan.seccomp);
      timing_mark("seccomp");
      ns::become(plan.identity);
      timing_mark("identity");
    }
    enter_workdir(plan);
    ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);  // nothing of ours leaks in
    timing_mark("exec");
    report_exec_next(report_fd);
    exec_target(plan);
  } catch (const Error& e) {
    report(report_fd, exit_status(e.kind()), e.what());
    _exit(exit_status(e.kind()));
  } catch (const std::exception& e) {
    report(report_fd, 1, e.what());
    _exit(1);
  }
}

}  // namespace cgspawn
