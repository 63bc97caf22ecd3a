// Runs a test body in a forked child, so the test process itself never
// changes mount namespace, identity, no_new_privs or seccomp state. The child
// reports failed checks and notes through a pipe.
#pragma once

#include <cerrno>
#include <functional>
#include <map>
#include <string>

namespace cgspawn::ns::testing {

class ChildChecks {
 public:
  explicit ChildChecks(int fd) : fd_(fd) {}
  // Records a failure (does not stop the body).
  void expect(bool ok, const std::string& what);
  // Expects a libc-style call to have failed with ERR.
  void expect_errno(long rc, int err, const std::string& what);
  // Expects a libc-style call to have succeeded.
  void expect_ok(long rc, const std::string& what);
  // A value handed back to the parent.
  void note(const std::string& key, const std::string& value);
  [[nodiscard]] bool failed() const noexcept { return failed_; }

 private:
  void send(char tag, const std::string& text);
  int fd_;
  bool failed_ = false;
};

struct ChildOutcome {
  bool passed = false;
  std::string failures;  // one line per failed check, for the gtest message
  std::map<std::string, std::string> notes;
};

// Forks, runs BODY in the child (an exception counts as a failure; the child
// is killed after 60 s), waits and collects what the child reported.
ChildOutcome run_in_child(const std::function<void(ChildChecks&)>& body);

}  // namespace cgspawn::ns::testing
