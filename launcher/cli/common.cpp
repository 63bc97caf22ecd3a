#include "launcher/cli/common.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include "cgroup/root.hpp"
#include "launcher/logging/logging.hpp"

namespace cgspawn::cli {

const char* const kExitCodes =
    "\nExit status: 0 ok; 1 the system refused a step; 2 bad request (nothing was changed);\n"
    "3 `status`: the unit is not running (`slice show`: no such slice);\n"
    "4 refused by the admin's policy; 126 the command could not be executed;\n"
    "127 the command was not found. Errors are one line on stderr naming the step, the\n"
    "object and the errno; launcher records also go to journald (CGSPAWN_UNIT=NAME).";

const CLI::Validator kFinite(
    [](std::string& text) {
      return std::isfinite(std::strtod(text.c_str(), nullptr))
                 ? std::string{}
                 : "'" + text.substr(0, 40) + "' is not a finite number of seconds";
    },
    "");

const Access& Invocation::access() {
  if (!access_) access_ = load_access();
  return *access_;
}

void add_root_option(CLI::App* sub, std::string& root) {
  sub->add_option("--cgroup-root", root,
                  "Delegated cgroup directory D (default: the caller's own cgroup from "
                  "/proc/self/cgroup, with a trailing /hub removed)")
      ->type_name("DIR");
}

std::string chosen_root(const Access& access, const std::string& root) {
  return access.policy ? policy_root(*access.policy, root) : root;
}

cg::Layout open_layout(Invocation& inv, const std::string& root, const std::string& name) {
  std::string chosen = chosen_root(inv.access(), root);
  setup_logging(name);
  return cg::Layout(cg::resolve_root(chosen));
}

std::vector<const char*> split_server_command(int argc, char** argv, bool& has_separator,
                                              std::vector<std::string>& command) {
  std::vector<const char*> launcher(argv, argv + argc);
  has_separator = false;
  // The subcommand is the first word not starting with '-' (cgspawn has no
  // global option that takes a value).
  auto sub =
      std::find_if(launcher.begin() + 1, launcher.end(), [](const char* a) { return a[0] != '-'; });
  if (sub == launcher.end() || std::string_view(*sub) != "spawn") return launcher;
  auto sep =
      std::find_if(sub, launcher.end(), [](const char* a) { return std::string_view(a) == "--"; });
  if (sep == launcher.end()) return launcher;
  has_separator = true;
  command.assign(sep + 1, launcher.end());
  launcher.erase(sep, launcher.end());
  return launcher;
}

}  // namespace cgspawn::cli
