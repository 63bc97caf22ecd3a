// What the subcommands of the CLI share: the subcommand table's entry type,
// the --cgroup-root option, the validators, the exit-code footer, and the
// cut of the server command before CLI11 parses. One file per subcommand
// (crun's src/*.c pattern) defines its options, their CLI11 definition and
// its run; main.cpp builds the app from the table (subcommands.hpp).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cgroup/layout.hpp"
#include "cgroup/limits.hpp"
#include "launcher/cli/limit_options.hpp"
#include "launcher/policy/policy.hpp"

namespace cgspawn::cli {

extern const char* const kExitCodes;

// CLI::Range lets NaN through (every comparison with it is false), and NaN
// or inf seconds would become an undefined integer conversion.
extern const CLI::Validator kFinite;

// What a subcommand's run gets besides its own options.
class Invocation {
 public:
  explicit Invocation(std::optional<std::vector<std::string>> server_command)
      : server_command_(std::move(server_command)) {}
  // `spawn`'s words after the first "--" (split_server_command); nullopt
  // when there was no "--".
  [[nodiscard]] const std::optional<std::vector<std::string>>& server_command() const {
    return server_command_;
  }
  // The caller and its policy (load_access), loaded on first use, so a run
  // can judge its own words first.
  const Access& access();

 private:
  std::optional<std::vector<std::string>> server_command_;
  std::optional<Access> access_;
};

// One entry of the subcommand table: its CLI11 definition and its run.
struct Subcommand {
  CLI::App* app;
  std::function<int(Invocation&)> run;
};

void add_root_option(CLI::App* sub, std::string& root);

// The cgroup root a subcommand acts in: --cgroup-root, or under a policy
// the policy's (policy_root refuses any other).
std::string chosen_root(const Access& access, const std::string& root);

// For the unit commands: the journal tag NAME, then D resolved.
cg::Layout open_layout(Invocation& inv, const std::string& root, const std::string& name);

// The server's command line is everything after the first "--" of `spawn`,
// whatever precedes it. CLI11 2.1 lets a repeatable option (--read-only,
// --read-write, --device, --property) take a following "--" as the end of
// its own values and then parses on, so `--read-only /usr -- awk
// --allow-new-privileges --seccomp none` made the server's arguments
// launcher flags. Cutting the line before CLI11 sees it settles that for
// every option. Returns the launcher's part; COMMAND gets the rest.
std::vector<const char*> split_server_command(int argc, char** argv, bool& has_separator,
                                              std::vector<std::string>& command);

}  // namespace cgspawn::cli
