#include "child_process.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <sstream>

namespace cgspawn::ns::testing {

void ChildChecks::send(char tag, const std::string& text) {
  std::string line = std::string(1, tag) + " " + text;
  for (char& c : line)
    if (c == '\n') c = ' ';
  line += '\n';
  // Pipe writes below PIPE_BUF are atomic; longer lines are cut, not lost.
  if (line.size() > 4000) line = line.substr(0, 3999) + "\n";
  [[maybe_unused]] ssize_t n = ::write(fd_, line.data(), line.size());
}

void ChildChecks::expect(bool ok, const std::string& what) {
  if (ok) return;
  failed_ = true;
  send('F', what);
}

void ChildChecks::expect_errno(long rc, int err, const std::string& what) {
  const int got = errno;
  if (rc == -1 && got == err) return;
  expect(false, what + ": expected errno " + std::strerror(err) + ", got rc=" + std::to_string(rc) +
                    (rc == -1 ? std::string(" ") + std::strerror(got) : ""));
}

void ChildChecks::expect_ok(long rc, const std::string& what) {
  const int got = errno;
  if (rc != -1) return;
  expect(false, what + ": " + std::strerror(got));
}

void ChildChecks::note(const std::string& key, const std::string& value) {
  send('N', key + "=" + value);
}

ChildOutcome run_in_child(const std::function<void(ChildChecks&)>& body) {
  ChildOutcome out;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    out.failures = std::string("pipe2: ") + std::strerror(errno);
    return out;
  }
  std::fflush(nullptr);  // or buffered gtest output is printed twice
  const pid_t pid = ::fork();
  if (pid < 0) {
    out.failures = std::string("fork: ") + std::strerror(errno);
    ::close(fds[0]);
    ::close(fds[1]);
    return out;
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(60);
    ChildChecks checks(fds[1]);
    try {
      body(checks);
    } catch (const std::exception& e) {
      checks.expect(false, std::string("exception: ") + e.what());
    } catch (...) {
      checks.expect(false, "unknown exception");
    }
    ::_exit(checks.failed() ? 1 : 0);  // never return into gtest
  }
  ::close(fds[1]);
  std::string data;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }

  std::istringstream lines(data);
  std::string line;
  bool any_failure = false;
  while (std::getline(lines, line)) {
    if (line.rfind("F ", 0) == 0) {
      any_failure = true;
      out.failures += line.substr(2) + "\n";
    } else if (line.rfind("N ", 0) == 0) {
      const auto eq = line.find('=');
      out.notes[line.substr(2, eq - 2)] = eq == std::string::npos ? "" : line.substr(eq + 1);
    }
  }
  if (WIFSIGNALED(status))
    out.failures += "child killed by signal " + std::to_string(WTERMSIG(status)) + "\n";
  else if (WEXITSTATUS(status) != 0 && !any_failure)
    out.failures += "child exited " + std::to_string(WEXITSTATUS(status)) + "\n";
  out.passed = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !any_failure;
  return out;
}

}  // namespace cgspawn::ns::testing
