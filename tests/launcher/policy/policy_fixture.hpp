// What the policy tests share: the hub caller, and the policy's judgement of
// a request made the way prepare_spawn() makes it.
#pragma once

#include "launcher/policy/policy.hpp"
#include "launcher/spawn/request.hpp"

namespace cgspawn::testing {

inline const Caller kHub{1500, "jhub"};

// The request resolved once (no cgroup root: the policy's own is not
// judged here), then judged: throws Error(Refused) naming the rule.
inline void judge(const Policy& p, const Caller& caller, const SpawnRequest& req) {
  enforce_request(p, caller, spawn_query(req, resolve_request(req, {})));
}

}  // namespace cgspawn::testing
