// cgspawn spawn: start a server in D/users/[SLICE/]NAME. The options fill a
// SpawnRequest; launcher/spawn/request.cpp turns it into a plan (one pass:
// resolve, judge, plan, judge) and launcher/spawn/spawn.cpp carries it out.
#include "launcher/spawn/spawn.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>

#include "common/error.hpp"
#include "launcher/cli/subcommands.hpp"
#include "launcher/logging/logging.hpp"
#include "launcher/spawn/plan_json.hpp"
#include "launcher/spawn/request.hpp"
#include "launcher/spawn/stdin_records.hpp"
#include "launcher/trace/timings.hpp"
#include "namespaces/seccomp.hpp"
#include "namespaces/server_tls.hpp"

namespace cgspawn::cli {
namespace {

void add_target_options(CLI::App* sp, SpawnRequest& r) {
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
  sp->add_option("--owner", r.owner,
                 "Record who the unit belongs to (any text, 1-4096 bytes; shown by status as "
                 "'owner', root-written: trusted.cgspawn.owner on its cgroup)")
      ->type_name("TEXT");
}

void add_isolation_options(CLI::App* sp, SpawnRequest& r) {
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
  sp->add_option("--protect-proc", r.mounts.protect_proc,
                 "default (the host's /proc), or noaccess|invisible|ptraceable: a /proc of the "
                 "server's own with that hidepid= (systemd's ProtectProc=, kernel >= 5.8)")
      ->type_name("MODE")
      ->group(iso);
  sp->add_flag("--no-cgroup-namespace", r.no_cgroup_namespace,
               "Leave the server the host's /sys/fs/cgroup and cgroup namespace (by default it "
               "gets a cgroup namespace rooted at its unit, mounted read-only at /sys/fs/cgroup: "
               "its own memory.max, cpu.max, pids.max there)")
      ->group(iso);
  sp->add_option("--seccomp", r.seccomp,
                 "Syscall filter: default (deny " + ns::default_denied_summary() + ") or none")
      ->type_name("PROFILE")
      ->group(iso);
  sp->add_flag("--allow-root", r.allow_root, "Permit a user with uid 0")->group(iso);
  sp->add_flag("--allow-new-privileges", r.allow_new_privileges,
               "Do not set no_new_privs (sudo and setuid binaries work inside)")
      ->group(iso);
}

void add_dynamic_user_options(CLI::App* sp, SpawnRequest& r) {
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
}

void add_execution_options(CLI::App* sp, SpawnRequest& r) {
  auto* run = "Execution";
  sp->add_flag("--env-stdin", r.env_stdin,
               "Read the server's environment from stdin: NUL-separated KEY=VALUE records. "
               "Nothing else of cgspawn's environment is passed on")
      ->group(run);
  sp->add_flag("--internal-ssl", r.internal_ssl,
               "JupyterHub's internal_ssl: read the server's key, certificate and CA from stdin "
               "(@ssl-key=, @ssl-cert=, @ssl-ca= PEM records before the environment; needs "
               "--env-stdin) and install them, readable by the server's user only, at " +
                   std::string(ns::kServerTlsDir) +
                   "/{server.key,server.crt,ca.crt} in its "
                   "mount namespace")
      ->group(run);
  sp->add_flag("--setenv-defaults", r.setenv_defaults,
               "Set USER, LOGNAME, HOME, SHELL from passwd unless given")
      ->group(run);
  sp->add_option("--rlimit", r.rlimits,
                 "Resource limit NAME=SOFT[:HARD] (systemd's Limit* names without 'Limit': "
                 "NOFILE=16384, CORE=0, NPROC=512:1024; 'infinity'; repeatable)")
      ->type_name("NAME=VALUE")
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
  // parses (split_server_command); validate_request() refuses a missing one.
  sp->add_option("command", r.command, "The server command and its arguments, after --")
      ->type_name("CMD");
}

// --dry-run: the plan as JSON on stdout, nothing created, nothing logged to
// the journal. Exit 0 when a spawn would go ahead, else the status of the
// first host check it would fail (each also said on stderr).
int print_plan(const SpawnRequest& req, const std::string& env, const Access& access) {
  HostChecks checks(true);
  SpawnPlan plan = prepare_spawn(req, env, access, checks);
  std::cout << plan_json(plan, checks.failed()) << '\n';
  for (const auto& e : checks.failed()) spdlog::warn("a spawn would stop here: {}", e.what());
  return checks.failed().empty() ? 0 : exit_status(checks.failed().front().kind());
}

// What spawn prints: the pid, a JSON line (--json), or only the plan (--dry-run).
struct SpawnOutput {
  bool dry_run = false;
  bool json = false;
};

int run_spawn(SpawnRequest req, const SpawnOutput& out, Invocation& inv) {
  if (inv.server_command()) {
    if (!req.command.empty())
      throw_bad_request("parse command", "'" + req.command.front().substr(0, 80) +
                                             "' stands before --: the server command "
                                             "and all its arguments go after --");
    req.command = *inv.server_command();
  }
  const Access& access = inv.access();
  timing_mark("policy");
  if (!out.dry_run) setup_logging(req.unit, req.user);
  timing_mark("logging");
  std::string env =
      req.env_stdin ? read_spawn_stdin(STDIN_FILENO, req.internal_ssl) : std::string{};
  if (out.dry_run) return print_plan(req, env, access);
  SpawnPlan plan = prepare_spawn(req, env, access);
  timing_mark("plan");
  return spawn(std::move(plan), allowed_uids(access), out.json);
}

}  // namespace

Subcommand add_spawn(CLI::App& app) {
  auto r = std::make_shared<SpawnRequest>();
  auto out = std::make_shared<SpawnOutput>();
  auto* sub = app.add_subcommand("spawn",
                                 "Start a server in D/users/[SLICE/]NAME and exit once it "
                                 "has been exec'd; prints its pid");
  add_target_options(sub, *r);
  add_limit_options(sub, r->limits, "of the unit");
  add_isolation_options(sub, *r);
  add_dynamic_user_options(sub, *r);
  add_execution_options(sub, *r);
  sub->add_flag("--dry-run", out->dry_run,
                "Check and plan the request, print the plan as JSON (environment names only) and "
                "create nothing; exit 0 when a spawn would go ahead, else the status of the first "
                "host check it would fail (cgroup root, user account, controllers)");
  sub->add_flag("--json", out->json,
                "Print one JSON line {pid, path, cgroup_inode} instead of the pid: the unit's "
                "cgroup and its inode, which a caller can poll without another cgspawn run");
  return {sub, [r, out](Invocation& inv) { return run_spawn(*r, *out, inv); }};
}

}  // namespace cgspawn::cli
