// cgspawn stop NAME: SIGTERM, wait, cgroup.kill, remove (units/stop.cpp).
#include <chrono>
#include <cmath>

#include "launcher/cli/subcommands.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn::cli {
namespace {

struct StopOptions {
  std::string root, name, owner;
  double timeout = 10;
};

int run_stop(const StopOptions& o, Invocation& inv) {
  return stop_unit(open_layout(inv, o.root, o.name), o.name,
                   std::chrono::milliseconds(std::llround(o.timeout * 1000)), o.owner);
}

}  // namespace

Subcommand add_stop(CLI::App& app) {
  auto o = std::make_shared<StopOptions>();
  auto* sub = app.add_subcommand("stop",
                                 "SIGTERM every process of the unit, wait, then "
                                 "cgroup.kill and remove the cgroup. Idempotent");
  add_root_option(sub, o->root);
  sub->add_option("name", o->name, "Unit name")->type_name("NAME")->required();
  sub->add_option("--timeout", o->timeout,
                  "Seconds to wait after SIGTERM before killing (default 10)")
      ->type_name("SECS")
      ->check(kFinite)
      ->check(CLI::Range(0.0, 3600.0));
  sub->add_option("--owner", o->owner,
                  "Stop the unit only if it records no owner or this one (spawn --owner); "
                  "another's is left running (exit 2)")
      ->type_name("TEXT");
  return {sub, [o](Invocation& inv) { return run_stop(*o, inv); }};
}

}  // namespace cgspawn::cli
