// cgspawn metrics: every unit's figures for Prometheus (units/metrics.cpp).
#include "launcher/cli/subcommands.hpp"
#include "launcher/units/commands.hpp"

namespace cgspawn::cli {
namespace {

struct MetricsOptions {
  std::string root;
};

int run_metrics(const MetricsOptions& o, Invocation& inv) {
  return print_metrics(open_layout(inv, o.root, {}));
}

}  // namespace

Subcommand add_metrics(CLI::App& app) {
  auto o = std::make_shared<MetricsOptions>();
  auto* sub = app.add_subcommand(
      "metrics",
      "Every unit's memory, OOM kills, CPU and tasks in the Prometheus text format, labelled "
      "unit, user and slice (for node_exporter's textfile collector)");
  add_root_option(sub, o->root);
  return {sub, [o](Invocation& inv) { return run_metrics(*o, inv); }};
}

}  // namespace cgspawn::cli
