// The sudo-mode policy: parsing, the ownership rule, and every refusal.
// (The same refusals through sudo in the systemd guest: tests/guest.)
#include "launcher/policy/policy.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/values.hpp"
#include "common/error.hpp"
#include "launcher/spawn/request.hpp"
#include "tests/launcher/policy/policy_fixture.hpp"
#include "tests/support/sandbox.hpp"

using cgspawn::Caller;
using cgspawn::Policy;
using cgspawn::SpawnRequest;

namespace {

using cgspawn::testing::judge;
using cgspawn::testing::kHub;

// A legitimate request for nobody (present on every host; the test policy's
// uid range admits it), which each case then spoils.
struct Request {
  SpawnRequest req;
  Request() {
    req.command = {"/usr/bin/jupyterhub-singleuser"};
    req.user = "nobody";
    req.limits.memory_max = "1G";
    req.limits.cpu_max = "1";
    req.limits.tasks_max = "100";
  }
};

Policy strict() {
  return cgspawn::parse_policy(R"({
    // comments are allowed
    "commands": ["/usr/bin/jupyterhub-singleuser"],
    "users": {"uid_min": 1000, "uid_max": 65534},
    "read_write_prefixes": ["/home"],
    "properties": ["io.weight"],
    "devices": ["/dev/nvidia0"],
    "max_memory": "2G", "max_cpu": 2, "max_tasks": 500,
    "drop_env": ["SECRET_*"]
  })",
                               "test");
}

void expect_refused(const Policy& p, const Request& r, const std::string& rule,
                    const Caller& caller = kHub) {
  try {
    judge(p, caller, r.req);
    ADD_FAILURE() << "not refused; expected rule " << rule;
  } catch (const cgspawn::Error& e) {
    EXPECT_EQ(e.kind(), cgspawn::ErrorKind::Refused) << e.what();
    EXPECT_NE(std::string(e.what()).find("(" + rule + ")"), std::string::npos) << e.what();
    // The audit record's CGSPAWN_RULE is this field (main.cpp), not a parse
    // of the message.
    EXPECT_EQ(e.rule(), rule) << e.what();
  }
}

}  // namespace

TEST(PolicyParse, DefaultsAreStrict) {
  Policy p = cgspawn::parse_policy("{}", "test");
  EXPECT_EQ(p.commands, std::vector<std::string>{"/usr/bin/jupyterhub-singleuser"});
  EXPECT_FALSE(p.allow_new_privileges || p.allow_root || p.allow_seccomp_none);
  EXPECT_TRUE(p.devices.empty() && p.read_write_prefixes.empty() && p.properties.empty());
  EXPECT_EQ(p.uid_min, 1000u);
}

TEST(PolicyParse, TyposAndBadValuesAreRefusedNotIgnored) {
  for (const char* bad : {R"({"allow_new_privilege": true})", R"({"users": {"gruop": "x"}})",
                          R"({"commands": "/bin/sh"})", R"({"commands": ["bin/sh"]})",
                          R"({"commands": ["/usr/bin/../bin/sh"]})", R"({"max_memory": "lots"})",
                          R"({"users": {"uid_min": 0}})", R"([1, 2])", "{not json"}) {
    try {
      cgspawn::parse_policy(bad, "policy.json");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const cgspawn::Error& e) {
      EXPECT_EQ(e.kind(), cgspawn::ErrorKind::Refused) << bad;
      EXPECT_NE(std::string(e.what()).find("policy.json"), std::string::npos) << e.what();
    }
  }
}

TEST(PolicyEnforce, LegitimateRequestPassesAndDropsLoaderVariables) {
  Request r;
  EXPECT_NO_THROW(judge(strict(), kHub, r.req));
  cgspawn::EnvList env{{"JUPYTERHUB_API_TOKEN", "t"},
                       {"LD_PRELOAD", "/tmp/evil.so"},
                       {"LD_LIBRARY_PATH", "/tmp"},
                       {"PYTHONPATH", "/tmp"},
                       {"PYTHONUSERBASE", "/tmp"},
                       {"PYTHONWARNINGS", "ignore::evil.W"},
                       {"PYTHONPYCACHEPREFIX", "/tmp"},
                       {"BASH_FUNC_ls%%", "() { id; }"},
                       {"SHELLOPTS", "xtrace"},
                       {"PS4", "$(id)"},
                       {"GCONV_PATH", "/tmp"},
                       {"NLSPATH", "/tmp/%N"},
                       {"NODE_PATH", "/tmp"},
                       {"SECRET_X", "1"},
                       {"PATH", "/usr/bin"}};
  cgspawn::drop_env(strict(), env);
  std::vector<std::string> keys;
  for (const auto& [k, v] : env) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"JUPYTERHUB_API_TOKEN", "PATH"}));
}

