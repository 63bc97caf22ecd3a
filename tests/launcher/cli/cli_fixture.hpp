// A fresh delegated-subtree sandbox on the real cgroup2 mount per test, with
// `cgspawn init` done, and helpers to run the binary in it (root only).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/sandbox.hpp"

namespace cgspawn::testing {

// The server's environment records on stdin: PATH only.
inline const std::string kServerEnv = std::string("PATH=/usr/sbin:/usr/bin:/sbin:/bin") + '\0';

// Sets NAME=VALUE for one scope, whatever happens (the test binary's
// children, cgspawn among them, inherit it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

class CliSandbox : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "needs root (cgroups, namespaces, setuid)";
    if (cgroup2_mount().empty()) GTEST_SKIP() << "no cgroup2 mount";
    sandbox_ = std::make_unique<CgroupSandbox>();
    auto r = cgspawn({"init"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  void TearDown() override { sandbox_.reset(); }

  // cgspawn SUBCOMMAND --cgroup-root SANDBOX ARGS... (a two-word subcommand
  // such as "slice set" is given as "slice", "set").
  RunResult cgspawn(std::vector<std::string> args, std::string_view stdin_data = {}) {
    std::vector<std::string> argv{CGSPAWN_BINARY};
    size_t words = args.size() > 1 && args[0] == "slice" ? 2 : 1;
    argv.insert(argv.end(), args.begin(), args.begin() + static_cast<long>(words));
    argv.insert(argv.end(), {"--cgroup-root", sandbox_->path()});
    argv.insert(argv.end(), args.begin() + static_cast<long>(words), args.end());
    return run(argv, stdin_data);
  }
  RunResult spawn(const std::string& unit, std::vector<std::string> opts,
                  std::vector<std::string> cmd, const std::string& env = kServerEnv) {
    std::vector<std::string> a{"spawn", "--unit", unit, "--env-stdin", "--log-target", "stderr"};
    a.insert(a.end(), opts.begin(), opts.end());
    a.emplace_back("--");
    a.insert(a.end(), cmd.begin(), cmd.end());
    return cgspawn(a, env);
  }
  [[nodiscard]] std::string users() const { return sandbox_->path() + "/users"; }
  [[nodiscard]] size_t child_count(const std::string& dir) const {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.is_directory()) ++n;
    return n;
  }
  static bool exists(const std::string& p) { return ::access(p.c_str(), F_OK) == 0; }

  std::unique_ptr<CgroupSandbox> sandbox_;
};

}  // namespace cgspawn::testing
