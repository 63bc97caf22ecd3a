// cgspawn list: every unit with its figures, by slice (units/report.cpp).
#include "launcher/cli/subcommands.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn::cli {
namespace {

struct ListOptions {
  std::string root;
  bool json = false;
};

int run_list(const ListOptions& o, Invocation& inv) {
  return list_units(open_layout(inv, o.root, {}), o.json);
}

}  // namespace

Subcommand add_list(CLI::App& app) {
  auto o = std::make_shared<ListOptions>();
  auto* sub = app.add_subcommand(
      "list",
      "Every unit under D with its figures, grouped by slice (text: one header per "
      "slice with its configured limits; JSON: an array of units, each with its slice)");
  add_root_option(sub, o->root);
  sub->add_flag("--json", o->json, "Machine-readable output");
  return {sub, [o](Invocation& inv) { return run_list(*o, inv); }};
}

}  // namespace cgspawn::cli
