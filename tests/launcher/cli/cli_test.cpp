// The cgspawn binary end to end on this host, as root, on the real cgroup2
// mount (no memory/cpu/pids controllers here: limits themselves are proven in
// the systemd guest). Every case runs in a fresh delegated-subtree sandbox
// that is removed, with everything in it, even when the case fails.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "common/files.hpp"
#include "launcher/policy/policy.hpp"
#include "namespaces/seccomp.hpp"
#include "tests/support/sandbox.hpp"

namespace fs = std::filesystem;
using cgspawn::testing::CgroupSandbox;
using cgspawn::testing::eventually;
using cgspawn::testing::RunResult;
using cgspawn::testing::TempDir;
using namespace std::string_literals;

namespace {

const std::string kEnv = "PATH=/usr/sbin:/usr/bin:/sbin:/bin\0"s;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cgspawn::testing::is_root()) GTEST_SKIP() << "needs root (cgroups, namespaces, setuid)";
    if (cgspawn::testing::cgroup2_mount().empty()) GTEST_SKIP() << "no cgroup2 mount";
    sandbox_ = std::make_unique<CgroupSandbox>();
    auto r = cgspawn({"init"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void TearDown() override { sandbox_.reset(); }

  RunResult cgspawn(std::vector<std::string> args, std::string_view stdin_data = {}) {
    std::vector<std::string> argv{CGSPAWN_BINARY, args.front(), "--cgroup-root", sandbox_->path()};
    argv.insert(argv.end(), args.begin() + 1, args.end());
    return cgspawn::testing::run(argv, stdin_data);
  }
  RunResult spawn(const std::string& unit, std::vector<std::string> opts,
                  std::vector<std::string> cmd, const std::string& env = kEnv) {
    std::vector<std::string> a{"spawn", "--unit", unit, "--env-stdin", "--log-target", "stderr"};
    a.insert(a.end(), opts.begin(), opts.end());
    a.emplace_back("--");
    a.insert(a.end(), cmd.begin(), cmd.end());
    return cgspawn(a, env);
  }
  std::string unit_path(const std::string& unit) const { return users() + "/" + unit; }
  std::string users() const { return sandbox_->path() + "/users"; }
  size_t unit_count() const {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(users()))
      if (e.is_directory()) ++n;
    return n;
  }
  std::unique_ptr<CgroupSandbox> sandbox_;
};

bool exists(const std::string& p) {
  return ::access(p.c_str(), F_OK) == 0;
}

std::string random_token() {
  std::random_device rd;
  std::ostringstream s;
  for (int i = 0; i < 4; ++i) s << std::hex << rd();
  return "tok" + s.str();
}

}  // namespace