// --internal-ssl names no path: cgspawn alone picks where the files go (in
// the server's own namespace), so a strict policy has nothing to refuse.
TEST(PolicyEnforce, InternalSslIsAllowedItNamesNoPath) {
  Request r;
  r.req.env_stdin = true;
  r.req.internal_ssl = true;
  EXPECT_NO_THROW(judge(strict(), kHub, r.req));
}

TEST(PolicyEnforce, CommandMustMatchExactly) {
  for (const char* cmd : {"/bin/sh", "/usr/bin/../bin/jupyterhub-singleuser",
                          "/usr/bin//jupyterhub-singleuser", "jupyterhub-singleuser",
                          "/usr/bin/jupyterhub-singleuser-evil", "/tmp/jupyterhub-singleuser"}) {
    Request r;
    r.req.command = {cmd};
    expect_refused(strict(), r, "commands");
  }
}

TEST(PolicyEnforce, TargetUsers) {
  Request root;
  root.req.user = "root";
  expect_refused(strict(), root, "users");
  Request self;
  expect_refused(strict(), self, "users", Caller{65534, "nobody"});  // the hub's own account
  Policy narrow = strict();
  narrow.uid_max = 59999;
  expect_refused(narrow, Request{}, "users");
  Policy grouped = strict();
  grouped.user_group = "cgspawn-no-such-group";
  expect_refused(grouped, Request{}, "users");
}

TEST(PolicyEnforce, DangerousFlags) {
  Request nnp;
  nnp.req.allow_new_privileges = true;
  expect_refused(strict(), nnp, "allow_new_privileges");
  Request root;
  root.req.allow_root = true;
  expect_refused(strict(), root, "allow_root");
  Request seccomp;
  seccomp.req.seccomp = "none";
  expect_refused(strict(), seccomp, "allow_seccomp_none");
  Request dev;
  dev.req.mounts.devices = {"/dev/null"};  // one the caller can see: a missing one is "paths"
  expect_refused(strict(), dev, "devices");
  Request rw;
  rw.req.mounts.read_write = {"/etc"};
  expect_refused(strict(), rw, "read_write_prefixes");
  Request rw_dots;
  rw_dots.req.mounts.read_write = {"/home/../etc"};
  expect_refused(strict(), rw_dots, "read_write_prefixes");
  Request prop;
  prop.req.limits.properties = {"memory.high=max"};
  expect_refused(strict(), prop, "properties");
}

// Judged as the plan resolved it (once, by opening it), not as written.
TEST(PolicyEnforce, SymlinkIntoForbiddenPathIsResolved) {
  if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root to create under /home";
  cgspawn::testing::TempDir home("/home");
  ::chmod(home.path().c_str(), 0755);  // the caller's own rights must reach it
  std::string link = home.path() + "/etc-link";
  ASSERT_EQ(::symlink("/etc", link.c_str()), 0);
  Request r;
  r.req.mounts.read_write = {link};
  EXPECT_NO_THROW(judge(strict(), kHub, r.req));  // lexically below /home
  auto mounts = cgspawn::ns::make_mount_plan(r.req.mounts);
  try {
    cgspawn::enforce_mounts(strict(), mounts);
    ADD_FAILURE() << "a symlink to /etc passed as --read-write";
  } catch (const cgspawn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("(read_write_prefixes): --read-write /etc (resolved)"),
              std::string::npos)
        << e.what();
  }
  Request ok;
  ok.req.mounts.read_write = {home.path()};
  EXPECT_NO_THROW(judge(strict(), kHub, ok.req));
  EXPECT_NO_THROW(cgspawn::enforce_mounts(strict(), cgspawn::ns::make_mount_plan(ok.req.mounts)));
}

