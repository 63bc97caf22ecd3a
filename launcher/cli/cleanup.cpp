// cgspawn cleanup NAME: remove the empty cgroup of an exited server.
#include "launcher/cli/subcommands.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn::cli {
namespace {

struct CleanupOptions {
  std::string root, name;
};

int run_cleanup(const CleanupOptions& o, Invocation& inv) {
  return cleanup_unit(open_layout(inv, o.root, o.name), o.name);
}

}  // namespace

Subcommand add_cleanup(CLI::App& app) {
  auto o = std::make_shared<CleanupOptions>();
  auto* sub = app.add_subcommand("cleanup",
                                 "Remove the empty cgroup of a unit whose server "
                                 "exited on its own (reports its OOM kills)");
  add_root_option(sub, o->root);
  sub->add_option("name", o->name, "Unit name")->type_name("NAME")->required();
  return {sub, [o](Invocation& inv) { return run_cleanup(*o, inv); }};
}

}  // namespace cgspawn::cli