TEST_F(Cli, InitBuildsLayoutMovesProcessesAndIsIdempotent) {
  EXPECT_TRUE(exists(sandbox_->path() + "/hub"));
  EXPECT_TRUE(exists(users()));
  pid_t child = ::fork();
  if (child == 0) {
    for (;;) ::pause();
  }
  cgspawn::write_file_at(cgspawn::open_dir(sandbox_->path()).get(), "cgroup.procs",
                         std::to_string(child), sandbox_->path());
  auto r = cgspawn({"init"});
  EXPECT_EQ(r.status, 0) << r.err;
  std::string cg = cgspawn::read_file("/proc/" + std::to_string(child) + "/cgroup");
  EXPECT_NE(cg.find("/hub\n"), std::string::npos) << cg;
  EXPECT_EQ(cgspawn::read_file(sandbox_->path() + "/cgroup.procs"), "");
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

TEST_F(Cli, BadRequestsExitTwoWithOneLineAndLeaveNothing) {
  struct Case {
    std::vector<std::string> opts;
    std::vector<std::string> cmd;
    std::string env;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"--user", "nobody", "--memory-max", "lots"}, {"/bin/true"}, kEnv, "--memory-max"},
      {{"--user", "no-such-user-xyz"}, {"/bin/true"}, kEnv, "no-such-user-xyz"},
      {{"--user", "root"}, {"/bin/true"}, kEnv, "--allow-root"},
      {{"--user", "nobody", "--device", "/dev/null"}, {"/bin/true"}, kEnv, "--private-devices"},
      {{"--user", "nobody", "--read-only", "/nonexistent-xyz"},
       {"/bin/true"},
       kEnv,
       "/nonexistent-xyz"},
      {{"--user", "nobody", "--cpu-max", "0"}, {"/bin/true"}, kEnv, "--cpu-max"},
      {{"--user", "nobody", "--seccomp", "strict"}, {"/bin/true"}, kEnv, "--seccomp"},
      {{"--user", "nobody", "--property", "cgroup.procs=1"}, {"/bin/true"}, kEnv, "cgroup.procs"},
      {{"--user", "nobody"}, {"/bin/true"}, "NOT A RECORD\0"s, "KEY=VALUE"},
  };
  for (const auto& c : cases) {
    auto r = spawn("bad-unit", c.opts, c.cmd, c.env);
    EXPECT_EQ(r.status, 2) << c.needle << ": " << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(unit_count(), 0u) << "left a cgroup after: " << c.needle;
  }
  auto r = spawn("../escape", {"--user", "nobody"}, {"/bin/true"});
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_FALSE(exists(sandbox_->path() + "/escape"));
}

