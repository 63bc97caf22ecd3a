// cgspawn slice set|show|remove SLICE: aggregate limits over a slice's units
// (units/slice.cpp, units/report.cpp).
#include "launcher/cli/subcommands.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn::cli {
namespace {

struct SliceOptions {
  std::string root, name;
  cg::LimitFlags limits;  // set
  bool json = false;      // show
};

int run_slice_set(const SliceOptions& o, Invocation& inv) {
  cg::Layout layout = open_layout(inv, o.root, o.name);
  auto writes = plan_slice_limits(o.limits);
  if (inv.access().policy) enforce_slice_set(*inv.access().policy, writes);
  return slice_set(layout, o.name, writes);
}

}  // namespace

Subcommand add_slice(CLI::App& app) {
  auto o = std::make_shared<SliceOptions>();
  auto* slice =
      app.add_subcommand("slice", "Slices D/users/SLICE: aggregate limits over their units");
  slice->require_subcommand(1);
  auto* set = slice->add_subcommand(
      "set",
      "Create SLICE if needed and write its limits; they are recorded, so the slice is kept "
      "(limits and all) while it has no units");
  add_root_option(set, o->root);
  set->add_option("name", o->name, "Slice name")->type_name("SLICE")->required();
  add_limit_options(set, o->limits, "of the slice");
  auto* show = slice->add_subcommand(
      "show",
      "A slice's configured limits, units and figures; all slices without SLICE. "
      "Exit 3 when SLICE does not exist");
  add_root_option(show, o->root);
  show->add_option("name", o->name, "Slice name (default: every slice)")->type_name("SLICE");
  show->add_flag("--json", o->json, "Machine-readable output");
  auto* remove = slice->add_subcommand(
      "remove", "Remove an empty slice, configured limits and all (stop its units first)");
  add_root_option(remove, o->root);
  remove->add_option("name", o->name, "Slice name")->type_name("SLICE")->required();
  return {slice, [o, set, show](Invocation& inv) {
            if (set->parsed()) return run_slice_set(*o, inv);
            cg::Layout layout = open_layout(inv, o->root, o->name);
            return show->parsed() ? slice_show(layout, o->name, o->json)
                                  : slice_remove(layout, o->name);
          }};
}

}  // namespace cgspawn::cli
