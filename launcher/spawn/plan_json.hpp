// `cgspawn spawn --dry-run`: the plan a request makes, as JSON, and the
// host checks it would fail. Made by the same prepare_spawn() a spawn runs,
// so what it shows is what a spawn would do (the contract the spawner's
// host tests hold its argv to). Environment values and TLS material never
// appear: they carry the hub's secrets. Only names do.
#pragma once

#include <string>
#include <vector>

#include "common/error.hpp"
#include "launcher/spawn/spawn_plan.hpp"

namespace cgspawn {

// One object: unit, slice, owner, cgroup, user, limits (file -> the text
// written), rlimits (soft/hard, "infinity"), mounts (kind, path), devices,
// seccomp, no_new_privs, environment (names), internal_ssl, workdir,
// output, command, and refusals ({step, exit, message} for each of FAILED);
// indented, for people as well as programs.
std::string plan_json(const SpawnPlan& plan, const std::vector<Error>& failed);

}  // namespace cgspawn
