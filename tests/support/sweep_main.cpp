// cgspawn_test_sweep [--after]: remove what host tests that crashed or were
// killed left behind: cgroup2 roots MOUNT/cgspawn-test-* (processes killed
// through cgroup.kill, then rmdir bottom-up), and temp dirs
// cgspawn-test-* / cgspawn-ns-test-* (mounts below them detached first).
// Only sandboxes whose owner (named in them, see owner.hpp) is gone are
// touched: a test running in another build tree keeps its own. The cgroup v1
// hierarchies are never looked at: only the cgroup2 mount from mountinfo.
//
// ctest runs it before and after every test (FIXTURES_SETUP/CLEANUP). With
// --after, finding anything fails: some test of this run leaked.
#include <sys/mount.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/files.hpp"
#include "tests/support/owner.hpp"
#include "tests/support/sandbox.hpp"

namespace fs = std::filesystem;
using namespace cgspawn::testing;

namespace {

// The owner part of NAME when it is one of ours, else nullopt.
std::optional<std::string> sandbox_rest(const std::string& name) {
  for (const char* prefix : {"cgspawn-test-", "cgspawn-ns-test-"})
    if (name.rfind(prefix, 0) == 0) return name.substr(std::strlen(prefix));
  return std::nullopt;
}

// Stale sandboxes directly in DIR.
std::vector<std::string> stale_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    auto rest = sandbox_rest(e.path().filename().string());
    if (rest && e.is_directory(ec) && !e.is_symlink(ec) && !owner_may_be_alive(*rest))
      out.push_back(e.path().string());
  }
  return out;
}

// Mount points at or below DIR in this mount namespace, deepest first.
std::vector<std::string> mounts_below(const std::string& dir) {
  std::vector<std::string> out;
  std::istringstream in(cgspawn::read_file("/proc/self/mountinfo"));
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    std::string id, parent, devno, root, point;
    f >> id >> parent >> devno >> root >> point;
    if (point == dir || point.rfind(dir + "/", 0) == 0) out.push_back(point);
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.size() > b.size(); });
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const bool after = argc > 1 && std::strcmp(argv[1], "--after") == 0;
  int found = 0;
  if (const std::string mount = cgroup2_mount(); !mount.empty()) {
    for (const auto& root : stale_in(mount)) {
      remove_cgroup_tree(root);
      std::printf("sweep: removed stale test cgroup %s%s\n", root.c_str(),
                  fs::exists(root) ? " (FAILED: still there)" : "");
      ++found;
    }
  }
  std::vector<std::string> bases{"/tmp", "/var/lib", "/home"};
  if (const char* t = std::getenv("TMPDIR"); t && *t) bases.emplace_back(t);
  for (const auto& base : bases) {
    for (const auto& dir : stale_in(base)) {
      for (const auto& m : mounts_below(dir)) ::umount2(m.c_str(), MNT_DETACH);
      std::error_code ec;
      fs::remove_all(dir, ec);
      const std::string failed = ec ? " (FAILED: " + ec.message() + ")" : "";
      std::printf("sweep: removed stale test directory %s%s\n", dir.c_str(), failed.c_str());
      ++found;
    }
  }
  if (after && found) {
    std::printf("sweep: a test of this run left the %d sandbox(es) above behind\n", found);
    return 1;
  }
  return 0;
}
