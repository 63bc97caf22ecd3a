#include "launcher/spawn_plan.hpp"

#include <sys/stat.h>

#include "cgroup/names.hpp"
#include "cgroup/root.hpp"
#include "common/error.hpp"

namespace cgspawn {
namespace {

// Limits need their controller enabled for the unit's parent, and --property
// files must be ones this kernel offers: D/users (or the slice) carries the
// same interface files as its children will.
void check_limits_enforceable(const SpawnPlan& plan) {
  cg::CgroupDir users = plan.layout.open_users();
  std::string parent_path = plan.layout.users_path();
  std::set<std::string> enabled = users.subtree_control();
  struct stat st {};
  if (!plan.slice.empty() && ::stat((parent_path + "/" + plan.slice).c_str(), &st) == 0) {
    parent_path += "/" + plan.slice;
    enabled = cg::CgroupDir::open(parent_path).subtree_control();
  }
  for (const auto& c : cg::missing_controllers(plan.limits, enabled))
    throw Error(ErrorKind::System, "check controllers", parent_path, 0,
                "the " + c +
                    " controller is not enabled for units, so its limit cannot be "
                    "enforced: run `cgspawn init`, and `kernel-check` if it stays unavailable");
  for (const auto& w : plan.limits)
    if (!users.has(w.file))
      throw_bad_request("check --property", "cgroup interface file '" + w.file +
                                                "' does not exist on this kernel: check the name "
                                                "(ls " +
                                                parent_path + ")");
}

}  // namespace

SpawnPlan make_spawn_plan(const SpawnRequest& req, std::string_view env_data) {
  cg::validate_name(req.unit, "unit");
  if (!req.slice.empty()) cg::validate_name(req.slice, "slice");
  if (req.command.empty())
    throw_bad_request("parse command",
                      "no command given: put it after --, e.g. -- jupyterhub-singleuser");
  if (!req.workdir.empty() && req.workdir.front() != '/')
    throw_bad_request("parse --workdir",
                      "--workdir '" + req.workdir + "' must be an absolute path");

  SpawnPlan plan;
  plan.layout = cg::Layout(cg::resolve_root(req.cgroup_root));
  plan.unit = req.unit;
  plan.slice = req.slice;
  plan.limits = cg::plan_limits(req.limits);
  plan.seccomp = ns::parse_seccomp_profile(req.seccomp);
  plan.no_new_privs = !req.allow_new_privileges;
  plan.journal_output = use_journal(parse_log_target(req.log_target));

  plan.identity = ns::lookup_user(req.user);
  if (plan.identity.uid == 0 && !req.allow_root)
    throw_bad_request("check user",
                      "refusing to run the server as root (user '" + req.user +
                          "' has uid 0): pick an unprivileged user or pass --allow-root");

  plan.mounts = ns::make_mount_plan(req.mounts);

  if (req.env_stdin) plan.env = parse_env_records(env_data);
  if (req.setenv_defaults) {
    set_default(plan.env, "USER", plan.identity.name);
    set_default(plan.env, "LOGNAME", plan.identity.name);
    set_default(plan.env, "HOME", plan.identity.home);
    set_default(plan.env, "SHELL", plan.identity.shell);
  }
  plan.argv = req.command;
  plan.workdir_is_default = req.workdir.empty();
  plan.workdir = plan.workdir_is_default ? plan.identity.home : req.workdir;

  check_limits_enforceable(plan);
  return plan;
}

}  // namespace cgspawn
