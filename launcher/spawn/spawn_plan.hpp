// A spawn request as typed, and the plan made from it. validate_request(),
// the resolving step of prepare_spawn() (launcher/spawn/request.hpp) and
// make_spawn_plan() together check everything (names, limits, controllers,
// user, paths, environment, command) and touch nothing, so a bad request
// leaves no trace.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/layout.hpp"
#include "cgroup/limits.hpp"
#include "launcher/dynamic_users/dynamic_users.hpp"
#include "launcher/logging/logging.hpp"
#include "launcher/spawn/env_records.hpp"
#include "namespaces/identity.hpp"
#include "namespaces/mounts.hpp"
#include "namespaces/rlimits.hpp"
#include "namespaces/seccomp.hpp"

namespace cgspawn {

struct SpawnRequest {
  std::string cgroup_root;  // empty: the caller's own delegated subtree
  std::string unit, user, slice;
  std::string owner;  // --owner: recorded on the unit (cgroup/owner.hpp); empty: none
  cg::LimitFlags limits;
  std::vector<std::string> rlimits;  // --rlimit NAME=SOFT[:HARD], as given
  ns::MountRequest mounts;
  std::string seccomp = "default";
  bool allow_root = false;
  bool allow_new_privileges = false;
  bool no_cgroup_namespace = false;  // --no-cgroup-namespace: the host's /sys/fs/cgroup
  bool env_stdin = false;
  // --internal-ssl (needs --env-stdin): the server's key, certificate and CA
  // come first on stdin (stdin_records.hpp) and are installed at the fixed
  // ns::kServerTlsDir inside its mount namespace.
  bool internal_ssl = false;
  bool setenv_defaults = false;
  std::string workdir;  // empty: the user's home
  std::string log_target = "auto";
  std::vector<std::string> command;
  // --dynamic-user: `user` names a user with no account, given a uid/gid
  // from the range (kept forever) and a home under the state directory.
  bool dynamic_user = false;
  std::string dynamic_user_range;  // empty: the default range
  std::string dynamic_user_state = kDynamicUserState;
  std::string dynamic_user_shell = kDynamicUserShell;
};

struct DynamicUserPlan {
  std::string state_dir;  // normalised
  UidRange range;         // for a name that has no uid yet
};

struct SpawnPlan {
  cg::Layout layout{std::string{}};
  std::string unit, slice, owner;
  std::vector<cg::LimitWrite> limits;
  std::vector<ns::Rlimit> rlimits;  // set in the child, still root, before it drops
  ns::Identity identity;
  ns::MountPlan mounts;
  ns::SeccompProfile seccomp = ns::SeccompProfile::Default;
  bool no_new_privs = true;
  EnvList env;
  std::vector<std::string> argv;
  std::string workdir;
  bool workdir_is_default = true;  // home: fall back to / if it is missing
  bool journal_output = false;
  // Set for --dynamic-user: identity.uid/gid and the passwd/group lines of
  // the mount plan are filled in by spawn(), once the uid is allocated.
  std::optional<DynamicUserPlan> dynamic_user;
};

// What a request names, resolved once by prepare_spawn(): the policy judges
// it, and the plan is made from it.
struct ResolvedRequest {
  std::string root;                     // the delegated cgroup D
  std::vector<cg::LimitWrite> limits;   // cg::plan_limits(req.limits)
  std::vector<ns::Rlimit> rlimits;      // ns::parse_rlimits(req.rlimits)
  std::optional<ns::Identity> account;  // the user's passwd entry; nullopt for --dynamic-user
  // --dynamic-user-range parsed (nullopt: not given, the default). Under a
  // policy, once judged, the policy's own range (prepare_spawn).
  std::optional<UidRange> dynamic_user_range;
};

// The checks of the request's words alone (unit and slice names, a command,
// an absolute --workdir, --dynamic-user-* only with --dynamic-user).
// Error(BadRequest).
void validate_request(const SpawnRequest& req);

// Limits need their controller enabled for the unit's parent, and --property
// files must be ones this kernel offers. Error(BadRequest) naming the file.
void check_limits_enforceable(const SpawnPlan& plan);

// ENV_DATA: the bytes read from stdin (only used with env_stdin): with
// internal_ssl, the SSL material and then the environment records.
// RESOLVED.account is nullopt for --dynamic-user, and in a dry run for a user
// that was not found (the plan then carries the name alone).
SpawnPlan make_spawn_plan(const SpawnRequest& req, const ResolvedRequest& resolved,
                          std::string_view env_data);

}  // namespace cgspawn
