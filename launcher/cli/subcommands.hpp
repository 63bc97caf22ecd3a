// The subcommand table: each add_* (one file each under launcher/cli/)
// defines its subcommand on APP and returns it with its run.
#pragma once

#include <array>

#include "launcher/cli/common.hpp"

namespace cgspawn::cli {

Subcommand add_init(CLI::App& app);
Subcommand add_spawn(CLI::App& app);
Subcommand add_stop(CLI::App& app);
Subcommand add_status(CLI::App& app);
Subcommand add_list(CLI::App& app);
Subcommand add_cleanup(CLI::App& app);
// `slice` groups set, show and remove; its run runs the one chosen.
Subcommand add_slice(CLI::App& app);
Subcommand add_check(CLI::App& app);
Subcommand add_top(CLI::App& app);
Subcommand add_metrics(CLI::App& app);
Subcommand add_limits(CLI::App& app);

// In the order `cgspawn --help` lists them.
inline constexpr std::array kSubcommands = {&add_init, &add_spawn,   &add_stop,  &add_status,
                                            &add_list, &add_cleanup, &add_slice, &add_check,
                                            &add_top,  &add_metrics, &add_limits};
// Their names, in the same order: main.cpp defines only the subcommand a
// command line names (building every one's options was a third of the
// start of a poll's `cgspawn status`, issue 17). CliTest checks the pairs.
inline constexpr std::array<const char*, kSubcommands.size()> kSubcommandNames = {
    "init", "spawn", "stop", "status", "list", "cleanup", "slice", "check", "top", "metrics",
    "limits"};

}  // namespace cgspawn::cli
