#include "launcher/spawn/spawn_plan.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/names.hpp"
#include "cgroup/owner.hpp"
#include "cgroup/root.hpp"
#include "common/error.hpp"
#include "common/nss.hpp"
#include "launcher/spawn/stdin_records.hpp"
#include "namespaces/nss_entries.hpp"
#include "namespaces/paths.hpp"

namespace cgspawn {
namespace {

// What holds NAME in the user or group database, if anything. A source that
// cannot answer throws: the name may be an account's (issue 13).
std::optional<std::string> account_named(const std::string& name) {
  if (auto pw = passwd_by_name(name))
    return "an existing user (uid " + std::to_string(pw->uid) + ")";
  if (auto gr = group_by_name(name))
    return "an existing group (gid " + std::to_string(gr->gid) + ")";
  return std::nullopt;
}

// lexically_normal (namespaces/paths.hpp), and never / itself.
std::string normalised_state_dir(const std::string& dir) {
  auto normal = ns::lexically_normal(dir);
  if (!normal || *normal == "/")
    throw_bad_request("parse --dynamic-user-state",
                      "--dynamic-user-state '" + dir.substr(0, 80) +
                          "' must be an absolute directory path without '..', other than /");
  return *normal;
}

// Everything about the dynamic user that does not need its uid: the name is
// free, the range valid, the passwd fields clean, the shell runnable. The uid
// is allocated (a lasting change) only by spawn().
void plan_dynamic_user(const SpawnRequest& req, UidRange range, SpawnPlan& plan) {
  validate_dynamic_user_name(req.user);
  if (auto holder = account_named(req.user))
    throw_bad_request("check dynamic user name",
                      "'" + req.user + "' is " + *holder +
                          ": a dynamic user needs a name of its own (drop --dynamic-user to "
                          "run as that account)");
  DynamicUserPlan dyn;
  dyn.state_dir = normalised_state_dir(req.dynamic_user_state);
  dyn.range = range;
  const std::string& shell = req.dynamic_user_shell;
  if (shell.empty() || shell.front() != '/' || ::access(shell.c_str(), X_OK) != 0)
    throw_bad_request("check --dynamic-user-shell", "--dynamic-user-shell '" + shell.substr(0, 80) +
                                                        "' is not an executable absolute path");
  plan.identity = ns::Identity{req.user,
                               static_cast<uid_t>(-1),
                               static_cast<gid_t>(-1),
                               DynamicUsers(dyn.state_dir).home_of(req.user),
                               shell,
                               false};
  (void)ns::passwd_line(plan.identity, kDynamicUserGecos);  // refuses ':' in the home or shell
  plan.dynamic_user = dyn;
}

}  // namespace

// Limits need their controller enabled for the unit's parent, and --property
// files must be ones this kernel offers: D/users (or the slice) carries the
// same interface files as its children will.
void check_limits_enforceable(const SpawnPlan& plan) {
  cg::CgroupDir users = plan.layout.open_users();
  if (!plan.slice.empty() && plan.layout.is_slice(plan.slice))
    cg::check_enforceable(plan.limits, cg::CgroupDir::open(users.path() + "/" + plan.slice), users);
  else
    cg::check_enforceable(plan.limits, users, users);
}

void validate_request(const SpawnRequest& req) {
  cg::validate_name(req.unit, "unit");
  if (!req.slice.empty()) cg::validate_name(req.slice, "slice");
  if (!req.owner.empty()) cg::validate_owner(req.owner);
  if (req.command.empty())
    throw_bad_request("parse command",
                      "no command given: put it after --, e.g. -- jupyterhub-singleuser");
  if (!req.workdir.empty() && req.workdir.front() != '/')
    throw_bad_request("parse --workdir",
                      "--workdir '" + req.workdir + "' must be an absolute path");
  if (!req.dynamic_user &&
      (!req.dynamic_user_range.empty() || req.dynamic_user_state != kDynamicUserState ||
       req.dynamic_user_shell != kDynamicUserShell))
    throw_bad_request("parse --dynamic-user-*",
                      "--dynamic-user-range, --dynamic-user-state and --dynamic-user-shell "
                      "need --dynamic-user");
  if (req.internal_ssl && !req.env_stdin)
    throw_bad_request("parse --internal-ssl",
                      "--internal-ssl reads the certificates from stdin: add --env-stdin");
}

SpawnPlan make_spawn_plan(const SpawnRequest& req, const ResolvedRequest& resolved,
                          std::string_view env_data) {
  SpawnPlan plan;
  plan.layout = cg::Layout(resolved.root);
  plan.unit = req.unit;
  plan.slice = req.slice;
  plan.owner = req.owner;
  plan.limits = resolved.limits;
  plan.rlimits = resolved.rlimits;
  plan.seccomp = ns::parse_seccomp_profile(req.seccomp);
  plan.no_new_privs = !req.allow_new_privileges;
  plan.journal_output = use_journal(parse_log_target(req.log_target));

  ns::MountRequest mounts = req.mounts;
  mounts.server_tls = req.internal_ssl;
  mounts.cgroup_namespace = !req.no_cgroup_namespace;
  if (req.dynamic_user) {
    plan_dynamic_user(req, resolved.dynamic_user_range.value_or(UidRange{}), plan);
    // Its namespace shows it in passwd/group, and its home stays writable.
    mounts.amended_files.insert(mounts.amended_files.end(), {"/etc/passwd", "/etc/group"});
    mounts.state_dirs.push_back(plan.identity.home);
  } else if (!resolved.account) {  // a dry run's unknown user: the name alone
    plan.identity =
        ns::Identity{req.user, static_cast<uid_t>(-1), static_cast<gid_t>(-1), "", "", false};
  } else {
    plan.identity = *resolved.account;
    if (plan.identity.uid == 0 && !req.allow_root)
      throw_bad_request("check user",
                        "refusing to run the server as root (user '" + req.user +
                            "' has uid 0): pick an unprivileged user or pass --allow-root");
  }

  plan.mounts = ns::make_mount_plan(mounts);

  if (req.env_stdin) {
    SpawnStdin in = split_spawn_stdin(env_data, req.internal_ssl);
    plan.env = parse_env_records(in.env);
    plan.mounts.server_tls = std::move(in.tls);
    // A dynamic user's ids are filled in by spawn(), once allocated.
    if (plan.mounts.server_tls && !plan.dynamic_user) {
      plan.mounts.server_tls->uid = plan.identity.uid;
      plan.mounts.server_tls->gid = plan.identity.gid;
    }
  }
  if (req.setenv_defaults) {
    set_default(plan.env, "USER", plan.identity.name);
    set_default(plan.env, "LOGNAME", plan.identity.name);
    set_default(plan.env, "HOME", plan.identity.home);
    set_default(plan.env, "SHELL", plan.identity.shell);
  }
  plan.argv = req.command;
  plan.workdir_is_default = req.workdir.empty();
  plan.workdir = plan.workdir_is_default ? plan.identity.home : req.workdir;
  return plan;
}

}  // namespace cgspawn
