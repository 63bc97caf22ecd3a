// cgspawn: start one JupyterHub single-user server in its own cgroup v2 leaf
// of the hub's delegated subtree, with limits and mount-namespace isolation,
// without systemd-run. This file is the entry point: it builds the CLI from
// the subcommand table (launcher/cli/), parses the command line, runs the
// chosen subcommand and maps its errors to the documented exit statuses
// (and a policy refusal to an audit record).
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string_view>

#include "common/error.hpp"
#include "launcher/cli/subcommands.hpp"
#include "launcher/logging/logging.hpp"
#include "launcher/policy/policy.hpp"
#include "launcher/trace/timings.hpp"

namespace {

namespace cli = cgspawn::cli;

int dispatch(int argc, char** argv) {
  CLI::App app{
      "cgspawn: run a JupyterHub single-user server in a cgroup v2 leaf of the hub's "
      "delegated subtree D, with limits and mount-namespace isolation, without systemd-run.\n"
      "Layout: D/hub (the hub), D/users/[SLICE/]NAME (one per server)."};
  app.footer(cli::kExitCodes);
  app.set_version_flag("--version", "cgspawn " CGSPAWN_VERSION, "Print the version and exit");
  app.require_subcommand(1);
  std::vector<cli::Subcommand> table;
  // Only the subcommand argv[1] names (none for --version); all of them for
  // --help, a bad name or none.
  const std::string_view named = argc > 1 ? argv[1] : "";
  const bool known = named == "--version" ||
                     std::ranges::find(cli::kSubcommandNames, named) != cli::kSubcommandNames.end();
  for (size_t i = 0; i < cli::kSubcommands.size(); ++i)
    if (!known || named == cli::kSubcommandNames[i]) table.push_back(cli::kSubcommands[i](app));

  bool has_separator = false;
  std::vector<std::string> server_command;
  std::vector<const char*> launcher_args =
      cli::split_server_command(argc, argv, has_separator, server_command);
  try {
    app.parse(static_cast<int>(launcher_args.size()), launcher_args.data());
    cgspawn::timing_mark("cli");
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "cgspawn: error: %s (see cgspawn %s--help)\n", e.what(),
                 app.get_subcommands().empty()
                     ? ""
                     : (app.get_subcommands().front()->get_name() + " ").c_str());
    return 2;
  }
  cli::Invocation inv(has_separator ? std::optional(std::move(server_command)) : std::nullopt);
  for (auto& sub : table)
    if (sub.app->parsed()) return sub.run(inv);
  return 2;  // unreachable: require_subcommand(1)
}

void audit(const cgspawn::Error& e, int argc, char** argv) {
  std::string request;
  for (int i = 0; i < argc; ++i) request += (i ? " " : "") + std::string(argv[i]);
  auto caller = cgspawn::delegated_caller();
  cgspawn::audit_refusal(caller ? caller->name : "root", e.rule(), e.what(), request);
}

}  // namespace

int main(int argc, char** argv) {
  cgspawn::timings_init();
  cgspawn::timing_mark("main");
  try {
    cgspawn::setup_logging();  // until the request names a unit
    return dispatch(argc, argv);
  } catch (const cgspawn::Error& e) {
    spdlog::error("{}", e.what());
    if (e.kind() == cgspawn::ErrorKind::Refused) audit(e, argc, argv);
    return cgspawn::exit_status(e.kind());
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}
