// cgspawn limits: the limit table as this binary holds it
// (diagnostics/limit_table.cpp). Facts only: no cgroup root, no policy.
#include "launcher/cli/subcommands.hpp"
#include "launcher/diagnostics/limit_table.hpp"

namespace cgspawn::cli {

Subcommand add_limits(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand(
      "limits", "The typed limit flags: file, controller, kind, bounds, policy ceiling");
  sub->add_flag("--json", *json, "Machine-readable output (one object per limit)");
  return {sub, [json](Invocation&) { return print_limit_table(*json); }};
}

}  // namespace cgspawn::cli
