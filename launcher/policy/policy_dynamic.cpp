// The sudo policy's rules for dynamic users (see policy.hpp): off by default,
// the range the policy's own, every uid within the policy's uid bounds, the
// state directory the default one.
#include <string>

#include "common/error.hpp"
#include "launcher/policy/policy.hpp"
#include "namespaces/paths.hpp"

namespace cgspawn {
// A dynamic user has no account to look up: its range must lie within the
// allowed uids, and its state is the default directory (a caller's directory
// would let it choose the mapping, and so the uid).
void check_dynamic_user_request(const Policy& p, const SpawnQuery& req) {
  if (!p.allow_dynamic_users) throw_refused("allow_dynamic_users", "--dynamic-user is not allowed");
  // By the plan's own rule (lexically_normal), so "/var/lib/cgspawn/" is
  // the default and no spelling of another directory is.
  if (ns::lexically_normal(req.dynamic_user_state) != kDynamicUserState)
    throw_refused("dynamic_user_state",
                  "--dynamic-user-state " + req.dynamic_user_state.substr(0, 200) +
                      " is not allowed: dynamic users live in " + kDynamicUserState);
  const UidRange r = p.dynamic_user_range.value_or(UidRange{});
  if (req.dynamic_user_range) {
    const UidRange asked = *req.dynamic_user_range;
    if (asked.first != r.first || asked.last != r.last)
      throw_refused("dynamic_user_range", "--dynamic-user-range " + asked.str() +
                                              " is not allowed: the policy sets the range (" +
                                              r.str() + "); drop the flag");
  }
  if (r.first < p.uid_min || r.last > p.uid_max)
    throw_refused("users", "the dynamic user range " + r.str() +
                               " is outside the allowed uid range " + std::to_string(p.uid_min) +
                               "-" + std::to_string(p.uid_max));
}

// "MIN-MAX" as --dynamic-user-range takes it, within the uid bounds.
UidRange policy_uid_range(const Policy& p, const std::string& text, const std::string& origin) {
  UidRange r;
  try {
    r = parse_uid_range(text);
  } catch (const Error& e) {
    throw_refused("policy file", origin + ": dynamic_user_range: " + e.what());
  }
  if (r.first < p.uid_min || r.last > p.uid_max)
    throw_refused("policy file", origin + ": dynamic_user_range " + r.str() +
                                     " must lie within users.uid_min-uid_max (" +
                                     std::to_string(p.uid_min) + "-" + std::to_string(p.uid_max) +
                                     ")");
  return r;
}

UidRange policy_dynamic_user_range(const Policy& policy) {
  return policy.dynamic_user_range.value_or(UidRange{});
}

UidRange policy_uid_bounds(const Policy& policy) {
  return UidRange{policy.uid_min, policy.uid_max};
}

}  // namespace cgspawn
