#include "launcher/spawn/request.hpp"

#include <algorithm>

#include "cgroup/root.hpp"
#include "namespaces/identity.hpp"

namespace cgspawn {

ResolvedRequest resolve_request(const SpawnRequest& req, std::string root, HostChecks& checks) {
  ResolvedRequest r;
  r.root = std::move(root);
  r.limits = cg::plan_limits(req.limits);
  r.rlimits = ns::parse_rlimits(req.rlimits);
  if (!req.dynamic_user)
    checks.pass([&] { r.account = ns::lookup_user(req.user); });
  else if (!req.dynamic_user_range.empty())
    r.dynamic_user_range = parse_uid_range(req.dynamic_user_range);
  return r;
}

ResolvedRequest resolve_request(const SpawnRequest& req, std::string root) {
  HostChecks strict(false);
  return resolve_request(req, std::move(root), strict);
}

SpawnQuery spawn_query(const SpawnRequest& req, const ResolvedRequest& resolved) {
  SpawnQuery q;
  q.command = req.command;
  q.account = resolved.account;
  q.dynamic_user_state = req.dynamic_user_state;
  q.dynamic_user_range = resolved.dynamic_user_range;
  q.dynamic_user_shell = req.dynamic_user_shell;
  q.allow_new_privileges = req.allow_new_privileges;
  q.allow_root = req.allow_root;
  q.seccomp_none = req.seccomp == "none";
  q.mounts = req.mounts;
  q.limits = resolved.limits;
  q.rlimits = resolved.rlimits;
  return q;
}

void drop_env(const Policy& policy, EnvList& env) {
  std::erase_if(env, [&](const auto& kv) { return env_always_dropped(policy, kv.first); });
}

SpawnPlan prepare_spawn(const SpawnRequest& req, std::string_view env_data, const Access& access,
                        HostChecks& checks) {
  validate_request(req);
  const Policy* policy = access.policy ? &*access.policy : nullptr;
  // A dry run goes on with the root as given when it does not resolve.
  std::string root = req.cgroup_root;
  bool rooted = true;
  if (policy)
    root = policy_root(*policy, req.cgroup_root);
  else
    rooted = checks.pass([&] { root = cg::resolve_root(req.cgroup_root); });
  ResolvedRequest resolved = resolve_request(req, root, checks);
  const bool known_user = req.dynamic_user || resolved.account;
  if (policy && known_user) {  // an unknown user is refused already, in a dry run
    enforce_request(*policy, access.who(), spawn_query(req, resolved));
    // The policy's range, whatever the request said (it may only repeat it).
    resolved.dynamic_user_range = policy_dynamic_user_range(*policy);
  }
  SpawnPlan plan = make_spawn_plan(req, resolved, env_data);
  if (policy) {
    enforce_mounts(*policy, plan.mounts);
    drop_env(*policy, plan.env);
  }
  if (rooted) checks.pass([&] { check_limits_enforceable(plan); });
  return plan;
}

SpawnPlan prepare_spawn(const SpawnRequest& req, std::string_view env_data, const Access& access) {
  HostChecks strict(false);
  return prepare_spawn(req, env_data, access, strict);
}

std::optional<UidRange> allowed_uids(const Access& access) {
  if (!access.policy) return std::nullopt;
  return policy_uid_bounds(*access.policy);
}

}  // namespace cgspawn
