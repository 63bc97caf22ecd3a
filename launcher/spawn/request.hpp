// One pass per spawn request: resolve what it names, judge it against the
// admin's policy, plan it, judge the plan; each exactly once, in this order,
// so a refused request touches nothing (the dynamic uid is allocated only
// later, by spawn(), within allowed_uids()).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "launcher/policy/policy.hpp"
#include "launcher/spawn/spawn_plan.hpp"

namespace cgspawn {

// How prepare_spawn() meets the three refusals that depend on this host's
// state rather than on the request: no delegated cgroup root, no such user
// account, a limit's controller not enabled. A spawn stops at the first
// (throws); a dry run (`spawn --dry-run`) notes each and plans on, so the
// plan of a request can be shown, and tested, on any machine.
class HostChecks {
 public:
  explicit HostChecks(bool dry_run) : dry_run_(dry_run) {}
  // Runs CHECK; in a dry run an Error it throws is noted and false returned.
  template <class Check>
  bool pass(Check&& check) {
    if (!dry_run_) {
      check();
      return true;
    }
    try {
      check();
      return true;
    } catch (const Error& e) {
      failed_.push_back(e);
      return false;
    }
  }
  [[nodiscard]] const std::vector<Error>& failed() const noexcept { return failed_; }

 private:
  bool dry_run_;
  std::vector<Error> failed_;
};

// ENV_DATA: the bytes read from stdin (only used with env_stdin). Throws
// Error(BadRequest) for a bad request and Error::refusal for a forbidden one;
// the host-state checks go through CHECKS.
SpawnPlan prepare_spawn(const SpawnRequest& req, std::string_view env_data, const Access& access,
                        HostChecks& checks);
// A real spawn's: every check throws.
SpawnPlan prepare_spawn(const SpawnRequest& req, std::string_view env_data, const Access& access);

// The uid bounds spawn() holds a dynamic user's uid to: the policy's, when
// one applies.
std::optional<UidRange> allowed_uids(const Access& access);

// The steps of prepare_spawn() the policy tests drive one by one:
// what REQ names, resolved once (ROOT: the cgroup root, already chosen;
// the account lookup through CHECKS);
ResolvedRequest resolve_request(const SpawnRequest& req, std::string root, HostChecks& checks);
ResolvedRequest resolve_request(const SpawnRequest& req, std::string root);
// REQ as the policy judges it, with RESOLVED's answers;
SpawnQuery spawn_query(const SpawnRequest& req, const ResolvedRequest& resolved);
// and the variables the policy always drops, dropped from ENV.
void drop_env(const Policy& policy, EnvList& env);

}  // namespace cgspawn
