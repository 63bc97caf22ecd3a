// PrivateDevices: the child's /dev is a minimal tmpfs with working basic
// nodes and ptys, the requested device and nothing else.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <array>
#include <iostream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "host_fixtures.hpp"
#include "mount_request.hpp"
#include "namespaces/mounts.hpp"

namespace cgspawn::ns {
namespace {

using testing::ChildChecks;
using testing::MountSnapshot;
using testing::Request;
using testing::run_in_child;

bool is_char_device(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode);
}

// Host character devices outside the default set: [0] is requested, [1] not.
std::vector<std::string> spare_char_devices() {
  std::vector<std::string> out;
  for (const char* p : {"/dev/kmsg", "/dev/mem", "/dev/loop-control", "/dev/fuse", "/dev/autofs",
                        "/dev/btrfs-control", "/dev/cpu_dma_latency"})
    if (is_char_device(p)) out.emplace_back(p);
  return out;
}

// A block device node of the host, from /sys/block; "" when there is none.
std::string host_block_device() {
  std::string found;
  if (DIR* d = ::opendir("/sys/block")) {
    while (dirent* e = ::readdir(d)) {
      struct stat st {};
      const std::string p = std::string("/dev/") + e->d_name;
      if (e->d_name[0] != '.' && ::stat(p.c_str(), &st) == 0 && S_ISBLK(st.st_mode)) {
        found = p;
        break;
      }
    }
    ::closedir(d);
  }
  return found;
}

// Every block device under DIR (recursively, not following symlinks).
void find_block_devices(const std::string& dir, std::vector<std::string>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    const std::string p = dir + "/" + name;
    if (::lstat(p.c_str(), &st) != 0) continue;
    if (S_ISBLK(st.st_mode)) out.push_back(p);
    if (S_ISDIR(st.st_mode)) find_block_devices(p, out);
  }
  ::closedir(d);
}

std::string link_target(const char* path) {
  char buf[256];
  const ssize_t n = ::readlink(path, buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

void check_pty(ChildChecks& c) {
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  c.expect_ok(master, "posix_openpt");
  if (master < 0) return;
  c.expect_ok(::grantpt(master), "grantpt");
  c.expect_ok(::unlockpt(master), "unlockpt");
  const char* name = ::ptsname(master);
  c.expect(name && std::string(name).rfind("/dev/pts/", 0) == 0, "ptsname outside /dev/pts");
  if (name) {
    const int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    c.expect_ok(slave, std::string("open pty slave ") + name);
    if (slave >= 0) ::close(slave);
  }
  ::close(master);
}

TEST(PrivateDevices, MinimalDevWithPtysAndOnlyRequestedDevices) {
  CGSPAWN_SKIP_UNLESS_ROOT();
  const auto spare = spare_char_devices();
  const std::string block = host_block_device();
  if (block.empty()) std::cout << "note: no host block device found, block check weaker\n";
  if (spare.size() < 2) std::cout << "note: fewer than two spare char devices on this host\n";
  std::vector<std::string> requested;
  if (!spare.empty()) requested.push_back(spare[0]);
  // A node in a subdirectory needs its directories created in the new /dev.
  const bool tun = is_char_device("/dev/net/tun");
  if (tun) requested.push_back("/dev/net/tun");
  const MountPlan plan = make_mount_plan(Request().private_devices().devices(requested));
  const std::string shm_file = "/dev/shm/cgspawn-ns-test-" + std::to_string(::getpid());
  testing::RemoveOnExit shm_cleanup(shm_file);
  const MountSnapshot before;

  const auto r = run_in_child([&](ChildChecks& c) {
    enter_mount_namespace(plan);
    struct statfs fs {};
    c.expect(::statfs("/dev", &fs) == 0 && fs.f_type == TMPFS_MAGIC, "/dev is not a tmpfs");

    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    c.expect(null >= 0 && ::write(null, "x", 1) == 1, "write /dev/null");
    if (null >= 0) ::close(null);
    const int urandom = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    char buf[16];
    c.expect(urandom >= 0 && ::read(urandom, buf, sizeof buf) == sizeof buf, "read /dev/urandom");
    if (urandom >= 0) ::close(urandom);
    for (const char* p : {"/dev/zero", "/dev/full", "/dev/random", "/dev/tty"})
      c.expect(is_char_device(p), std::string(p) + " missing");

    check_pty(c);
    c.expect(link_target("/dev/ptmx") == "pts/ptmx", "/dev/ptmx is not a link to pts/ptmx");
    c.expect(link_target("/dev/fd") == "/proc/self/fd", "/dev/fd link");
    c.expect(link_target("/dev/stderr") == "/proc/self/fd/2", "/dev/stderr link");
    c.expect_ok(::open(shm_file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600), "write /dev/shm");

    std::vector<std::string> blocks;
    find_block_devices("/dev", blocks);
    c.expect(blocks.empty(),
             "block devices in the private /dev: " + ::testing::PrintToString(blocks));
    if (!block.empty()) c.expect(::access(block.c_str(), F_OK) != 0, block + " is visible");
    if (!spare.empty()) c.expect(is_char_device(spare[0]), "requested " + spare[0] + " missing");
    if (tun) c.expect(is_char_device("/dev/net/tun"), "requested /dev/net/tun missing");
    if (spare.size() > 1)
      c.expect(::access(spare[1].c_str(), F_OK) != 0, "unrequested " + spare[1] + " visible");
  });
  EXPECT_TRUE(r.passed) << r.failures;
  const auto changes = MountSnapshot::changes(before, MountSnapshot(), {"/dev"});
  EXPECT_TRUE(changes.empty()) << ::testing::PrintToString(changes);
  EXPECT_NE(::access(shm_file.c_str(), F_OK), 0) << shm_file << " leaked to the host";
}

}  // namespace
}  // namespace cgspawn::ns
