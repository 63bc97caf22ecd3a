#include "launcher/policy.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>

#include "cgroup/limits.hpp"
#include "cgroup/root.hpp"
#include "cgroup/values.hpp"
#include "common/error.hpp"
#include "common/fd.hpp"
#include "common/files.hpp"
#include "common/nss.hpp"
#include "launcher/caller_paths.hpp"

namespace cgspawn {
namespace {

using nlohmann::json;

[[noreturn]] void refuse(const std::string& rule, const std::string& detail) {
  throw Error(ErrorKind::Refused, "refused by policy (" + rule + ")", {}, 0, detail);
}

// Variables that change what a program loads or runs before its own code:
// a hub that could set them would run code of its choosing as the user.
constexpr std::array<std::string_view, 16> kAlwaysDropped = {
    "LD_*",       "PYTHONPATH", "PYTHONHOME",     "PYTHONSTARTUP", "PYTHONINSPECT", "PERL5LIB",
    "PERL5OPT",   "RUBYLIB",    "RUBYOPT",        "NODE_OPTIONS",  "BASH_ENV",      "ENV",
    "GCONV_PATH", "LOCPATH",    "GLIBC_TUNABLES", "MALLOC_*"};

bool matches(std::string_view pattern, std::string_view name) {
  if (pattern.ends_with('*')) return name.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == name;
}

bool is_at_or_below(std::string_view path, std::string_view prefix) {
  while (prefix.size() > 1 && prefix.ends_with('/')) prefix.remove_suffix(1);
  if (prefix == "/") return true;
  return path == prefix ||
         (path.starts_with(prefix) && path.size() > prefix.size() && path[prefix.size()] == '/');
}

std::string canonical(const std::string& path, const std::string& what) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr)
    refuse(what, "'" + path + "' cannot be resolved: " + std::strerror(errno));
  return buf;
}

bool in_group(const ns::Identity& who, const std::string& group) {
  auto g = group_by_name(group);  // throws when a source cannot answer
  if (!g) return false;
  return who.gid == g->gid ||
         std::find(g->members.begin(), g->members.end(), who.name) != g->members.end();
}

void check_user(const Policy& p, const Caller& caller, const ns::Identity& who) {
  if (who.uid == 0) refuse("users", "the server may never run as root (uid 0)");
  if (who.uid == caller.uid)
    refuse("users", "the server may not run as the calling hub user '" + caller.name +
                        "': that account holds the hub's secrets");
  if (who.uid < p.uid_min || who.uid > p.uid_max)
    refuse("users", "user '" + who.name + "' (uid " + std::to_string(who.uid) +
                        ") is outside the allowed uid range " + std::to_string(p.uid_min) + "-" +
                        std::to_string(p.uid_max));
  if (!p.user_group.empty() && !in_group(who, p.user_group))
    refuse("users", "user '" + who.name + "' is not in the group '" + p.user_group + "'");
}

void check_properties(const Policy& p, const std::vector<cg::LimitWrite>& writes) {
  for (const auto& w : writes)
    if (!cg::is_typed_limit_file(w.file) &&
        std::find(p.properties.begin(), p.properties.end(), w.file) == p.properties.end())
      refuse("properties", "--property " + w.file + " is not an allowed property");
}

void check_command(const Policy& p, const std::vector<std::string>& argv) {
  // Exact string match: no PATH search, no "..", no symlink of the caller's
  // making can stand in for an allowed path.
  const std::string& cmd = argv.front();
  if (std::find(p.commands.begin(), p.commands.end(), cmd) == p.commands.end())
    refuse(
        "commands", "'" + cmd.substr(0, 200) + "' is not an allowed command (allowed: " + [&] {
          std::string all;
          for (const auto& c : p.commands) all += (all.empty() ? "" : ", ") + c;
          return all;
        }() + ")");
}

// The typed limits' values as the planner wrote them ("max", a number, or
// "QUOTA PERIOD" for cpu.max, normalised to the standard period).
uint64_t limit_value(const std::vector<cg::LimitWrite>& writes, const std::string& file) {
  for (const auto& w : writes) {
    if (w.file != file) continue;
    if (w.value.starts_with("max")) return UINT64_MAX;
    std::string_view v = w.value;
    uint64_t quota = 0, period = cg::kCpuPeriodUsec;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), quota);
    if (ec != std::errc()) return UINT64_MAX;
    if (file == "cpu.max" && p != v.data() + v.size())
      std::from_chars(p + 1, v.data() + v.size(), period);
    if (period == 0) return UINT64_MAX;
    return file == "cpu.max" ? quota * cg::kCpuPeriodUsec / period : quota;
  }
  return UINT64_MAX;  // not given: unlimited
}

void check_ceiling(std::optional<uint64_t> ceiling, uint64_t asked, const char* rule,
                   const char* flag, const std::string& shown_ceiling) {
  if (ceiling && asked > *ceiling)
    refuse(rule, std::string(flag) + (asked == UINT64_MAX ? " is missing or max" : " is too high") +
                     ": the ceiling is " + shown_ceiling + "; pass " + flag + " at most that");
}

