// The admin's policy for callers that reach cgspawn through sudo (an
// unprivileged hub). Sudo access to an unrestricted launcher would be root;
// this file makes it worth only what the admin allows: which commands, which
// target users, which flags and ceilings, which cgroup root.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/limits.hpp"
#include "launcher/dynamic_users/dynamic_users.hpp"
#include "namespaces/identity.hpp"
#include "namespaces/mounts.hpp"
#include "namespaces/rlimits.hpp"

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
  // --rlimit ceilings by resource name ("rlimits": {"NOFILE": "65536"}): a
  // resource not listed cannot be set through sudo (raising MEMLOCK or
  // RTPRIO would let a user pin memory or starve the CPU).
  std::map<std::string, rlim_t> max_rlimits;
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

// Who runs cgspawn and the policy that binds it. Through sudo the policy is
// mandatory (Refused "policy file" when PATH is absent); root running it
// directly is bound by it when the file exists.
struct Access {
  std::optional<Caller> caller;  // nullopt: root itself
  std::optional<Policy> policy;
  [[nodiscard]] Caller who() const { return caller.value_or(Caller{0, "root"}); }
};
Access load_access(const std::string& path = kPolicyPath);

// The cgroup root a caller under POLICY acts in; EXPLICIT is --cgroup-root.
// Resolves it (cgroup/root.hpp), and refuses any other root.
std::string policy_root(const Policy& policy, const std::string& explicit_root);

// What a spawn asks for, as the policy judges it: the request's words, with
// the target account looked up and the limits planned by the spawn pass
// (launcher/spawn/request.cpp), which hands the same results to the plan.
struct SpawnQuery {
  std::vector<std::string> command;
  std::optional<ns::Identity> account;         // nullopt: --dynamic-user, which has none
  std::string dynamic_user_state;              // as given
  std::optional<UidRange> dynamic_user_range;  // as given (nullopt: not given)
  std::string dynamic_user_shell;
  bool allow_new_privileges = false, allow_root = false, seccomp_none = false;
  ns::MountRequest mounts;
  std::vector<cg::LimitWrite> limits;
  std::vector<ns::Rlimit> rlimits;
};

// Refuse what the policy forbids (Error::refusal, naming the rule), judging
// the query alone: it runs before the plan, so a refused request leaves
// nothing. It probes the user and group databases (users.group) and, as the
// caller, the paths the query names (check_paths_as_caller, caller_paths.hpp).
void enforce_request(const Policy& policy, const Caller& caller, const SpawnQuery& query);

// Refuse what the mount plan would do beyond the policy: a --read-write path
// as the plan resolved it (a symlink below an allowed prefix may lead outside
// it; enforce_request judged only the path as written).
void enforce_mounts(const Policy& policy, const ns::MountPlan& mounts);

// The dynamic-user rules (policy_dynamic.cpp): enforce_request's check of a
// --dynamic-user query, and the policy's "dynamic_user_range" as parsed at
// load (within the uid bounds; Refused "policy file" otherwise).
void check_dynamic_user_request(const Policy& policy, const SpawnQuery& query);
UidRange policy_uid_range(const Policy& policy, const std::string& text, const std::string& origin);

// Under a policy new dynamic users get its range, and every dynamic user's
// uid (a name allocated earlier keeps its uid whatever the range) must lie
// within its uid bounds: the allocation checks that before writing anything.
UidRange policy_dynamic_user_range(const Policy& policy);
UidRange policy_uid_bounds(const Policy& policy);

// `slice set` through sudo: --property files must be allowed ones (typed
// limits are free: a slice's limits only ever narrow what D allows).
void enforce_slice_set(const Policy& policy, const std::vector<cg::LimitWrite>& writes);

// Whether NAME matches one of the always-dropped patterns (LD_*, PYTHONPATH...).
bool env_always_dropped(const Policy& policy, std::string_view name);

}  // namespace cgspawn
