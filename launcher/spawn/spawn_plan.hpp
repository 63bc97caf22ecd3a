// A spawn request as typed, and the plan made from it. make_spawn_plan()
// validates everything (names, limits, controllers, user, paths, environment,
// command) and touches nothing, so a bad request leaves no trace.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/layout.hpp"
#include "cgroup/limits.hpp"
#include "launcher/dynamic_users/dynamic_users.hpp"
#include "launcher/spawn/env_records.hpp"
#include "launcher/logging/logging.hpp"
#include "namespaces/identity.hpp"
#include "namespaces/mounts.hpp"
#include "namespaces/seccomp.hpp"

namespace cgspawn {

struct SpawnRequest {
  std::string cgroup_root;  // empty: the caller's own delegated subtree
  std::string unit, user, slice;
  cg::LimitFlags limits;
  ns::MountRequest mounts;
  std::string seccomp = "default";
  bool allow_root = false;
  bool allow_new_privileges = false;
  bool env_stdin = false;
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
  UidRange range;
  std::optional<UidRange> allowed;  // the sudo policy's uid bounds, when it applies
};

struct SpawnPlan {
  cg::Layout layout{std::string{}};
  std::string unit, slice;
  std::vector<cg::LimitWrite> limits;
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

// ENV_DATA: the bytes read from stdin (only used with env_stdin).
SpawnPlan make_spawn_plan(const SpawnRequest& req, std::string_view env_data);

}  // namespace cgspawn
