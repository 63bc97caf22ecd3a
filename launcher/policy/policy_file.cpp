// Reading the admin's policy file: its ownership, its JSON, and every field
// checked for type and range, so a bad file is a refusal naming the key (and
// an audit record), never an uncaught exception or a silently wrapped number.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <map>
#include <set>

#include "cgroup/limits.hpp"
#include "cgroup/values.hpp"
#include "common/error.hpp"
#include "common/fd.hpp"
#include "common/files.hpp"
#include "launcher/policy/policy.hpp"

namespace cgspawn {
namespace {

using nlohmann::json;

constexpr auto kMaxTasks = static_cast<uint64_t>(cg::typed_limit(cg::LimitId::TasksMax).max);
constexpr uint64_t kMaxUid = 4294967294;  // (uid_t)-1 is "no uid"

// The parser fails on a number it cannot hold (1e400) before any key is
// checked: remember the last key read, so the refusal can name it.
json parse_json(std::string_view text, const std::string& origin) {
  std::string last_key;
  auto note_key = [&](int, json::parse_event_t event, json& value) {
    if (event == json::parse_event_t::key) last_key = value.get<std::string>();
    return true;
  };
  try {
    return json::parse(text, note_key, true, /*ignore_comments=*/true);
  } catch (const json::out_of_range&) {
    throw_refused("policy file",
                  origin + ": '" + last_key +
                      "' holds a number too large to read: give an integer in its range");
  } catch (const json::exception& e) {
    throw_refused("policy file", origin + " is not valid JSON: " + e.what());
  }
}

template <class T>
T get(const json& j, const char* key, const std::string& origin) {
  try {
    return j.at(key).get<T>();
  } catch (const json::exception&) {
    throw_refused("policy file", origin + ": '" + key + "' has the wrong type");
  }
}

// get<unsigned>() converts whatever number it is given: -1 wraps to the
// largest value, 1.5 becomes 1, and 1e300 is undefined. Only a non-negative
// JSON integer within [LO, HI] is taken.
uint64_t get_uint(const json& j, const char* key, const std::string& origin, uint64_t lo,
                  uint64_t hi) {
  const json& v = j.at(key);
  if (!v.is_number_unsigned() || v.get<uint64_t>() < lo || v.get<uint64_t>() > hi)
    throw_refused("policy file", origin + ": '" + key + "' must be an integer from " +
                                     std::to_string(lo) + " to " + std::to_string(hi));
  return v.get<uint64_t>();
}

void parse_users(const json& u, const std::string& origin, Policy& p) {
  if (!u.is_object()) throw_refused("policy file", origin + ": 'users' must be an object");
  for (const auto& [key, _] : u.items())
    if (key != "group" && key != "uid_min" && key != "uid_max")
      throw_refused("policy file", origin + ": unknown key 'users." + key + "'");
  if (u.contains("group")) p.user_group = get<std::string>(u, "group", origin);
  if (u.contains("uid_min"))
    p.uid_min = static_cast<uid_t>(get_uint(u, "uid_min", origin, 1, kMaxUid));
  if (u.contains("uid_max"))
    p.uid_max = static_cast<uid_t>(get_uint(u, "uid_max", origin, 1, kMaxUid));
  if (p.uid_min > p.uid_max)
    throw_refused("policy file", origin + ": users.uid_min (" + std::to_string(p.uid_min) +
                                     ") is above users.uid_max (" + std::to_string(p.uid_max) +
                                     "): no uid would be allowed");
}

}  // namespace

void check_policy_is_root_owned(const std::string& path) {
  std::string partial;
  size_t pos = 0;
  while (true) {
    size_t next = path.find('/', pos + 1);
    partial = next == std::string::npos ? path : path.substr(0, next);
    if (partial.empty()) partial = "/";
    struct stat st {};
    if (::lstat(partial.c_str(), &st) != 0)
      throw_refused("policy file", partial + ": " + std::strerror(errno));
    if (S_ISLNK(st.st_mode))
      throw_refused("policy file",
                    partial + " is a symlink: the policy path must be real directories");
    if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
      throw_refused("policy file", partial + " is writable by someone other than root (owner uid " +
                                       std::to_string(st.st_uid) + ", mode " +
                                       mode_string(st.st_mode) + "): chown root and chmod go-w it");
    if (next == std::string::npos) return;
    pos = next;
  }
}

namespace {

// Unknown keys are errors, so a typo cannot silently widen the policy.
void check_known_keys(const json& j, const std::string& origin) {
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
                                              "rlimits",
                                              "drop_env",
                                              "allow_dynamic_users",
                                              "dynamic_user_range"};
  for (const auto& [key, _] : j.items())
    if (!known.contains(key)) throw_refused("policy file", origin + ": unknown key '" + key + "'");
}

void parse_commands(const json& j, const std::string& origin, Policy& p) {
  if (j.contains("commands")) p.commands = get<std::vector<std::string>>(j, "commands", origin);
  // Not lexically_normal (namespaces/paths.hpp) on purpose: commands are
  // matched as exact strings, so a spelling the admin wrote is refused, not
  // rewritten into one the caller would have to match.
  for (const auto& c : p.commands)
    if (c.empty() || c.front() != '/' || c.find("/../") != std::string::npos || c.ends_with("/.."))
      throw_refused("policy file",
                    origin + ": command '" + c + "' must be an absolute, normalised path");
}

// max_memory, max_cpu and max_tasks, parsed as the flags they bound are.
void parse_ceilings(const json& j, const std::string& origin, Policy& p) {
  try {
    if (j.contains("max_memory"))
      p.max_memory = cg::parse_size(get<std::string>(j, "max_memory", origin), "max_memory");
    if (j.contains("max_cpu")) {
      if (!j.at("max_cpu").is_number())
        throw_refused("policy file", origin + ": 'max_cpu' must be a number");
      p.max_cpu_quota = cg::parse_cpu_quota(std::to_string(get<double>(j, "max_cpu", origin)),
                                            "max_cpu", cg::kCpuPeriodUsec);
    }
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Refused) throw;
    throw_refused("policy file", origin + ": " + e.what());
  }
  if (j.contains("max_tasks")) p.max_tasks = get_uint(j, "max_tasks", origin, 1, kMaxTasks);
}

