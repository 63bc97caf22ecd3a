// One pass per spawn request: resolve what it names, judge it against the
// admin's policy, plan it, judge the plan; each exactly once, in this order,
// so a refused request touches nothing (the dynamic uid is allocated only
// later, by spawn(), within allowed_uids()).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "launcher/policy/policy.hpp"
#include "launcher/spawn/spawn_plan.hpp"

namespace cgspawn {

// ENV_DATA: the bytes read from stdin (only used with env_stdin). Throws
// Error(BadRequest) for a bad request and Error::refusal for a forbidden one.
SpawnPlan prepare_spawn(const SpawnRequest& req, std::string_view env_data, const Access& access);

// The uid bounds spawn() holds a dynamic user's uid to: the policy's, when
// one applies.
std::optional<UidRange> allowed_uids(const Access& access);

// The steps of prepare_spawn() the policy tests drive one by one:
// what REQ names, resolved once (ROOT: the cgroup root, already chosen);
ResolvedRequest resolve_request(const SpawnRequest& req, std::string root);
// REQ as the policy judges it, with RESOLVED's answers;
SpawnQuery spawn_query(const SpawnRequest& req, const ResolvedRequest& resolved);
// and the variables the policy always drops, dropped from ENV.
void drop_env(const Policy& policy, EnvList& env);

}  // namespace cgspawn
