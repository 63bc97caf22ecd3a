#include "launcher/diagnostics/check.hpp"

#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "cgroup/cgroup_dir.hpp"
#include "cgroup/layout.hpp"
#include "cgroup/limits.hpp"
#include "cgroup/root.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "namespaces/mounts.hpp"
#include "namespaces/no_new_privs.hpp"
#include "namespaces/seccomp.hpp"

namespace cgspawn {
namespace {

enum class Verdict { Ok, Warn, Fail };

// One line of the report, in check-kernel.sh's shape: "FAIL check: message; fix".
// `id` is the stable key (kernel-check/README.md lists them) that programs
// match on; `what` and `message` are for people and may change.
struct Finding {
  Verdict verdict;
  std::string id, what, message, fix;
};

class Report {
 public:
  void ok(std::string id, std::string what, std::string message = {}) {
    add(Verdict::Ok, std::move(id), std::move(what), std::move(message), {});
  }
  void warn(std::string id, std::string what, std::string message, std::string fix = {}) {
    add(Verdict::Warn, std::move(id), std::move(what), std::move(message), std::move(fix));
  }
  void fail(std::string id, std::string what, std::string message, std::string fix = {}) {
    add(Verdict::Fail, std::move(id), std::move(what), std::move(message), std::move(fix));
  }
  [[nodiscard]] bool failed() const {
    for (const auto& f : findings_)
      if (f.verdict == Verdict::Fail) return true;
    return false;
  }
  // Text: one line per check. JSON: check-kernel.sh --json's document, so
  // one parser reads both; `error` only when the check could not run.
  void print(bool json, int exit_status, const std::string& cgroup,
             const std::string& error = {}) const {
    static const char* text_names[] = {"ok", "warn", "FAIL"};
    static const char* json_names[] = {"ok", "warn", "fail"};
    if (!json) {
      for (const auto& f : findings_)
        std::printf("%-4s %s%s%s%s%s\n", text_names[static_cast<int>(f.verdict)], f.what.c_str(),
                    f.message.empty() ? "" : ": ", f.message.c_str(), f.fix.empty() ? "" : "; ",
                    f.fix.c_str());
      return;
    }
    nlohmann::json all = nlohmann::json::array();
    bool warned = false;
    for (const auto& f : findings_) {
      warned = warned || f.verdict == Verdict::Warn;
      all.push_back({{"id", f.id},
                     {"status", json_names[static_cast<int>(f.verdict)]},
                     {"check", f.what},
                     {"message", f.message},
                     {"fix", f.fix}});
    }
    nlohmann::json doc = {
        {"verdict", !error.empty() ? "error"
                    : failed()     ? "fail"
                    : warned       ? "warn"
                                   : "ok"},
        {"exit_status", exit_status},
        {"cgroup", cgroup.empty() ? nlohmann::json(nullptr) : nlohmann::json(cgroup)},
        {"checks", all}};
    if (!error.empty()) doc["error"] = error;
    std::printf("%s\n", doc.dump(2).c_str());
  }

