// cgspawn: start one JupyterHub single-user server in its own cgroup v2 leaf
// of the hub's delegated subtree, with limits and mount-namespace isolation,
// without systemd-run. This file only parses the command line.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "cgroup/root.hpp"
#include "common/error.hpp"
#include "launcher/cli/limit_options.hpp"
#include "launcher/diagnostics/check.hpp"
#include "launcher/diagnostics/limit_table.hpp"
#include "launcher/units/commands.hpp"
#include "launcher/policy/policy.hpp"
#include "launcher/spawn/spawn.hpp"
#include "launcher/trace/timings.hpp"

namespace {

using cgspawn::add_limit_options;

constexpr const char* kExitCodes =
    "\nExit status: 0 ok; 1 the system refused a step; 2 bad request (nothing was changed);\n"
    "3 `status`: the unit is not running (`slice show`: no such slice);\n"
    "4 refused by the admin's policy; 126 the command could not be executed;\n"
    "127 the command was not found. Errors are one line on stderr naming the step, the\n"
    "object and the errno; launcher records also go to journald (CGSPAWN_UNIT=NAME).";

// CLI::Range lets NaN through (every comparison with it is false), and NaN
// or inf seconds would become an undefined integer conversion.
const CLI::Validator kFinite(
    [](std::string& text) {
      return std::isfinite(std::strtod(text.c_str(), nullptr))
                 ? std::string{}
                 : "'" + text.substr(0, 40) + "' is not a finite number of seconds";
    },
    "");

void add_root_option(CLI::App* sub, std::string& root) {
  sub->add_option("--cgroup-root", root,
                  "Delegated cgroup directory D (default: the caller's own cgroup from "
                  "/proc/self/cgroup, with a trailing /hub removed)")
      ->type_name("DIR");
}

void add_spawn_options(CLI::App* sp, cgspawn::SpawnRequest& r) {
  add_root_option(sp, r.cgroup_root);
  sp->add_option("--unit", r.unit,
                 "Unit name: the cgroup D/users/[SLICE/]NAME and journal tag "
                 "([A-Za-z0-9_.@-], 1-200 chars)")
      ->type_name("NAME")
      ->required();
  sp->add_option("--user", r.user,
                 "Run the server as this user (looked up in passwd); with --dynamic-user, the "
                 "dynamic user's name")
      ->type_name("USER")
      ->required();
  sp->add_option("--slice", r.slice, "Group the unit under D/users/SLICE (created on first use)")
      ->type_name("SLICE");
  add_limit_options(sp, r.limits, "of the unit");
  auto* iso = "Isolation";
  sp->add_flag("--private-tmp", r.mounts.private_tmp,
               "Fresh /tmp and /var/tmp (tmpfs, 1777) for this unit")
      ->group(iso);
  sp->add_flag("--private-devices", r.mounts.private_devices,
               "Minimal /dev: null zero full random urandom tty, private pts, shm")
      ->group(iso);
  sp->add_option("--device", r.mounts.devices,
                 "Also expose this device node (repeatable; needs --private-devices)")
      ->type_name("PATH")
      ->group(iso);
  sp->add_option("--read-only", r.mounts.read_only,
                 "Make PATH and every mount below it read-only (repeatable)")
      ->type_name("PATH")
      ->group(iso);
  sp->add_option("--read-write", r.mounts.read_write,
                 "Keep PATH writable inside a --read-only path (repeatable)")
      ->type_name("PATH")
      ->group(iso);
  sp->add_option("--seccomp", r.seccomp,
                 "Syscall filter: default (deny kexec, modules, reboot, swap, keyrings, "
                 "bpf, perf, user namespaces, ...) or none")
      ->type_name("PROFILE")
      ->group(iso);
  sp->add_flag("--allow-root", r.allow_root, "Permit a user with uid 0")->group(iso);
  sp->add_flag("--allow-new-privileges", r.allow_new_privileges,
               "Do not set no_new_privs (sudo and setuid binaries work inside)")
      ->group(iso);
  auto* dyn = "Dynamic users";
  sp->add_flag("--dynamic-user", r.dynamic_user,
               "USER has no account: give it a uid/gid from the range, the same on every spawn "
               "and never another name's, a home STATE/home/USER (0700, HOME and workdir), and "
               "passwd/group entries inside its mount namespace only")
      ->group(dyn);
  sp->add_option("--dynamic-user-range", r.dynamic_user_range,
                 "uids (gid = uid) for new dynamic users (default 20000-29999: clear of "
                 "system users, of systemd's DynamicUser range 61184-65519 and nobody)")
      ->type_name("MIN-MAX")
      ->group(dyn);
  sp->add_option("--dynamic-user-state", r.dynamic_user_state,
                 "Where the uid mapping (dynamic-users/) and the homes (home/) live (default "
                 "/var/lib/cgspawn; only the default through sudo)")
      ->type_name("DIR")
      ->group(dyn);
  sp->add_option("--dynamic-user-shell", r.dynamic_user_shell,
                 "Login shell in the dynamic user's passwd entry (default /bin/bash)")
      ->type_name("PATH")
      ->group(dyn);
  auto* run = "Execution";
  sp->add_flag("--env-stdin", r.env_stdin,
               "Read the server's environment from stdin: NUL-separated KEY=VALUE records. "
               "Nothing else of cgspawn's environment is passed on")
      ->group(run);
  sp->add_flag("--setenv-defaults", r.setenv_defaults,
               "Set USER, LOGNAME, HOME, SHELL from passwd unless given")
      ->group(run);
  sp->add_option("--workdir", r.workdir, "Working directory (default: the user's home, else /)")
      ->type_name("DIR")
      ->group(run);
  sp->add_option("--log-target", r.log_target,
                 "auto|journal|stderr: server output to a journald stream tagged NAME "
                 "(auto: when journald runs) or the inherited stderr")
      ->type_name("TARGET")
      ->group(run);
  // Not required() here: after a "--" the command is cut off before CLI11
  // parses (split_server_command); make_spawn_plan() refuses a missing one.
  sp->add_option("command", r.command, "The server command and its arguments, after --")
      ->type_name("CMD");
}

// The server's command line is everything after the first "--" of `spawn`,
// whatever precedes it. CLI11 2.1 lets a repeatable option (--read-only,
// --read-write, --device, --property) take a following "--" as the end of
// its own values and then parses on, so `--read-only /usr -- awk
// --allow-new-privileges --seccomp none` made the server's arguments
// launcher flags. Cutting the line before CLI11 sees it settles that for
// every option. Returns the launcher's part; COMMAND gets the rest.
std::vector<const char*> split_server_command(int argc, char** argv, bool& has_separator,
                                              std::vector<std::string>& command) {
  std::vector<const char*> launcher(argv, argv + argc);
  has_separator = false;
  // The subcommand is the first word not starting with '-' (cgspawn has no
  // global option that takes a value).
  auto sub =
      std::find_if(launcher.begin() + 1, launcher.end(), [](const char* a) { return a[0] != '-'; });
  if (sub == launcher.end() || std::string_view(*sub) != "spawn") return launcher;
  auto sep =
      std::find_if(sub, launcher.end(), [](const char* a) { return std::string_view(a) == "--"; });
  if (sep == launcher.end()) return launcher;
  has_separator = true;
  command.assign(sep + 1, launcher.end());
  launcher.erase(sep, launcher.end());
  return launcher;
}

int dispatch(int argc, char** argv) {
  CLI::App app{
      "cgspawn: run a JupyterHub single-user server in a cgroup v2 leaf of the hub's "
      "delegated subtree D, with limits and mount-namespace isolation, without systemd-run.\n"
      "Layout: D/hub (the hub), D/users/[SLICE/]NAME (one per server)."};
  app.footer(kExitCodes);
  app.require_subcommand(1);

  std::string root;
  cgspawn::SpawnRequest req;
  std::string name;
  double timeout = 10;
  bool json = false;

  auto* init = app.add_subcommand("init",
                                  "Prepare D: move its processes into D/hub, enable "
                                  "cpu/memory/pids(/io) for D/users. Idempotent");
  add_root_option(init, root);

  auto* spawn = app.add_subcommand("spawn",
                                   "Start a server in D/users/[SLICE/]NAME and exit once it "
                                   "has been exec'd; prints its pid");
  add_spawn_options(spawn, req);

  auto* stop = app.add_subcommand("stop",
                                  "SIGTERM every process of the unit, wait, then "
                                  "cgroup.kill and remove the cgroup. Idempotent");
  add_root_option(stop, root);
  stop->add_option("name", name, "Unit name")->type_name("NAME")->required();
  stop->add_option("--timeout", timeout,
                   "Seconds to wait after SIGTERM before killing (default 10)")
      ->type_name("SECS")
      ->check(kFinite)
      ->check(CLI::Range(0.0, 3600.0));

  auto* status = app.add_subcommand("status",
                                    "Show a unit: state, pids, memory, OOM kills, cpu, "
                                    "tasks, limits. Exit 0 running, 3 not");
  add_root_option(status, root);
  status->add_option("name", name, "Unit name")->type_name("NAME")->required();
  status->add_flag("--json", json, "Machine-readable output");

  auto* list = app.add_subcommand(
      "list",
      "Every unit under D with its figures, grouped by slice (text: one header per "
      "slice with its configured limits; JSON: an array of units, each with its slice)");
  add_root_option(list, root);
  list->add_flag("--json", json, "Machine-readable output");

  auto* cleanup = app.add_subcommand("cleanup",
                                     "Remove the empty cgroup of a unit whose server "
                                     "exited on its own (reports its OOM kills)");
  add_root_option(cleanup, root);
  cleanup->add_option("name", name, "Unit name")->type_name("NAME")->required();

  auto* slice =
      app.add_subcommand("slice", "Slices D/users/SLICE: aggregate limits over their units");
  slice->require_subcommand(1);
  cgspawn::cg::LimitFlags slice_limits;
  auto* slice_set = slice->add_subcommand(
      "set",
      "Create SLICE if needed and write its limits; they are recorded, so the slice is kept "
      "(limits and all) while it has no units");
  add_root_option(slice_set, root);
  slice_set->add_option("name", name, "Slice name")->type_name("SLICE")->required();
  add_limit_options(slice_set, slice_limits, "of the slice");
  auto* slice_show = slice->add_subcommand(
      "show",
      "A slice's configured limits, units and figures; all slices without SLICE. "
      "Exit 3 when SLICE does not exist");
  add_root_option(slice_show, root);
  slice_show->add_option("name", name, "Slice name (default: every slice)")->type_name("SLICE");
  slice_show->add_flag("--json", json, "Machine-readable output");
  auto* slice_remove = slice->add_subcommand(
      "remove", "Remove an empty slice, configured limits and all (stop its units first)");
  add_root_option(slice_remove, root);
  slice_remove->add_option("name", name, "Slice name")->type_name("SLICE")->required();

  auto* check = app.add_subcommand(
      "check",
      "Live check: in a throwaway unit cgroup write and read back each limit, then in a "
      "child unshare a mount namespace, set no_new_privs, load seccomp; remove it all. "
      "Exit 0 all works, 1 something cannot work, 2 the check could not run");
  add_root_option(check, root);
  check->add_flag("--json", json, "Machine-readable output");

  auto* limits = app.add_subcommand(
      "limits", "The typed limit flags: file, controller, kind, bounds, policy ceiling");
  limits->add_flag("--json", json, "Machine-readable output (one object per limit)");

  cgspawn::TopOptions top_opt;
  auto* top = app.add_subcommand(
      "top",
      "Every unit's user, slice, memory, CPU % of its limit, tasks and OOM kills, redrawn "
      "in the terminal (keys c m t n o sort, q quits); --once prints one table");
  add_root_option(top, root);
  top->add_option("-d,--delay", top_opt.delay_seconds, "Seconds between samples (default 2)")
      ->type_name("SECS")
      ->check(kFinite)
      ->check(CLI::Range(0.1, 3600.0));
  top->add_option("--sort", top_opt.sort, "cpu, memory, tasks, name or oom (default cpu)")
      ->type_name("KEY");
  top->add_flag("--once", top_opt.once,
                "Print one table (two samples DELAY apart, for CPU %) without terminal control");

  bool has_separator = false;
  std::vector<std::string> server_command;
  std::vector<const char*> launcher_args =
      split_server_command(argc, argv, has_separator, server_command);
  try {
    app.parse(static_cast<int>(launcher_args.size()), launcher_args.data());
    if (has_separator) {
      if (!req.command.empty())
        cgspawn::throw_bad_request("parse command", "'" + req.command.front().substr(0, 80) +
                                                        "' stands before --: the server command "
                                                        "and all its arguments go after --");
      req.command = std::move(server_command);
    }
    cgspawn::timing_mark("cli");
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "cgspawn: error: %s (see cgspawn %s--help)\n", e.what(),
                 app.get_subcommands().empty()
                     ? ""
                     : (app.get_subcommands().front()->get_name() + " ").c_str());
    return 2;
  }
  if (limits->parsed()) return cgspawn::print_limit_table(json);  // facts only: no root, no policy

