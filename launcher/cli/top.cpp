// cgspawn top: the units' figures, redrawn (top/).
#include "launcher/cli/subcommands.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn::cli {
namespace {

struct TopCliOptions {
  std::string root;
  TopOptions top;
};

int run_top(const TopCliOptions& o, Invocation& inv) {
  return top_units(open_layout(inv, o.root, {}), o.top);
}

}  // namespace

Subcommand add_top(CLI::App& app) {
  auto o = std::make_shared<TopCliOptions>();
  auto* sub = app.add_subcommand(
      "top",
      "Every unit's user, slice, memory, CPU % of its limit, tasks and OOM kills, redrawn "
      "in the terminal (keys c m t n o sort, q quits); --once prints one table");
  add_root_option(sub, o->root);
  sub->add_option("-d,--delay", o->top.delay_seconds, "Seconds between samples (default 2)")
      ->type_name("SECS")
      ->check(kFinite)
      ->check(CLI::Range(0.1, 3600.0));
  sub->add_option("--sort", o->top.sort, "cpu, memory, tasks, name or oom (default cpu)")
      ->type_name("KEY");
  sub->add_flag("--once", o->top.once,
                "Print one table (two samples DELAY apart, for CPU %) without terminal control");
  return {sub, [o](Invocation& inv) { return run_top(*o, inv); }};
}

}  // namespace cgspawn::cli