// `spawn --json` (the spawner's start, issue 17): one JSON line naming the
// server's pid, the unit's cgroup and that cgroup's inode, which the spawner
// pins to poll its files; without --json the pid alone, as before.
TEST_F(Cli, SpawnJsonNamesThePidTheCgroupAndItsInode) {
  auto r = spawn("js", {"--user", "nobody", "--json"}, {"/bin/sleep", "60"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto line = nlohmann::json::parse(r.out);
  ASSERT_TRUE(line.is_object()) << r.out;
  EXPECT_EQ(line["path"], unit_path("js")) << r.out;
  struct stat st {};
  ASSERT_EQ(::stat(unit_path("js").c_str(), &st), 0);
  EXPECT_EQ(line["cgroup_inode"].get<uint64_t>(), static_cast<uint64_t>(st.st_ino)) << r.out;
  const std::string pid = std::to_string(line["pid"].get<int>());
  EXPECT_NE(cgspawn::read_file(unit_path("js") + "/cgroup.procs").find(pid), std::string::npos);
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "more than one line: " << r.out;
  auto plain = spawn("plain", {"--user", "nobody"}, {"/bin/sleep", "60"});
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(plain.out.find_first_not_of("0123456789"), plain.out.size() - 1) << plain.out;
  EXPECT_EQ(cgspawn({"stop", "js", "--timeout", "0"}).status, 0);
  EXPECT_EQ(cgspawn({"stop", "plain", "--timeout", "0"}).status, 0);
}

TEST_F(Cli, ExecFailureIs127Or126AndRemovesTheUnit) {
  auto r = spawn("nocmd", {"--user", "nobody"}, {"/nonexistent/server"});
  EXPECT_EQ(r.status, 127) << r.err;
  EXPECT_NE(r.err.find("/nonexistent/server"), std::string::npos) << r.err;
  r = spawn("nocmd", {"--user", "nobody"}, {"no-such-command-xyz"});
  EXPECT_EQ(r.status, 127) << r.err;
  r = spawn("noexec", {"--user", "nobody"}, {"/etc/hostname"});
  EXPECT_EQ(r.status, 126) << r.err;
  EXPECT_EQ(unit_count(), 0u);
}

TEST_F(Cli, ServerRunsIsolatedAsTheUserWithOnlyItsEnvironment) {
  TempDir out("/var/lib");  // outside the private /tmp, writable by nobody
  ::chmod(out.path().c_str(), 0777);
  ::setenv("CGSPAWN_TEST_LEAK", "from-launcher-env", 1);
  const std::string o = out.path();
  const std::string script =
      "id -u >" + o + "/uid; id -G >" + o + "/groups; grep NoNewPrivs /proc/self/status >" + o +
      "/nnp; (echo x >/usr/cgspawn-probe) 2>" + o +
      "/usr_err; echo private >/tmp/cgspawn-mark; ls -A /tmp >" + o +
      "/tmp_list; cat /proc/self/cgroup >" + o + "/cgroup; env >" + o + "/env; pwd >" + o +
      "/pwd; readlink /proc/self/fd/0 >" + o + "/stdin; echo ok >" + o + "/done";
  auto r = spawn("iso",
                 {"--user", "nobody", "--private-tmp", "--read-only", "/", "--read-write", o,
                  "--setenv-defaults", "--workdir", o},
                 {"/bin/sh", "-c", script}, kEnv + "MARK=given\0"s);
  ::unsetenv("CGSPAWN_TEST_LEAK");
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(eventually([&] { return out.get("done") == "ok\n"; })) << out.get("usr_err");
  EXPECT_EQ(out.get("uid"), "65534\n");
  EXPECT_EQ(out.get("nnp"), "NoNewPrivs:\t1\n");
  EXPECT_NE(out.get("usr_err").find("Read-only file system"), std::string::npos)
      << out.get("usr_err");
  EXPECT_EQ(out.get("tmp_list"), "cgspawn-mark\n");  // a fresh /tmp: only its own file
  EXPECT_FALSE(exists("/tmp/cgspawn-mark"));         // and the host never sees it
  // Its own cgroup namespace, rooted at its unit (CgroupView below).
  EXPECT_NE(out.get("cgroup").find("0::/\n"), std::string::npos) << out.get("cgroup");
  std::string env = out.get("env");
  EXPECT_NE(env.find("MARK=given"), std::string::npos) << env;
  EXPECT_NE(env.find("HOME="), std::string::npos) << env;
  EXPECT_EQ(env.find("CGSPAWN_TEST_LEAK"), std::string::npos) << env;
  EXPECT_EQ(out.get("pwd"), o + "\n");
  EXPECT_EQ(out.get("stdin"), "/dev/null\n");  // not the env stream
  EXPECT_EQ(out.get("groups"), "65534\n");
}

TEST_F(Cli, CgroupViewIsTheUnitReadOnlyUnlessSwitchedOff) {
  TempDir out("/var/lib");
  ::chmod(out.path().c_str(), 0777);
  const std::string o = out.path();
  auto probe = [&](const std::string& tag) {
    return "cat /proc/self/cgroup >" + o + "/" + tag +
           "-cgroup; cat /sys/fs/cgroup/cgroup.procs >" + o + "/" + tag +
           "-procs; (echo 1 >/sys/fs/cgroup/cgroup.procs) 2>" + o + "/" + tag +
           "-write; echo ok >" + o + "/" + tag + "-done";
  };
  auto own = spawn("view", {"--user", "nobody"}, {"/bin/sh", "-c", probe("own")});
  ASSERT_EQ(own.status, 0) << own.err;
  ASSERT_TRUE(eventually([&] { return out.get("own-done") == "ok\n"; }));
  // The cgroup2 line ("0::PATH"; a hybrid host lists its v1 ones first).
  const std::string cgroup = "\n" + out.get("own-cgroup");
  EXPECT_NE(cgroup.find("\n0::/\n"), std::string::npos) << cgroup;
  // Its root is its unit: the only processes listed are its own (the shell, cat).
  EXPECT_NE(out.get("own-procs").find(own.out.substr(0, own.out.find('\n'))), std::string::npos)
      << out.get("own-procs") << " vs pid " << own.out;
  EXPECT_NE(out.get("own-write").find("Read-only file system"), std::string::npos)
      << out.get("own-write");
  auto host = spawn("view-host", {"--user", "nobody", "--no-cgroup-namespace"},
                    {"/bin/sh", "-c", probe("host")});
  ASSERT_EQ(host.status, 0) << host.err;
  ASSERT_TRUE(eventually([&] { return out.get("host-done") == "ok\n"; }));
  EXPECT_NE(out.get("host-cgroup").find("/users/view-host\n"), std::string::npos)
      << out.get("host-cgroup");
}

TEST_F(Cli, TokenOnStdinNeverAppearsInAnyCmdline) {
  const std::string token = random_token();
  auto r = spawn("tok", {"--user", "nobody"}, {"/bin/sleep", "60"},
                 kEnv + "JUPYTERHUB_API_TOKEN=" + token + "\0"s);
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string pid = std::string(cgspawn::trim(r.out));
  std::string server_env = cgspawn::read_file("/proc/" + pid + "/environ");
  EXPECT_NE(server_env.find(token), std::string::npos) << "the server did not get its token";
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::string name = e.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline;
    try {
      cmdline = cgspawn::read_file(e.path().string() + "/cmdline");
    } catch (...) {
      continue;  // exited meanwhile
    }
    EXPECT_EQ(cmdline.find(token), std::string::npos) << "token in /proc/" << name << "/cmdline";
  }
  EXPECT_EQ(cgspawn({"stop", "tok"}).status, 0);
  EXPECT_FALSE(exists(unit_path("tok")));
}

TEST_F(Cli, StopKillsStubbornAndDaemonizedProcessesAndRemovesTheCgroup) {
  const std::string script =
      "trap '' TERM; setsid sh -c 'trap \"\" TERM; exec sleep 600' </dev/null >/dev/null 2>&1 & "
      "sleep 600";
  auto r = spawn("stubborn", {"--user", "nobody"}, {"/bin/sh", "-c", script});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(eventually([&] {
    // One read: begin() and end() must come from the same string.
    const std::string procs = cgspawn::read_file(unit_path("stubborn") + "/cgroup.procs");
    return std::count(procs.begin(), procs.end(), '\n') >= 3;
  })) << "the daemon never started";
  std::string pids = cgspawn::read_file(unit_path("stubborn") + "/cgroup.procs");
  auto t0 = std::chrono::steady_clock::now();
  auto s = cgspawn({"stop", "stubborn", "--timeout", "1"});
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(s.status, 0) << s.err;
  EXPECT_LT(took, 8.0);
  EXPECT_FALSE(exists(unit_path("stubborn")));
  std::istringstream in(pids);
  for (std::string pid; in >> pid;)
    EXPECT_TRUE(eventually(
        [&] {
          return !exists("/proc/" + pid + "/status") ||
                 cgspawn::read_file("/proc/" + pid + "/status").find("State:\tZ") !=
                     std::string::npos;
        },
        2))
        << "pid " << pid << " survived";
  EXPECT_EQ(cgspawn({"stop", "stubborn"}).status, 0) << "stop is not idempotent";
}

TEST_F(Cli, StatusListAndCleanupFollowTheUnitsLife) {
  auto r = spawn("life", {"--user", "nobody"}, {"/bin/sleep", "60"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string pid = std::string(cgspawn::trim(r.out));
  auto st = cgspawn({"status", "life", "--json"});
  EXPECT_EQ(st.status, 0) << st.err;
  EXPECT_NE(st.out.find("\"state\":\"running\""), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("\"pids\":[" + pid + "]"), std::string::npos) << st.out;
  auto dup = spawn("life", {"--user", "nobody"}, {"/bin/true"});
  EXPECT_EQ(dup.status, 2) << dup.err;
  EXPECT_NE(dup.err.find("already running"), std::string::npos) << dup.err;
  auto ls = cgspawn({"list", "--json"});
  EXPECT_NE(ls.out.find("\"unit\":\"life\""), std::string::npos) << ls.out;
  EXPECT_EQ(cgspawn({"cleanup", "life"}).status, 2) << "cleanup removed a running unit";
  ::kill(std::stoi(pid), SIGTERM);  // the server exits on its own
  ASSERT_TRUE(eventually([&] { return cgspawn({"status", "life"}).status == 3; }));
  EXPECT_NE(cgspawn({"status", "life", "--json"}).out.find("\"state\":\"exited\""),
            std::string::npos);
  EXPECT_EQ(cgspawn({"cleanup", "life"}).status, 0);
  auto gone = cgspawn({"status", "life", "--json"});
  EXPECT_EQ(gone.status, 3);
  EXPECT_NE(gone.out.find("\"state\":\"absent\""), std::string::npos) << gone.out;
}

// The owner record (cgroup/owner.hpp): root writes it as a trusted.* xattr
// on the unit's cgroup, status shows it, and a stop naming another owner
// leaves the unit running.
TEST_F(Cli, OwnerIsRecordedShownAndGuardsStop) {
  const std::string alice = R"(["alice", ""])";
  const std::string bob = R"(["bob", "lab"])";
  auto r = spawn("owned", {"--user", "nobody", "--owner", alice}, {"/bin/sleep", "60"});
  ASSERT_EQ(r.status, 0) << r.err;
  std::string recorded(64, '\0');
  ssize_t n = ::getxattr(unit_path("owned").c_str(), "trusted.cgspawn.owner", recorded.data(),
                         recorded.size());
  ASSERT_GT(n, 0) << std::strerror(errno);
  EXPECT_EQ(recorded.substr(0, static_cast<std::size_t>(n)), alice);
  auto st = cgspawn({"status", "owned", "--json"});
  EXPECT_NE(st.out.find(R"("owner":"[\"alice\", \"\"]")"), std::string::npos) << st.out;
  auto refused = cgspawn({"stop", "owned", "--owner", bob});
  EXPECT_EQ(refused.status, 2) << refused.err;
  EXPECT_NE(refused.err.find("belongs to " + alice + ", not to " + bob), std::string::npos)
      << refused.err;
  EXPECT_EQ(cgspawn({"status", "owned"}).status, 0) << "a stop naming another owner stopped it";
  EXPECT_EQ(cgspawn({"stop", "owned", "--owner", alice, "--timeout", "0"}).status, 0);
  EXPECT_FALSE(exists(unit_path("owned")));
  // A unit without a record (an older cgspawn's) is stopped whatever --owner says.
  ASSERT_EQ(spawn("unowned", {"--user", "nobody"}, {"/bin/sleep", "60"}).status, 0);
  EXPECT_NE(cgspawn({"status", "unowned", "--json"}).out.find(R"("owner":null)"),
            std::string::npos);
  EXPECT_EQ(cgspawn({"stop", "unowned", "--owner", bob, "--timeout", "0"}).status, 0);
  auto bad = spawn("badowner", {"--user", "nobody", "--owner", "a\nb"}, {"/bin/true"});
  EXPECT_EQ(bad.status, 2) << bad.err;
  EXPECT_NE(bad.err.find("control characters"), std::string::npos) << bad.err;
  EXPECT_FALSE(exists(unit_path("badowner")));
}

TEST_F(Cli, SliceHoldsItsUnits) {
  auto r = spawn("in-slice", {"--user", "nobody", "--slice", "students"}, {"/bin/sleep", "60"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(exists(users() + "/students/in-slice"));
  auto ls = cgspawn({"list", "--json"});
  EXPECT_NE(ls.out.find("\"slice\":\"students\""), std::string::npos) << ls.out;
  EXPECT_EQ(cgspawn({"stop", "in-slice"}).status, 0);
  EXPECT_FALSE(exists(users() + "/students/in-slice"));
}

// On this host the unified hierarchy has no memory/cpu/pids controllers:
// check must say so (exit 1), still prove the isolation steps, and leave no
// probe cgroup behind.
TEST_F(Cli, CheckReportsMissingControllersAndCleansUp) {
  auto r = cgspawn({"check"});
  const bool host_has_controllers = r.out.find("FAIL memory controller") == std::string::npos;
  if (host_has_controllers) {
    EXPECT_EQ(r.status, 0) << r.out;
  } else {
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find("FAIL limit memory.max"), std::string::npos) << r.out;
  }
  EXPECT_NE(r.out.find("ok   private mount namespace"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok   seccomp filter"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok   no_new_privs"), std::string::npos) << r.out;
  EXPECT_EQ(unit_count(), 0u) << "the probe cgroup was left behind";
  auto j = cgspawn({"check", "--json"});
  EXPECT_EQ(j.status, r.status);
  EXPECT_NE(j.out.find("\"checks\""), std::string::npos) << j.out;
}

TEST_F(Cli, CheckBeforeInitSaysRunInit) {
  CgroupSandbox bare;  // not initialised
  auto r = cgspawn::testing::run({CGSPAWN_BINARY, "check", "--cgroup-root", bare.path()});
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("cgspawn init"), std::string::npos) << r.out;
}

// Through sudo (SUDO_UID set) without the admin's policy file, cgspawn does
// nothing at all: exit 4, one line, no cgroup.
TEST_F(Cli, SudoModeWithoutPolicyRefusesToRun) {
  if (::access(cgspawn::kPolicyPath, F_OK) == 0) GTEST_SKIP() << "a policy file exists here";
  ::setenv("SUDO_UID", "1500", 1);
  ::setenv("SUDO_USER", "jhub", 1);
  auto r = spawn("via-sudo", {"--user", "nobody"}, {"/bin/true"});
  ::unsetenv("SUDO_UID");
  ::unsetenv("SUDO_USER");
  EXPECT_EQ(r.status, 4) << r.err;
  EXPECT_NE(r.err.find("policy"), std::string::npos) << r.err;
  EXPECT_EQ(unit_count(), 0u);
}

// `spawn --help` names the denied syscall groups from the table the filter is
// built from (namespaces/seccomp.cpp), not from a retyped list.
TEST(CliHelp, SeccompHelpIsPrintedFromTheFilterTable) {
  auto r = cgspawn::testing::run({CGSPAWN_BINARY, "spawn", "--help"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("Syscall filter: default (deny " + cgspawn::ns::default_denied_summary() +
                       ") or none"),
            std::string::npos)
      << r.out;
  EXPECT_NE(cgspawn::ns::default_denied_summary().find("kexec, modules, reboot, swap, keyrings"),
            std::string::npos);
}

// main.cpp defines only the subcommand argv[1] names (kSubcommandNames, for
// a cheap start): each one `--help` lists must still be the one defined
// under its name, with its own help.
TEST(CliHelp, EachSubcommandNamedAloneIsTheOneDefined) {
  auto all = cgspawn::testing::run({CGSPAWN_BINARY, "--help"});
  ASSERT_EQ(all.status, 0) << all.err;
  std::istringstream lines(all.out.substr(all.out.find("Subcommands:")));
  std::vector<std::string> names;
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("  ") && line.size() > 2 && line[2] != ' ')
      names.push_back(line.substr(2, line.find(' ', 2) - 2));
  ASSERT_EQ(names.size(), 11u) << all.out;  // launcher/cli/subcommands.hpp's table
  for (const auto& name : names) {
    auto r = cgspawn::testing::run({CGSPAWN_BINARY, name, "--help"});
    EXPECT_EQ(r.status, 0) << name << ": " << r.err;
    EXPECT_NE(r.out.find("cgspawn " + name + " [OPTIONS]"), std::string::npos) << r.out;
  }
}

// `cgspawn --version` (defined without any subcommand's options: the start
// bench/native.py measures) prints the version and exits 0.
TEST(CliHelp, VersionPrintsTheVersionAndExitsZero) {
  auto r = cgspawn::testing::run({CGSPAWN_BINARY, "--version"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("cgspawn ") && r.out.find_first_of("0123456789") == 8) << r.out;
  EXPECT_EQ(r.err, "");
}
