// One error type for the whole launcher: it carries what failed (the step),
// on which object (a path, a controller, a user), the errno, and which kind of
// failure it is, because the CLI maps kinds to documented exit statuses.
#pragma once

#include <stdexcept>
#include <string>

namespace cgspawn {

enum class ErrorKind {
  BadRequest,  // the request is invalid; nothing was touched   -> exit 2
  System,      // the system refused a step                      -> exit 1
  NotFound,    // the target command does not exist             -> exit 127
  ExecFailed,  // the target command exists but exec failed     -> exit 126
  Refused,     // the admin's policy forbids the request          -> exit 4
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string step, std::string object, int err,
        const std::string& detail = {});

  [[nodiscard]] ErrorKind kind() const noexcept { return kind_; }
  [[nodiscard]] const std::string& step() const noexcept { return step_; }
  [[nodiscard]] const std::string& object() const noexcept { return object_; }
  [[nodiscard]] int err() const noexcept { return err_; }
  // For Refused: the policy rule that refused ("users", "commands", ...),
  // which the audit record carries as its own field. Empty otherwise.
  [[nodiscard]] const std::string& rule() const noexcept { return rule_; }

  // The one way to build a refusal: step "refused by policy (RULE)", exit 4.
  static Error refusal(std::string rule, const std::string& detail);

 private:
  ErrorKind kind_;
  std::string step_;
  std::string object_;
  int err_;
  std::string rule_;
};

// A system call failed: "STEP: OBJECT: strerror(err)" (+ " (DETAIL)").
[[noreturn]] void throw_system(std::string step, std::string object, int err,
                               std::string detail = {});
// Invalid input: DETAIL names the problem and the fix.
[[noreturn]] void throw_bad_request(std::string step, std::string detail);

// The admin's policy forbids the request (Error::refusal).
[[noreturn]] void throw_refused(std::string rule, const std::string& detail);

// Exit status documented in `cgspawn --help` for each kind.
int exit_status(ErrorKind kind) noexcept;

}  // namespace cgspawn
