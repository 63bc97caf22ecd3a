#include "launcher/policy/policy.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>
#include <stdexcept>

#include "cgroup/limits.hpp"
#include "cgroup/root.hpp"
#include "cgroup/values.hpp"
#include "common/error.hpp"
#include "common/fd.hpp"
#include "common/files.hpp"
#include "common/nss.hpp"
#include "launcher/policy/caller_paths.hpp"
#include "namespaces/paths.hpp"

namespace cgspawn {
namespace {

// Variables that change what a program loads or runs before its own code:
// a hub that could set them would run code of its choosing as the user.
// Reviewed against the startup variables documented by ld.so(8) and glibc's
// unsecvars (what it drops for setuid programs; TMPDIR excepted, a server's
// ordinary setting), python3(1), bash(1) and perlrun/ruby/node:
// - glibc: LD_*, GCONV_PATH, GETCONF_DIR, GLIBC_TUNABLES, HOSTALIASES,
//   LOCALDOMAIN, LOCPATH, MALLOC_*, NIS_PATH, NLSPATH, RESOLV_HOST_CONF,
//   RES_OPTIONS, TZDIR (files or modules it loads on the caller's word);
// - Python: PYTHONPATH, PYTHONHOME, PYTHONUSERBASE (site-packages .pth files
//   run code), PYTHONSTARTUP, PYTHONINSPECT, PYTHONPLATLIBDIR, PYTHONEXECUTABLE,
//   PYTHONPYCACHEPREFIX (byte-code read from there), PYTHONBREAKPOINT and
//   PYTHONWARNINGS (both import a module they name);
// - bash: BASH_ENV, ENV, BASH_FUNC_* (exported functions replace commands),
//   SHELLOPTS/BASHOPTS with PS4 (xtrace expands PS4), PROMPT_COMMAND,
//   BASH_LOADABLES_PATH, BASH_XTRACEFD;
// - PERL5LIB, PERL5OPT, PERLLIB, PERL5DB, RUBYLIB, RUBYOPT, NODE_OPTIONS,
//   NODE_PATH, JAVA_TOOL_OPTIONS, _JAVA_OPTIONS, JDK_JAVA_OPTIONS.
// clang-format off
constexpr auto kAlwaysDropped = std::to_array<std::string_view>({
    "LD_*", "GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN",
    "LOCPATH", "MALLOC_*", "NIS_PATH", "NLSPATH", "RESOLV_HOST_CONF", "RES_OPTIONS", "TZDIR",
    "PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONSTARTUP", "PYTHONINSPECT",
    "PYTHONPLATLIBDIR", "PYTHONEXECUTABLE", "PYTHONPYCACHEPREFIX", "PYTHONBREAKPOINT",
    "PYTHONWARNINGS",
    "BASH_ENV", "ENV", "BASH_FUNC_*", "SHELLOPTS", "BASHOPTS", "PS4", "PROMPT_COMMAND",
    "BASH_LOADABLES_PATH", "BASH_XTRACEFD",
    "PERL5LIB", "PERL5OPT", "PERLLIB", "PERL5DB", "RUBYLIB", "RUBYOPT", "NODE_OPTIONS",
    "NODE_PATH", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS"});
// clang-format on

bool matches(std::string_view pattern, std::string_view name) {
  if (pattern.ends_with('*')) return name.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == name;
}

// The path as written, judged before anything is probed (lexically_normal,
// namespaces/paths.hpp). Only the plan resolves it (once), and
// enforce_mounts() judges that result, which is what gets mounted.
std::string lexical(const std::string& path) {
  if (path.empty() || path.front() != '/')
    throw_refused("read_write_prefixes",
                  "--read-write '" + path.substr(0, 200) + "' is not absolute");
  auto out = ns::lexically_normal(path);
  if (!out)
    throw_refused("read_write_prefixes", "--read-write " + path.substr(0, 200) + " contains '..'");
  return *out;
}

void check_read_write(const Policy& p, const std::string& path, const std::string& shown) {
  // A prefix the admin wrote ("/home/", "/srv//x") by the same rule; one
  // that is not absolute or has ".." matches nothing.
  bool ok = std::any_of(p.read_write_prefixes.begin(), p.read_write_prefixes.end(),
                        [&](const std::string& prefix) {
                          auto normal = ns::lexically_normal(prefix);
                          return normal && ns::is_at_or_below(path, *normal);
                        });
  if (!ok)
    throw_refused("read_write_prefixes",
                  "--read-write " + shown + " is outside the allowed prefixes");
}

bool in_group(const ns::Identity& who, const std::string& group) {
  auto g = group_by_name(group);  // throws when a source cannot answer
  if (!g) return false;
  return who.gid == g->gid ||
         std::find(g->members.begin(), g->members.end(), who.name) != g->members.end();
}

void check_user(const Policy& p, const Caller& caller, const ns::Identity& who) {
  if (who.uid == 0) throw_refused("users", "the server may never run as root (uid 0)");
  if (who.uid == caller.uid)
    throw_refused("users", "the server may not run as the calling hub user '" + caller.name +
                               "': that account holds the hub's secrets");
  if (who.uid < p.uid_min || who.uid > p.uid_max)
    throw_refused("users", "user '" + who.name + "' (uid " + std::to_string(who.uid) +
                               ") is outside the allowed uid range " + std::to_string(p.uid_min) +
                               "-" + std::to_string(p.uid_max));
  if (!p.user_group.empty() && !in_group(who, p.user_group))
    throw_refused("users", "user '" + who.name + "' is not in the group '" + p.user_group + "'");
}

void check_properties(const Policy& p, const std::vector<cg::LimitWrite>& writes) {
  for (const auto& w : writes)
    if (!cg::is_typed_limit_file(w.file) &&
        std::find(p.properties.begin(), p.properties.end(), w.file) == p.properties.end())
      throw_refused("properties", "--property " + w.file + " is not an allowed property");
}

void check_command(const Policy& p, const std::vector<std::string>& argv) {
  // Exact string match: no PATH search, no "..", no symlink of the caller's
  // making can stand in for an allowed path.
  const std::string& cmd = argv.front();
  if (std::find(p.commands.begin(), p.commands.end(), cmd) == p.commands.end())
    throw_refused(
        "commands", "'" + cmd.substr(0, 200) + "' is not an allowed command (allowed: " + [&] {
          std::string all;
          for (const auto& c : p.commands) all += (all.empty() ? "" : ", ") + c;
          return all;
        }() + ")");
}

// The policy's value for each ceiling the limit table names (the same keys
// as policy.json); UINT64_MAX when the policy sets none.
uint64_t ceiling_of(const Policy& p, std::string_view key) {
  if (key == "max_memory") return p.max_memory.value_or(UINT64_MAX);
  if (key == "max_cpu") return p.max_cpu_quota.value_or(UINT64_MAX);
  if (key == "max_tasks") return p.max_tasks.value_or(UINT64_MAX);
  throw std::logic_error("limit table names an unknown policy ceiling " + std::string(key));
}

std::string shown_ceiling(const cg::TypedLimit& l, uint64_t ceiling) {
  switch (l.kind) {
    case cg::LimitKind::Size:
      return std::to_string(ceiling) + " bytes";
    case cg::LimitKind::Cpus:
      return std::to_string(static_cast<double>(ceiling) / cg::kCpuPeriodUsec) + " CPUs";
    default:
      return std::to_string(ceiling);
  }
}

// What the planned writes ask of L, typed (bytes, quota per standard period,
// tasks); UINT64_MAX when it is not given or max: unlimited.
uint64_t asked(const std::vector<cg::LimitWrite>& writes, const cg::TypedLimit& l) {
  for (const auto& w : writes)
    if (w.file == l.file) return cg::amount(w.value).value_or(UINT64_MAX);
  return UINT64_MAX;
}

void check_flags(const Policy& p, const SpawnQuery& req) {
  if (req.allow_new_privileges && !p.allow_new_privileges)
    throw_refused("allow_new_privileges", "--allow-new-privileges is not allowed");
  if (req.allow_root && !p.allow_root) throw_refused("allow_root", "--allow-root is not allowed");
  if (req.seccomp_none && !p.allow_seccomp_none)
    throw_refused("allow_seccomp_none", "--seccomp none is not allowed");
  for (const auto& dev : req.mounts.devices)
    if (std::find(p.devices.begin(), p.devices.end(), dev) == p.devices.end())
      throw_refused("devices", "--device " + dev + " is not an allowed device");
  for (const auto& rw : req.mounts.read_write) check_read_write(p, lexical(rw), rw);
}

// A resource with no ceiling in the policy cannot be set at all; one with a
// ceiling may get a hard limit up to it.
void check_rlimits(const Policy& p, const SpawnQuery& req) {
  for (const auto& r : req.rlimits) {
    auto it = p.max_rlimits.find(r.name);
    if (it == p.max_rlimits.end())
      throw_refused("rlimits", "--rlimit " + r.name +
                                   " is not allowed: the policy's \"rlimits\" has no ceiling "
                                   "for it");
    if (r.hard > it->second)
      throw_refused("rlimits", "--rlimit " + r.name + " hard limit " + ns::rlimit_text(r.hard) +
                                   " is above the ceiling " + ns::rlimit_text(it->second) +
                                   ": pass NAME=SOFT:HARD with HARD at most that");
  }
}

void check_limits(const Policy& p, const SpawnQuery& req) {
  const auto& writes = req.limits;  // typed files can only come from typed flags
  check_properties(p, writes);
  for (const auto& l : cg::kTypedLimits) {
    if (!l.policy_ceiling) continue;
    const uint64_t ceiling = ceiling_of(p, l.policy_ceiling), want = asked(writes, l);
    if (want > ceiling)
      throw_refused(l.policy_ceiling, std::string(l.flag) +
                                          (want == UINT64_MAX ? " is missing or max" : " is too high") +
                                   ": the ceiling is " + shown_ceiling(l, ceiling) + "; pass " +
                                   l.flag + " at most that");
  }
}

}  // namespace

std::optional<Caller> delegated_caller() {
  // A setuid copy runs with the caller's real uid and environment: the
  // caller is that uid, whatever SUDO_UID says (anyone can set it).
  if (const uid_t real = ::getuid(); real != 0) {
    struct passwd* pw = ::getpwuid(real);
    return Caller{real, pw ? pw->pw_name : std::to_string(real)};
  }
  // Real uid 0: root itself, or sudo, which sets SUDO_UID from the invoking
  // user's real uid and resets the rest of the environment.
  if (const char* sudo_uid = std::getenv("SUDO_UID")) {
    char* end = nullptr;
    unsigned long uid = std::strtoul(sudo_uid, &end, 10);
    const char* name = std::getenv("SUDO_USER");
    if (end != sudo_uid && *end == '\0' && uid != 0)
      return Caller{static_cast<uid_t>(uid), name ? name : sudo_uid};
  }
  return std::nullopt;
}

Access load_access(const std::string& path) {
  Access access{delegated_caller(), load_policy(path)};
  if (access.caller && !access.policy)
    throw_refused("policy file", "cgspawn runs on behalf of '" + access.caller->name + "' but " +
                                     path + " does not exist: the admin must create it");
  return access;
}

std::string policy_root(const Policy& policy, const std::string& explicit_root) {
  if (policy.cgroup_root.empty()) {
    if (!explicit_root.empty())
      throw_refused("cgroup_root",
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
      throw_refused("cgroup_root",
                    "--cgroup-root " + explicit_root + " is not the allowed root " + allowed);
  }
  return allowed;
}

bool env_always_dropped(const Policy& policy, std::string_view name) {
  auto hit = [&](std::string_view pat) { return matches(pat, name); };
  return std::any_of(kAlwaysDropped.begin(), kAlwaysDropped.end(), hit) ||
         std::any_of(policy.drop_env.begin(), policy.drop_env.end(), hit);
}

void enforce_request(const Policy& policy, const Caller& caller, const SpawnQuery& req) {
  if (!req.command.empty()) check_command(policy, req.command);
  if (!req.account)
    check_dynamic_user_request(policy, req);
  else
    check_user(policy, caller, *req.account);
  check_paths_as_caller(caller, req);  // before check_flags resolves paths as root
  check_flags(policy, req);
  check_limits(policy, req);
  check_rlimits(policy, req);
}

void enforce_mounts(const Policy& policy, const ns::MountPlan& mounts) {
  // The names the plan resolved, once, by opening them; the child mounts
  // those very objects or nothing (namespaces/checked_path.hpp).
  for (const auto& [real, id] : mounts.read_write_checked)
    check_read_write(policy, real, real + " (resolved)");
}

void enforce_slice_set(const Policy& policy, const std::vector<cg::LimitWrite>& writes) {
  check_properties(policy, writes);
}

}  // namespace cgspawn
