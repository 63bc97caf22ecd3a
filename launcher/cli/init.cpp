// cgspawn init: prepare D (units/init.cpp).
#include "common/error.hpp"
#include "launcher/cli/subcommands.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn::cli {
namespace {

struct InitOptions {
  std::string root;
};

int run_init(const InitOptions& o, Invocation& inv) {
  if (inv.access().policy && inv.access().caller)
    throw_refused("init",
                  "init is for root (ExecStartPost= of the servers' unit), not for a caller "
                  "through sudo");
  return init_root(open_layout(inv, o.root, {}).root());
}

}  // namespace

Subcommand add_init(CLI::App& app) {
  auto o = std::make_shared<InitOptions>();
  auto* sub = app.add_subcommand("init",
                                 "Prepare D: move its processes into D/hub, enable "
                                 "cpu/memory/pids(/io) for D/users. Idempotent");
  add_root_option(sub, o->root);
  return {sub, [o](Invocation& inv) { return run_init(*o, inv); }};
}

}  // namespace cgspawn::cli