void check_flags(const Policy& p, const SpawnRequest& req) {
  if (req.allow_new_privileges && !p.allow_new_privileges)
    refuse("allow_new_privileges", "--allow-new-privileges is not allowed");
  if (req.allow_root && !p.allow_root) refuse("allow_root", "--allow-root is not allowed");
  if (req.seccomp == "none" && !p.allow_seccomp_none)
    refuse("allow_seccomp_none", "--seccomp none is not allowed");
  for (const auto& dev : req.mounts.devices)
    if (std::find(p.devices.begin(), p.devices.end(), dev) == p.devices.end())
      refuse("devices", "--device " + dev + " is not an allowed device");
  for (const auto& rw : req.mounts.read_write) {
    std::string real = canonical(rw, "read_write_prefixes");
    bool ok = std::any_of(p.read_write_prefixes.begin(), p.read_write_prefixes.end(),
                          [&](const std::string& prefix) { return is_at_or_below(real, prefix); });
    if (!ok)
      refuse("read_write_prefixes", "--read-write " + rw + " is outside the allowed prefixes");
  }
}

void check_limits(const Policy& p, const SpawnRequest& req) {
  auto writes = cg::plan_limits(req.limits);  // typed files can only come from typed flags
  check_properties(p, writes);
  auto show = [](std::optional<uint64_t> v) { return v ? std::to_string(*v) : std::string("-"); };
  check_ceiling(p.max_memory, limit_value(writes, "memory.max"), "max_memory", "--memory-max",
                show(p.max_memory) + " bytes");
  check_ceiling(
      p.max_cpu_quota, limit_value(writes, "cpu.max"), "max_cpu", "--cpu-max",
      p.max_cpu_quota
          ? std::to_string(static_cast<double>(*p.max_cpu_quota) / cg::kCpuPeriodUsec) + " CPUs"
          : "-");
  check_ceiling(p.max_tasks, limit_value(writes, "pids.max"), "max_tasks", "--tasks-max",
                show(p.max_tasks));
}

template <class T>
T get(const json& j, const char* key, const std::string& origin) {
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    refuse("policy file", origin + ": '" + key + "' has the wrong type");
  }
}

}  // namespace

std::optional<Caller> delegated_caller() {
  if (const char* sudo_uid = std::getenv("SUDO_UID")) {
    char* end = nullptr;
    unsigned long uid = std::strtoul(sudo_uid, &end, 10);
    const char* name = std::getenv("SUDO_USER");
    if (end != sudo_uid && *end == '\0')
      return Caller{static_cast<uid_t>(uid), name ? name : sudo_uid};
  }
  if (::getuid() != 0 && ::geteuid() == 0) {
    struct passwd* pw = ::getpwuid(::getuid());
    return Caller{::getuid(), pw ? pw->pw_name : std::to_string(::getuid())};
  }
  return std::nullopt;
}

void check_policy_is_root_owned(const std::string& path) {
  std::string partial;
  size_t pos = 0;
  while (true) {
    size_t next = path.find('/', pos + 1);
    partial = next == std::string::npos ? path : path.substr(0, next);
    if (partial.empty()) partial = "/";
    struct stat st {};
    if (::lstat(partial.c_str(), &st) != 0)
      refuse("policy file", partial + ": " + std::strerror(errno));
    if (S_ISLNK(st.st_mode))
      refuse("policy file", partial + " is a symlink: the policy path must be real directories");
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
      refuse(
          "policy file", partial + " is writable by someone other than root (owner uid " +
                             std::to_string(st.st_uid) + ", mode " +
                             [&] {
                               char m[8];
                               std::snprintf(m, sizeof m, "%04o", st.st_mode & 07777);
                               return std::string(m);
                             }() +
                             "): chown root and chmod go-w it");
    if (next == std::string::npos) return;
    pos = next;
  }
}