  // Through sudo the admin's policy is mandatory; run by root directly it
  // applies when the file exists.
  auto caller = cgspawn::delegated_caller();
  auto policy = cgspawn::load_policy(cgspawn::kPolicyPath);
  if (caller && !policy)
    throw cgspawn::Error(cgspawn::ErrorKind::Refused, "refused by policy (policy file)", {}, 0,
                         std::string("cgspawn runs on behalf of '") + caller->name + "' but " +
                             cgspawn::kPolicyPath + " does not exist: the admin must create it");
  if (policy) {
    if (caller && init->parsed())
      throw cgspawn::Error(
          cgspawn::ErrorKind::Refused, "refused by policy (init)", {}, 0,
          "init is for root (ExecStartPost= of the servers' unit), not for a caller "
          "through sudo");
    root = cgspawn::policy_root(*policy, spawn->parsed() ? req.cgroup_root : root);
    req.cgroup_root = root;
  }

  if (spawn->parsed()) {
    cgspawn::timing_mark("policy");
    cgspawn::setup_logging(req.unit, req.user);
    cgspawn::timing_mark("logging");
    std::string env = req.env_stdin ? cgspawn::read_env_stream(STDIN_FILENO) : std::string{};
    if (policy) cgspawn::enforce_request(*policy, caller.value_or(cgspawn::Caller{0, "root"}), req);
    auto plan = cgspawn::make_spawn_plan(req, env);
    if (policy) {
      cgspawn::enforce_plan(*policy, plan);
      cgspawn::drop_env(*policy, plan.env);
      cgspawn::bound_dynamic_user(*policy, plan);
    }
    cgspawn::timing_mark("plan");
    return cgspawn::spawn(std::move(plan));
  }
  if (check->parsed()) return cgspawn::run_check(root, json);
  cgspawn::setup_logging(name);
  cgspawn::cg::Layout layout(cgspawn::cg::resolve_root(root));
  if (slice_set->parsed()) {
    auto writes = cgspawn::plan_slice_limits(slice_limits);
    if (policy) cgspawn::enforce_slice_set(*policy, writes);
    return cgspawn::slice_set(layout, name, writes);
  }
  if (slice_show->parsed()) return cgspawn::slice_show(layout, name, json);
  if (slice_remove->parsed()) return cgspawn::slice_remove(layout, name);
  if (init->parsed()) return cgspawn::init_root(layout.root());
  if (stop->parsed())
    return cgspawn::stop_unit(layout, name,
                              std::chrono::milliseconds(std::llround(timeout * 1000)));
  if (status->parsed()) return cgspawn::unit_status(layout, name, json);
  if (list->parsed()) return cgspawn::list_units(layout, json);
  if (top->parsed()) return cgspawn::top_units(layout, top_opt);
  return cgspawn::cleanup_unit(layout, name);
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
    if (e.kind() == cgspawn::ErrorKind::Refused) {
      std::string request;
      for (int i = 0; i < argc; ++i) request += (i ? " " : "") + std::string(argv[i]);
      auto caller = cgspawn::delegated_caller();
      // step() is "refused by policy (RULE)": the field holds just RULE.
      std::string rule = e.step().substr(e.step().find('(') + 1);
      rule.pop_back();
      cgspawn::audit_refusal(caller ? caller->name : "root", rule, e.what(), request);
    }
    return cgspawn::exit_status(e.kind());
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}
