// The sudo policy's rules for dynamic users (see policy.hpp): off by default,
// the range the policy's own, every uid within the policy's uid bounds, the
// state directory the default one.
#include <string>

#include "common/error.hpp"
#include "launcher/policy/policy.hpp"

namespace cgspawn {
namespace {

[[noreturn]] void refuse(const std::string& rule, const std::string& detail) {
  throw Error(ErrorKind::Refused, "refused by policy (" + rule + ")", {}, 0, detail);
}

}  // namespace

// A dynamic user has no account to look up: its range must lie within the
// allowed uids, and its state is the default directory (a caller's directory
// would let it choose the mapping, and so the uid).
void check_dynamic_user_request(const Policy& p, const SpawnRequest& req) {
  if (!p.allow_dynamic_users) refuse("allow_dynamic_users", "--dynamic-user is not allowed");
  std::string state = req.dynamic_user_state;
  while (state.size() > 1 && state.back() == '/') state.pop_back();
  if (state != kDynamicUserState)
    refuse("dynamic_user_state", "--dynamic-user-state " + req.dynamic_user_state.substr(0, 200) +
                                     " is not allowed: dynamic users live in " + kDynamicUserState);
  const UidRange r = p.dynamic_user_range.value_or(UidRange{});
  if (!req.dynamic_user_range.empty()) {
    const UidRange asked = parse_uid_range(req.dynamic_user_range);
    if (asked.first != r.first || asked.last != r.last)
      refuse("dynamic_user_range", "--dynamic-user-range " + asked.str() +
                                       " is not allowed: the policy sets the range (" + r.str() +
                                       "); drop the flag");
  }
  if (r.first < p.uid_min || r.last > p.uid_max)
    refuse("users", "the dynamic user range " + r.str() + " is outside the allowed uid range " +
                        std::to_string(p.uid_min) + "-" + std::to_string(p.uid_max));
}

// "MIN-MAX" as --dynamic-user-range takes it, within the uid bounds.
UidRange policy_uid_range(const Policy& p, const std::string& text, const std::string& origin) {
  UidRange r;
  try {
    r = parse_uid_range(text);
  } catch (const Error& e) {
    refuse("policy file", origin + ": dynamic_user_range: " + e.what());
  }
  if (r.first < p.uid_min || r.last > p.uid_max)
    refuse("policy file", origin + ": dynamic_user_range " + r.str() +
                              " must lie within users.uid_min-uid_max (" +
                              std::to_string(p.uid_min) + "-" + std::to_string(p.uid_max) + ")");
  return r;
}

void bound_dynamic_user(const Policy& policy, SpawnPlan& plan) {
  // A name mapped earlier keeps its uid whatever the range: spawn() checks
  // that uid against these bounds once it is known.
  if (!plan.dynamic_user) return;
  plan.dynamic_user->range = policy.dynamic_user_range.value_or(UidRange{});
  plan.dynamic_user->allowed = UidRange{policy.uid_min, policy.uid_max};
}

}  // namespace cgspawn