Policy parse_policy(std::string_view text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    refuse("policy file", origin + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) refuse("policy file", origin + " must hold a JSON object");
  static const std::set<std::string> known = {"cgroup_root",
                                              "commands",
                                              "users",
                                              "allow_new_privileges",
                                              "allow_root",
                                              "allow_seccomp_none",
                                              "devices",
                                              "read_write_prefixes",
                                              "properties",
                                              "max_memory",
                                              "max_cpu",
                                              "max_tasks",
                                              "drop_env",
                                              "allow_dynamic_users",
                                              "dynamic_user_range"};
  for (const auto& [key, _] : j.items())
    if (!known.contains(key)) refuse("policy file", origin + ": unknown key '" + key + "'");
  Policy p;
  if (j.contains("cgroup_root")) p.cgroup_root = get<std::string>(j, "cgroup_root", origin);
  if (j.contains("commands")) p.commands = get<std::vector<std::string>>(j, "commands", origin);
  for (const auto& c : p.commands)
    if (c.empty() || c.front() != '/' || c.find("/../") != std::string::npos || c.ends_with("/.."))
      refuse("policy file", origin + ": command '" + c + "' must be an absolute, normalised path");
  if (j.contains("users")) {
    const json& u = j.at("users");
    if (!u.is_object()) refuse("policy file", origin + ": 'users' must be an object");
    for (const auto& [key, _] : u.items())
      if (key != "group" && key != "uid_min" && key != "uid_max")
        refuse("policy file", origin + ": unknown key 'users." + key + "'");
    if (u.contains("group")) p.user_group = get<std::string>(u, "group", origin);
    if (u.contains("uid_min")) p.uid_min = get<uid_t>(u, "uid_min", origin);
    if (u.contains("uid_max")) p.uid_max = get<uid_t>(u, "uid_max", origin);
    if (p.uid_min == 0) refuse("policy file", origin + ": users.uid_min must be at least 1");
  }
  if (j.contains("allow_new_privileges"))
    p.allow_new_privileges = get<bool>(j, "allow_new_privileges", origin);
  if (j.contains("allow_root")) p.allow_root = get<bool>(j, "allow_root", origin);
  if (j.contains("allow_dynamic_users"))
    p.allow_dynamic_users = get<bool>(j, "allow_dynamic_users", origin);
  if (j.contains("allow_seccomp_none"))
    p.allow_seccomp_none = get<bool>(j, "allow_seccomp_none", origin);
  if (j.contains("devices")) p.devices = get<std::vector<std::string>>(j, "devices", origin);
  if (j.contains("read_write_prefixes"))
    p.read_write_prefixes = get<std::vector<std::string>>(j, "read_write_prefixes", origin);
  if (j.contains("properties"))
    p.properties = get<std::vector<std::string>>(j, "properties", origin);
  try {
    if (j.contains("max_memory"))
      p.max_memory = cg::parse_size(get<std::string>(j, "max_memory", origin), "max_memory");
    if (j.contains("max_cpu"))
      p.max_cpu_quota = cg::parse_cpu_quota(std::to_string(get<double>(j, "max_cpu", origin)),
                                            "max_cpu", cg::kCpuPeriodUsec);
    if (j.contains("max_tasks")) p.max_tasks = get<uint64_t>(j, "max_tasks", origin);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Refused) throw;
    refuse("policy file", origin + ": " + e.what());
  }
  if (j.contains("drop_env")) p.drop_env = get<std::vector<std::string>>(j, "drop_env", origin);
  if (j.contains("dynamic_user_range"))
    p.dynamic_user_range =
        policy_uid_range(p, get<std::string>(j, "dynamic_user_range", origin), origin);
  return p;
}

std::optional<Policy> load_policy(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    refuse("policy file", path + ": " + std::strerror(errno));
  }
  check_policy_is_root_owned(path);
  return parse_policy(read_fd(fd.get(), path), path);
}

std::string policy_root(const Policy& policy, const std::string& explicit_root) {
  if (policy.cgroup_root.empty()) {
    if (!explicit_root.empty())
      refuse("cgroup_root",
             "--cgroup-root is not allowed: the policy sets no cgroup_root, so "
             "only the caller's own delegated cgroup may be used");
    return cg::resolve_root({});
  }
  std::string allowed = cg::resolve_root(policy.cgroup_root);
  if (!explicit_root.empty()) {
    // Compare resolved paths, and refuse (not "bad request") whatever does
    // not resolve to the allowed root: the audit trail must see it.
    char buf[PATH_MAX];
    if (::realpath(explicit_root.c_str(), buf) == nullptr || allowed != buf)
      refuse("cgroup_root",
             "--cgroup-root " + explicit_root + " is not the allowed root " + allowed);
  }
  return allowed;
}

bool env_always_dropped(const Policy& policy, std::string_view name) {
  auto hit = [&](std::string_view pat) { return matches(pat, name); };
  return std::any_of(kAlwaysDropped.begin(), kAlwaysDropped.end(), hit) ||
         std::any_of(policy.drop_env.begin(), policy.drop_env.end(), hit);
}

void enforce_request(const Policy& policy, const Caller& caller, const SpawnRequest& req) {
  if (!req.command.empty()) check_command(policy, req.command);
  if (req.dynamic_user)
    check_dynamic_user_request(policy, req);
  else
    check_user(policy, caller, ns::lookup_user(req.user));
  check_paths_as_caller(caller, req);  // before check_flags resolves paths as root
  check_flags(policy, req);
  check_limits(policy, req);
}

void drop_env(const Policy& policy, EnvList& env) {
  std::erase_if(env, [&](const auto& kv) { return env_always_dropped(policy, kv.first); });
}

void enforce_slice_set(const Policy& policy, const std::vector<cg::LimitWrite>& writes) {
  check_properties(policy, writes);
}

}  // namespace cgspawn