// Issue 13, finding 6: the policy once resolved --read-write itself and the
// plan again, so a symlink swapped in between (renameat2 RENAME_EXCHANGE)
// made /etc writable. The policy now judges the plan's own resolution.
TEST(PolicyEnforce, SwapBetweenRequestCheckAndPlanIsRefused) {
  cgspawn::testing::TempDir t;
  ::chmod(t.path().c_str(), 0755);  // the caller's own rights must reach it (CallerPaths)
  const std::string work = t.path() + "/home/hub/work", decoy = t.path() + "/home/hub/decoy";
  const std::string etc = t.path() + "/etc";
  t.put("home/hub/work/.keep", "");
  t.put("etc/.keep", "");
  ASSERT_EQ(::symlink(etc.c_str(), decoy.c_str()), 0);
  Policy p = strict();
  p.read_write_prefixes = {t.path() + "/home"};
  Request r;
  r.req.mounts.read_write = {work};
  ASSERT_NO_THROW(judge(p, kHub, r.req));
  ASSERT_EQ(::renameat2(AT_FDCWD, work.c_str(), AT_FDCWD, decoy.c_str(), RENAME_EXCHANGE), 0);
  auto mounts = cgspawn::ns::make_mount_plan(r.req.mounts);
  ASSERT_TRUE(mounts.read_write_checked.contains(etc));  // the swap took effect
  try {
    cgspawn::enforce_mounts(p, mounts);
    ADD_FAILURE() << "the swapped-in " << etc << " was allowed";
  } catch (const cgspawn::Error& e) {
    EXPECT_EQ(e.kind(), cgspawn::ErrorKind::Refused) << e.what();
    EXPECT_NE(std::string(e.what()).find(etc + " (resolved) is outside"), std::string::npos)
        << e.what();
  }
}

TEST(PolicyEnforce, Ceilings) {
  Request mem;
  mem.req.limits.memory_max = "3G";
  expect_refused(strict(), mem, "max_memory");
  Request no_mem;
  no_mem.req.limits.memory_max.reset();  // unlimited is above any ceiling
  expect_refused(strict(), no_mem, "max_memory");
  Request max_mem;
  max_mem.req.limits.memory_max = "max";
  expect_refused(strict(), max_mem, "max_memory");
  Request cpu;
  cpu.req.limits.cpu_max = "3";
  expect_refused(strict(), cpu, "max_cpu");
  Request tasks;
  tasks.req.limits.tasks_max = "max";
  expect_refused(strict(), tasks, "max_tasks");
  Request at_ceiling;
  at_ceiling.req.limits.memory_max = "2G";
  at_ceiling.req.limits.cpu_max = "2";
  at_ceiling.req.limits.tasks_max = "500";
  EXPECT_NO_THROW(judge(strict(), kHub, at_ceiling.req));
}

TEST(PolicyFile, MustBeRootOwnedAndNotWritableByOthers) {
  if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root to own the test policy";
  cgspawn::testing::TempDir dir("/var/lib");  // /, /var, /var/lib: root-owned, 0755
  ::chmod(dir.path().c_str(), 0755);
  dir.put("policy.json", R"({"max_tasks": 10})");
  const std::string file = dir.path() + "/policy.json";
  ::chmod(file.c_str(), 0644);
  auto p = cgspawn::load_policy(file);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->max_tasks, 10u);
  EXPECT_FALSE(cgspawn::load_policy(dir.path() + "/absent.json").has_value());

  ::chmod(file.c_str(), 0664);  // group-writable file
  EXPECT_THROW(cgspawn::load_policy(file), cgspawn::Error);
  ::chmod(file.c_str(), 0644);
  ::chmod(dir.path().c_str(), 0777);  // writable directory above it
  EXPECT_THROW(cgspawn::load_policy(file), cgspawn::Error);
  ::chmod(dir.path().c_str(), 0755);
  ASSERT_EQ(::chown(file.c_str(), 65534, 65534), 0);  // owned by someone else
  EXPECT_THROW(cgspawn::load_policy(file), cgspawn::Error);
  ASSERT_EQ(::chown(file.c_str(), 0, 0), 0);
  std::string link = dir.path() + "/link.json";
  ASSERT_EQ(::symlink(file.c_str(), link.c_str()), 0);
  EXPECT_THROW(cgspawn::load_policy(link), cgspawn::Error);
  EXPECT_NO_THROW(cgspawn::load_policy(file));
}