 private:
  void add(Verdict v, std::string id, std::string what, std::string message, std::string fix) {
    findings_.push_back({v, std::move(id), std::move(what), std::move(message), std::move(fix)});
  }
  std::vector<Finding> findings_;
};

void check_limits(const cg::CgroupDir& probe, Report& r) {
  for (const auto& p : cg::limit_probes()) {  // one per typed limit, from the limit table
    const std::string id = std::string("limit.") + p.file;
    std::string what = std::string("limit ") + p.file;
    if (!probe.has(p.file)) {
      std::string why = "not offered by the kernel for units; " + std::string(p.consequence);
      p.required ? r.fail(id, what, why, p.fix) : r.warn(id, what, why, p.fix);
      continue;
    }
    try {
      probe.write(p.file, p.value);
      std::string back(trim(probe.read(p.file)));
      if (back == p.expect)
        r.ok(id, what + " written and read back");
      else
        r.fail(id, what, "wrote '" + std::string(p.value) + "', read back '" + back + "'");
    } catch (const Error& e) {
      r.fail(id, what, e.what());
    }
  }
}

// In a forked child inside the probe cgroup: the isolation steps of a spawn.
// The child stops at the first step that fails; the steps that passed travel
// back as bits of its exit status (bit 0 the move, ... bit 3 seccomp).
void check_isolation(const cg::CgroupDir& probe, Report& r) {
  enum : int { kMoved = 1, kMountNs = 2, kNnp = 4, kSeccomp = 8 };
  pid_t pid = ::fork();
  if (pid < 0) {
    r.fail("isolation.fork", "fork a probe child", std::strerror(errno));
    return;
  }
  if (pid == 0) {
    int passed = 0;
    try {
      probe.move(0);
      passed |= kMoved;
      ns::MountRequest req;
      req.private_tmp = true;
      ns::enter_mount_namespace(ns::make_mount_plan(req));
      passed |= kMountNs;
      ns::set_no_new_privs();
      passed |= kNnp;
      ns::load_seccomp(ns::SeccompProfile::Default);
      if (::syscall(SYS_keyctl, 0, 0, 0, 0, 0) < 0 && errno == EPERM) passed |= kSeccomp;
    } catch (const Error&) {
    }
    _exit(passed);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  int passed = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
  auto verdict = [&](int bit, const char* id, const char* what, const char* why,
                     const char* fix = "") {
    (passed & bit) ? r.ok(id, what) : r.fail(id, what, why, fix);
  };
  verdict(kMoved, "isolation.cgroup_move", "move a process into a unit cgroup",
          "writing cgroup.procs was refused");
  verdict(kMountNs, "isolation.mount_namespace", "private mount namespace with a fresh /tmp",
          "unshare(CLONE_NEWNS) or the tmpfs mount failed: a private /tmp and read-only paths "
          "cannot work");
  verdict(kNnp, "isolation.no_new_privs", "no_new_privs", "prctl(PR_SET_NO_NEW_PRIVS) failed");
  verdict(kSeccomp, "isolation.seccomp", "seccomp filter (keyctl answered EPERM)",
          "loading the filter failed or did not take effect",
          "a kernel with CONFIG_SECCOMP_FILTER=y");
}

// On a systemd host, a cgroup systemd did not delegate may be rearranged or
// have its controllers reset by systemd at any time; systemd >= 251 marks
// delegated cgroups (and we accept a marked ancestor: D may be below one).
// Reading trusted.* needs CAP_SYS_ADMIN and systemd < 253 sets only that
// one, so for a non-root caller owning D is the proof: systemd chowns a
// cgroup to the unit's User= only for Delegate=yes.
void check_delegated(const std::string& root, Report& r) {
  struct stat st {};
  if (::stat("/run/systemd/system", &st) != 0) {
    r.warn("delegation", "delegation",
           "systemd is not running: make sure nothing else manages " + root);
    return;
  }
  for (std::string dir = root; dir.size() > 1; dir = dir.substr(0, dir.rfind('/'))) {
    for (const char* attr : {"trusted.delegate", "user.delegate"})
      if (::getxattr(dir.c_str(), attr, nullptr, 0) >= 0) {
        r.ok("delegation", "delegated by systemd (" + std::string(attr) + " on " + dir + ")");
        return;
      }
  }
  const uid_t uid = ::geteuid();
  if (uid != 0 && ::stat(root.c_str(), &st) == 0 && st.st_uid == uid) {
    r.ok("delegation", "delegated by systemd (" + root + " owned by uid " + std::to_string(uid) +
                           "; trusted.delegate is unreadable without CAP_SYS_ADMIN)");
    return;
  }
  r.fail("delegation", "delegation",
         root + " is not delegated by systemd (no trusted.delegate xattr)",
         "add Delegate=yes to the unit that owns it");
}

}  // namespace

int run_check(const std::string& cgroup_root, bool json) {
  Report r;
  std::string root;
  try {
    root = cg::resolve_root(cgroup_root);
    r.ok("root", "cgroup root " + root);
  } catch (const Error& e) {
    r.fail("root", "find the delegated cgroup", e.what());
    r.print(json, 2, {}, e.what());
    return 2;
  }
  check_delegated(root, r);
  cg::Layout layout(root);
  std::optional<cg::CgroupDir> users;
  try {
    users.emplace(layout.open_users());
    r.ok("units", "units directory " + users->path());
  } catch (const Error& e) {
    r.fail("units", "units directory", e.what(),
           "run `cgspawn init --cgroup-root " + root + "` (ExecStartPost= of its unit)");
    r.print(json, 1, root);
    return 1;
  }
  auto enabled = users->subtree_control();
  for (const char* c : {"memory", "cpu", "pids", "io"}) {
    const std::string id = std::string("controller.") + c;
    std::string what = std::string(c) + " controller enabled for units";
    if (enabled.contains(c))
      r.ok(id, what);
    else if (std::string_view(c) == "io")
      r.warn(id, what, "io.* properties (IOWeight) cannot be used");
    else
      r.fail(id, what, "not in " + users->path() + "/cgroup.subtree_control",
             "run `cgspawn init`; if it stays missing, run kernel-check");
  }
  std::string name = "cgspawn-check-" + std::to_string(::getpid());
  try {
    cg::CgroupDir probe = cg::CgroupDir::create(*users, name);
    cg::RemoveOnFailure remove(probe);  // removed on every path, success included
    r.ok("units.create", "create a unit cgroup");
    check_limits(probe, r);
    check_isolation(probe, r);
  } catch (const Error& e) {
    r.fail("units.create", "create a unit cgroup", e.what());
  }
  const int status = r.failed() ? 1 : 0;
  r.print(json, status, root);
  return status;
}

}  // namespace cgspawn
