#include "launcher/spawn/plan_json.hpp"

#include <sys/resource.h>

#include <array>
#include <nlohmann/json.hpp>
#include <utility>

namespace cgspawn {
namespace {

using json = nlohmann::ordered_json;
using Kind = ns::MountStep::Kind;

// The systemd setting each mount step stands for, as the README names them.
constexpr std::array<std::pair<Kind, const char*>, 8> kMountKinds{{
    {Kind::AmendFile, "AmendFile"},
    {Kind::PrivateTmp, "PrivateTmp"},
    {Kind::PrivateDevices, "PrivateDevices"},
    {Kind::ProtectProc, "ProtectProc"},
    {Kind::CgroupView, "CgroupNamespace"},
    {Kind::ServerTls, "ServerTls"},
    {Kind::ReadWrite, "ReadWritePaths"},
    {Kind::ReadOnly, "ReadOnlyPaths"},
}};

const char* kind_name(Kind kind) {
  for (const auto& [k, name] : kMountKinds)
    if (k == kind) return name;
  return "?";
}

json rlimit_value(rlim_t v) {
  return v == RLIM_INFINITY ? json("infinity") : json(v);
}

// A dynamic user's uid is allocated only by a spawn; an unknown user has none.
json id_or_null(unsigned id) {
  return id == static_cast<unsigned>(-1) ? json(nullptr) : json(id);
}

json user_json(const SpawnPlan& plan) {
  const ns::Identity& who = plan.identity;
  json user = {{"name", who.name},           {"uid", id_or_null(who.uid)},
               {"gid", id_or_null(who.gid)}, {"home", who.home},
               {"shell", who.shell},         {"dynamic", plan.dynamic_user.has_value()}};
  if (plan.dynamic_user) {
    user["dynamic_user_state"] = plan.dynamic_user->state_dir;
    user["dynamic_user_range"] = plan.dynamic_user->range.str();
  }
  return user;
}

json resources_json(const SpawnPlan& plan) {
  json limits = json::object();
  for (const auto& w : plan.limits) limits[w.file] = w.text();
  json rlimits = json::object();
  for (const auto& r : plan.rlimits)
    rlimits[r.name] = {{"soft", rlimit_value(r.soft)}, {"hard", rlimit_value(r.hard)}};
  return {{"limits", limits}, {"rlimits", rlimits}};
}

json mounts_json(const ns::MountPlan& mounts) {
  json steps = json::array();
  for (const auto& s : mounts.steps)
    steps.push_back({{"kind", kind_name(s.kind)}, {"path", s.path}});
  return {{"mounts", steps}, {"devices", mounts.devices}, {"protect_proc", mounts.proc_hidepid}};
}

json refusals_json(const std::vector<Error>& failed) {
  json out = json::array();
  for (const auto& e : failed)
    out.push_back({{"step", e.step()}, {"exit", exit_status(e.kind())}, {"message", e.what()}});
  return out;
}

}  // namespace

std::string plan_json(const SpawnPlan& plan, const std::vector<Error>& failed) {
  json env = json::array();
  for (const auto& kv : plan.env) env.push_back(kv.first);  // names only: values hold secrets
  json out = {{"unit", plan.unit},
              {"slice", plan.slice},
              {"owner", plan.owner},
              {"cgroup", plan.layout.unit_path(plan.unit, plan.slice)},
              {"user", user_json(plan)}};
  out.update(resources_json(plan));
  out.update(mounts_json(plan.mounts));
  out.update(json{{"seccomp", plan.seccomp == ns::SeccompProfile::None ? "none" : "default"},
                  {"no_new_privs", plan.no_new_privs},
                  {"environment", env},
                  {"internal_ssl", plan.mounts.server_tls.has_value()},
                  {"workdir", plan.workdir},
                  {"output", plan.journal_output ? "journal" : "stderr"},
                  {"command", plan.argv},
                  {"refusals", refusals_json(failed)}});
  return out.dump(2);
}

}  // namespace cgspawn