// Who the caller is, in a forked child (the test process keeps its ids and
// environment): CHILD_RUID is the real uid it switches to (-1: stays root,
// as under sudo), SUDO_UID the variable's value (nullptr: unset). Returns
// the caller's uid, -1 for "root itself", or -2 when the child failed.
static long caller_uid_in_child(long child_ruid, const char* sudo_uid) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (sudo_uid)
      ::setenv("SUDO_UID", sudo_uid, 1);
    else
      ::unsetenv("SUDO_UID");
    ::setenv("SUDO_USER", "spoofed", 1);
    // A setuid-root binary run by CHILD_RUID: real uid theirs, effective 0.
    if (child_ruid >= 0 && ::setresuid(static_cast<uid_t>(child_ruid), 0, 0) != 0) ::_exit(254);
    const auto caller = cgspawn::delegated_caller();
    ::_exit(!caller ? 255 : static_cast<int>(caller->uid % 200));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) == 254) return -2;
  return WEXITSTATUS(status) == 255 ? -1 : WEXITSTATUS(status);
}

// Finding 4 of issue 13: a setuid copy trusted SUDO_UID from its caller's
// environment, so the hub user could pose as another caller.
TEST(DelegatedCaller, SetuidCallerIsTheRealUidWhateverSudoUidSays) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to take a real uid while keeping euid 0";
  EXPECT_EQ(caller_uid_in_child(1500, "1000"), 1500 % 200) << "SUDO_UID trusted in setuid mode";
  EXPECT_EQ(caller_uid_in_child(1500, nullptr), 1500 % 200);
  EXPECT_EQ(caller_uid_in_child(1500, "0"), 1500 % 200) << "SUDO_UID=0 made the caller root";
}

TEST(DelegatedCaller, UnderSudoTheCallerIsSudoUid) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  EXPECT_EQ(caller_uid_in_child(-1, "1042"), 1042 % 200);
  EXPECT_EQ(caller_uid_in_child(-1, nullptr), -1) << "root itself has no delegated caller";
  EXPECT_EQ(caller_uid_in_child(-1, "0"), -1) << "sudo from root is root";
  EXPECT_EQ(caller_uid_in_child(-1, "12x"), -1) << "a malformed SUDO_UID names nobody";
}

// --rlimit through sudo: only resources the policy names, hard limit up to
// its ceiling (raising MEMLOCK or RTPRIO would let a user pin memory or
// starve the CPU), and a policy naming an unknown resource is refused.
TEST(PolicyEnforce, RlimitsNeedACeilingAndStayBelowIt) {
  Policy p = cgspawn::parse_policy(R"({"users": {"uid_min": 1000, "uid_max": 65534},
                                        "rlimits": {"NOFILE": "65536", "CORE": "0"}})",
                                   "test");
  Request ok;
  ok.req.rlimits = {"NOFILE=16384", "CORE=0"};
  EXPECT_NO_THROW(judge(p, kHub, ok.req));
  Request at_ceiling;
  at_ceiling.req.rlimits = {"NOFILE=1024:65536"};
  EXPECT_NO_THROW(judge(p, kHub, at_ceiling.req));

  Request above;
  above.req.rlimits = {"NOFILE=1024:65537"};
  expect_refused(p, above, "rlimits");
  Request infinite;
  infinite.req.rlimits = {"CORE=infinity"};
  expect_refused(p, infinite, "rlimits");
  Request unlisted;
  unlisted.req.rlimits = {"MEMLOCK=1G"};
  expect_refused(p, unlisted, "rlimits");
  expect_refused(cgspawn::parse_policy(R"({"users": {"uid_min": 1000, "uid_max": 65534}})", "test"),
                 ok, "rlimits");

  for (const char* bad : {R"({"rlimits": {"FILES": "10"}})", R"({"rlimits": {"NOFILE": "lots"}})",
                          R"({"rlimits": ["NOFILE"]})"}) {
    try {
      cgspawn::parse_policy(bad, "policy.json");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const cgspawn::Error& e) {
      EXPECT_EQ(e.kind(), cgspawn::ErrorKind::Refused) << bad;
      EXPECT_NE(std::string(e.what()).find("policy.json"), std::string::npos) << e.what();
    }
  }
}
