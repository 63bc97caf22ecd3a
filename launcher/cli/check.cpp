// cgspawn check: the live check of what D can enforce (diagnostics/check.cpp).
#include "launcher/diagnostics/check.hpp"

#include "launcher/cli/subcommands.hpp"

namespace cgspawn::cli {
namespace {

struct CheckOptions {
  std::string root;
  bool json = false;
};

int run_check(const CheckOptions& o, Invocation& inv) {
  return cgspawn::run_check(chosen_root(inv.access(), o.root), o.json);
}

}  // namespace

Subcommand add_check(CLI::App& app) {
  auto o = std::make_shared<CheckOptions>();
  auto* sub = app.add_subcommand(
      "check",
      "Live check: in a throwaway unit cgroup write and read back each limit, then in a "
      "child unshare a mount namespace, set no_new_privs, load seccomp; remove it all. "
      "Exit 0 all works, 1 something cannot work, 2 the check could not run");
  add_root_option(sub, o->root);
  sub->add_flag("--json", o->json, "Machine-readable output");
  return {sub, [o](Invocation& inv) { return run_check(*o, inv); }};
}

}  // namespace cgspawn::cli