// "rlimits": {"NOFILE": "65536", ...}: the highest hard limit each resource
// may get, in --rlimit's own value syntax.
void parse_rlimit_ceilings(const json& j, const std::string& origin, Policy& p) {
  if (!j.contains("rlimits")) return;
  auto ceilings = get<std::map<std::string, std::string>>(j, "rlimits", origin);
  try {
    for (const auto& [name, value] : ceilings)
      p.max_rlimits[name] = ns::parse_rlimit_value(name, value);
  } catch (const Error& e) {
    throw_refused("policy file", origin + ": 'rlimits': " + e.what());
  }
}

}  // namespace

Policy parse_policy(std::string_view text, const std::string& origin) {
  json j = parse_json(text, origin);
  if (!j.is_object()) throw_refused("policy file", origin + " must hold a JSON object");
  check_known_keys(j, origin);
  Policy p;
  if (j.contains("cgroup_root")) p.cgroup_root = get<std::string>(j, "cgroup_root", origin);
  parse_commands(j, origin, p);
  if (j.contains("users")) parse_users(j.at("users"), origin, p);
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
  parse_ceilings(j, origin, p);
  parse_rlimit_ceilings(j, origin, p);
  if (j.contains("drop_env")) p.drop_env = get<std::vector<std::string>>(j, "drop_env", origin);
  // After users.uid_min/uid_max: the range must lie within them.
  if (j.contains("dynamic_user_range"))
    p.dynamic_user_range =
        policy_uid_range(p, get<std::string>(j, "dynamic_user_range", origin), origin);
  return p;
}

std::optional<Policy> load_policy(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw_refused("policy file", path + ": " + std::strerror(errno));
  }
  check_policy_is_root_owned(path);
  return parse_policy(read_fd(fd.get(), path), path);
}
}  // namespace cgspawn
