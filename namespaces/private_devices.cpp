#include "namespaces/private_devices.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "common/nss.hpp"

namespace cgspawn::ns {
namespace {

constexpr const char* kStep = "private /dev";
constexpr std::array<const char*, 6> kDefaultNodes = {"/dev/null",   "/dev/zero",    "/dev/full",
                                                      "/dev/random", "/dev/urandom", "/dev/tty"};

struct HostNode {
  std::string path;
  UniqueFd fd;  // O_PATH to the host node: the bind source once /dev is covered
};

HostNode open_host_node(const std::string& path, bool required) {
  UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT && !required) return {path, UniqueFd()};
    throw_system(kStep, path, errno, "opening the host device node");
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_system(kStep, path, errno, "fstat");
  // Default nodes must be character devices (no block devices by default);
  // requested ones were checked by the plan and are re-checked here.
  if (!S_ISCHR(st.st_mode) && (!required || !S_ISBLK(st.st_mode)))
    throw_system(kStep, path, ENODEV, "not a device node");
  return {path, std::move(fd)};
}

void make_dirs(const std::string& path) {
  for (size_t pos = std::string("/dev/").size(); (pos = path.find('/', pos)) != std::string::npos;
       ++pos) {
    const std::string dir = path.substr(0, pos);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      throw_system(kStep, dir, errno, "mkdir");
  }
}

// The mount point is an empty file in the new tmpfs; the source is reached
// through the O_PATH fd because the host node is now covered.
void bind_node(const HostNode& node) {
  make_dirs(node.path);
  UniqueFd placeholder(::open(node.path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644));
  if (!placeholder) throw_system(kStep, node.path, errno, "creating the mount point");
  const std::string source = "/proc/self/fd/" + std::to_string(node.fd.get());
  if (::mount(source.c_str(), node.path.c_str(), nullptr, MS_BIND, nullptr) != 0)
    throw_system(kStep, node.path, errno, "bind-mounting the host node");
}

void mount_fs(const char* type, const char* target, unsigned long flags, const std::string& data) {
  if (::mount(type, target, type, flags, data.c_str()) != 0)
    throw_system(kStep, target, errno, std::string("mounting ") + type + " " + data);
}

void symlink_to(const char* target, const char* link) {
  if (::symlink(target, link) != 0) throw_system(kStep, link, errno, "symlink");
}

// No tty group: the pts keep the default gid. A source that cannot answer
// throws rather than leave the ptys to the wrong group silently.
std::string tty_gid_option() {
  auto tty = group_by_name("tty");
  return tty ? ",gid=" + std::to_string(tty->gid) : "";
}

}  // namespace

void mount_private_devices(const std::vector<std::string>& devices) {
  // Everything needed from the host /dev is taken before it is covered.
  std::vector<HostNode> nodes;
  for (const char* path : kDefaultNodes) {
    HostNode node = open_host_node(path, false);
    if (node.fd) nodes.push_back(std::move(node));
  }
  for (const auto& path : devices) {
    bool is_default = false;
    for (const auto& n : nodes) is_default = is_default || n.path == path;
    if (!is_default) nodes.push_back(open_host_node(path, true));
  }
  struct stat st {};
  const bool host_has_log = ::lstat("/dev/log", &st) == 0;
  const std::string gid = tty_gid_option();

  mount_fs("tmpfs", "/dev", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, "mode=0755");
  for (const auto& node : nodes) bind_node(node);

  if (::mkdir("/dev/pts", 0755) != 0) throw_system(kStep, "/dev/pts", errno, "mkdir");
  mount_fs("devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
           "newinstance,ptmxmode=0666,mode=0620" + gid);
  symlink_to("pts/ptmx", "/dev/ptmx");

  if (::mkdir("/dev/shm", 01777) != 0) throw_system(kStep, "/dev/shm", errno, "mkdir");
  mount_fs("tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV | MS_STRICTATIME, "mode=1777");

  symlink_to("/proc/self/fd", "/dev/fd");
  symlink_to("/proc/self/fd/0", "/dev/stdin");
  symlink_to("/proc/self/fd/1", "/dev/stdout");
  symlink_to("/proc/self/fd/2", "/dev/stderr");
  if (host_has_log) symlink_to("/run/systemd/journal/dev-log", "/dev/log");
}

}  // namespace cgspawn::ns
