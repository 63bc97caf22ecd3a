// cgspawn status NAME: one unit's state and figures (units/report.cpp).
#include "launcher/cli/subcommands.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn::cli {
namespace {

struct StatusOptions {
  std::string root, name;
  bool json = false;
};

int run_status(const StatusOptions& o, Invocation& inv) {
  return unit_status(open_layout(inv, o.root, o.name), o.name, o.json);
}

}  // namespace

Subcommand add_status(CLI::App& app) {
  auto o = std::make_shared<StatusOptions>();
  auto* sub = app.add_subcommand("status",
                                 "Show a unit: state, pids, memory, OOM kills, cpu, "
                                 "tasks, limits. Exit 0 running, 3 not");
  add_root_option(sub, o->root);
  sub->add_option("name", o->name, "Unit name")->type_name("NAME")->required();
  sub->add_flag("--json", o->json, "Machine-readable output");
  return {sub, [o](Invocation& inv) { return run_status(*o, inv); }};
}

}  // namespace cgspawn::cli
