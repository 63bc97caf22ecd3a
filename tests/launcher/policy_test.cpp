// The sudo-mode policy: parsing, the ownership rule, and every refusal.
// (The same refusals through sudo in the systemd guest: tests/guest.)
#include "launcher/policy.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/values.hpp"
#include "common/error.hpp"
#include "tests/support/sandbox.hpp"

using cgspawn::Caller;
using cgspawn::Policy;
using cgspawn::SpawnPlan;
using cgspawn::SpawnRequest;

namespace {

const Caller kHub{1500, "jhub"};

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
    cgspawn::enforce_request(p, caller, r.req);
    ADD_FAILURE() << "not refused; expected rule " << rule;
  } catch (const cgspawn::Error& e) {
    EXPECT_EQ(e.kind(), cgspawn::ErrorKind::Refused) << e.what();
    EXPECT_NE(std::string(e.what()).find("(" + rule + ")"), std::string::npos) << e.what();
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
  EXPECT_NO_THROW(cgspawn::enforce_request(strict(), kHub, r.req));
  cgspawn::EnvList env{{"JUPYTERHUB_API_TOKEN", "t"},
                       {"LD_PRELOAD", "/tmp/evil.so"},
                       {"LD_LIBRARY_PATH", "/tmp"},
                       {"PYTHONPATH", "/tmp"},
                       {"SECRET_X", "1"},
                       {"PATH", "/usr/bin"}};
  cgspawn::drop_env(strict(), env);
  std::vector<std::string> keys;
  for (const auto& [k, v] : env) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"JUPYTERHUB_API_TOKEN", "PATH"}));
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

TEST(PolicyEnforce, SymlinkIntoForbiddenPathIsResolved) {
  if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root to create under /home";
  cgspawn::testing::TempDir home("/home");
  ::chmod(home.path().c_str(), 0755);  // the caller's own rights must reach it
  std::string link = home.path() + "/etc-link";
  ASSERT_EQ(::symlink("/etc", link.c_str()), 0);
  Request r;
  r.req.mounts.read_write = {link};
  expect_refused(strict(), r, "read_write_prefixes");
  Request ok;
  ok.req.mounts.read_write = {home.path()};
  EXPECT_NO_THROW(cgspawn::enforce_request(strict(), kHub, ok.req));
}

TEST(PolicyEnforce, Ceilings) {
  Request mem;
  mem.req.limits.memory_max = "3G";
  expect_refused(strict(), mem, "max_memory");
  Request no_mem;
  no_mem.req.limits.memory_max.clear();  // unlimited is above any ceiling
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
  EXPECT_NO_THROW(cgspawn::enforce_request(strict(), kHub, at_ceiling.req));
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
