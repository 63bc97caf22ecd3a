// The admin's policy for callers that reach cgspawn through sudo (an
// unprivileged hub). Sudo access to an unrestricted launcher would be root;
// this file makes it worth only what the admin allows: which commands, which
// target users, which flags and ceilings, which cgroup root.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "launcher/spawn/spawn_plan.hpp"

namespace cgspawn {

inline constexpr const char* kPolicyPath = "/etc/cgspawn/policy.json";

struct Policy {
  std::string cgroup_root;  // empty: only the caller's own delegated subtree
  std::vector<std::string> commands{"/usr/bin/jupyterhub-singleuser"};
  std::string user_group;  // target users must be members, when set
  uid_t uid_min = 1000, uid_max = 59999;
  bool allow_new_privileges = false, allow_root = false, allow_seccomp_none = false;
  // --dynamic-user: its range must lie within uid_min..uid_max, its state
  // directory is the default one; users.group does not apply (no account).
  bool allow_dynamic_users = false;
  // The uids new dynamic users get (default 20000-29999), within the uid
  // bounds: the caller's --dynamic-user-range is refused unless it is this
  // very range, so a hub cannot pick one exact (perhaps orphaned) uid.
  std::optional<UidRange> dynamic_user_range;
  std::vector<std::string> devices;              // exact device paths
  std::vector<std::string> read_write_prefixes;  // --read-write must lie below one
  std::vector<std::string> properties;           // --property files allowed
  std::optional<uint64_t> max_memory, max_cpu_quota, max_tasks;
  std::vector<std::string> drop_env;  // extra patterns: NAME or PREFIX*
};

// Who asked, when cgspawn runs on somebody else's behalf (sudo: SUDO_UID, or
// a real uid other than 0 under an effective uid of 0). nullopt: root itself.
struct Caller {
  uid_t uid;
  std::string name;
};
std::optional<Caller> delegated_caller();

// The file and every directory above it must be owned by root and writable
// by nobody else; otherwise whoever can write it could grant themselves root.
// Throws Error(Refused).
void check_policy_is_root_owned(const std::string& path);

// Parse a policy (JSON, comments allowed). Unknown keys are errors, so a
// typo cannot silently widen it. Throws Error(Refused) naming the key.
Policy parse_policy(std::string_view json_text, const std::string& origin);

// Load PATH after the ownership check; nullopt when absent.
std::optional<Policy> load_policy(const std::string& path);

// The cgroup root a caller under POLICY acts in; EXPLICIT is --cgroup-root.
std::string policy_root(const Policy& policy, const std::string& explicit_root);

// Refuse what the policy forbids (Error(Refused), naming the rule), judging
// the request alone: it runs before any planning, so a refused request
// touches nothing. The one probe is check_paths_as_caller (caller_paths.hpp):
// whether the caller itself can reach the paths it names.
void enforce_request(const Policy& policy, const Caller& caller, const SpawnRequest& req);

// Refuse what the plan would do beyond the policy: a --read-write path as
// the plan resolved it (a symlink below an allowed prefix may lead outside
// it; enforce_request judged only the path as written). Error(Refused).
void enforce_plan(const Policy& policy, const SpawnPlan& plan);

// The dynamic-user rules (policy_dynamic.cpp): enforce_request's check of a
// --dynamic-user request, and the policy's "dynamic_user_range" as parsed at
// load (within the uid bounds; Error(Refused) "policy file" otherwise).
void check_dynamic_user_request(const Policy& policy, const SpawnRequest& req);
UidRange policy_uid_range(const Policy& policy, const std::string& text, const std::string& origin);

// Drop the environment variables the policy always drops.
void drop_env(const Policy& policy, EnvList& env);

// The dynamic user's range is the policy's, and its uid, once spawn()
// allocates it, must lie within the policy's uid bounds (a name allocated
// earlier keeps its uid whatever the range).
void bound_dynamic_user(const Policy& policy, SpawnPlan& plan);

// `slice set` through sudo: --property files must be allowed ones (typed
// limits are free: a slice's limits only ever narrow what D allows).
void enforce_slice_set(const Policy& policy, const std::vector<cg::LimitWrite>& writes);

// Whether NAME matches one of the always-dropped patterns (LD_*, PYTHONPATH...).
bool env_always_dropped(const Policy& policy, std::string_view name);

}  // namespace cgspawn
