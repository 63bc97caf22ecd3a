#include "cgroup/root.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <vector>

#include "common/error.hpp"
#include "common/files.hpp"

namespace cgspawn::cg {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string unescape_octal(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && s.size() - i >= 4) {
      auto d = s.substr(i + 1, 3);
      if (d[0] >= '0' && d[0] <= '3' && d[1] >= '0' && d[1] <= '7' && d[2] >= '0' && d[2] <= '7') {
        out.push_back(static_cast<char>((d[0] - '0') * 64 + (d[1] - '0') * 8 + (d[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

bool is_cgroup2(const std::string& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

}  // namespace

std::string find_cgroup2_mount(std::string_view mountinfo) {
  for (auto line : split(mountinfo, '\n')) {
    auto sep = line.find(" - ");
    if (sep == std::string_view::npos) continue;
    auto tail = split(line.substr(sep + 3), ' ');
    auto head = split(line.substr(0, sep), ' ');
    if (tail.empty() || tail[0] != "cgroup2" || head.size() < 5 || head[3] != "/") continue;
    return unescape_octal(head[4]);
  }
  return {};
}

std::string own_cgroup_path(std::string_view proc_cgroup) {
  for (auto line : split(proc_cgroup, '\n')) {
    if (line.starts_with("0::")) {
      auto path = line.substr(3);
      if (!path.starts_with("/")) break;
      return std::string(path);
    }
  }
  throw_system("find own cgroup", "/proc/self/cgroup", 0,
               "no cgroup v2 entry (0::/...): this host has no unified cgroup hierarchy; "
               "pass --cgroup-root or run kernel-check");
}

std::string delegated_root(std::string_view mount, std::string_view own_path) {
  std::string path(own_path);
  // D/hub once the hub moved there; D/.control is where systemd (>= 252)
  // runs a delegated unit's ExecStartPre/Post commands.
  for (std::string_view leaf : {"/hub", "/.control"})
    if (path.ends_with(leaf)) path.resize(path.size() - leaf.size());
  std::string root(mount);
  while (root.size() > 1 && root.ends_with('/')) root.pop_back();
  return path == "/" ? root : root + path;
}

std::string resolve_root(const std::string& explicit_root) {
  std::string mount = find_cgroup2_mount(read_file("/proc/self/mountinfo"));
  std::string root;
  if (!explicit_root.empty()) {
    char buf[PATH_MAX];
    if (::realpath(explicit_root.c_str(), buf) == nullptr)
      throw Error(ErrorKind::BadRequest, "resolve --cgroup-root", explicit_root, errno,
                  "give an existing directory on the cgroup2 mount");
    root = buf;
  } else {
    if (mount.empty())
      throw_system("find cgroup2 mount", "/proc/self/mountinfo", 0,
                   "no cgroup2 filesystem is mounted: boot with the unified hierarchy "
                   "(systemd.unified_cgroup_hierarchy=1) or pass --cgroup-root");
    root = delegated_root(mount, own_cgroup_path(read_file("/proc/self/cgroup")));
  }
  if (!is_cgroup2(root))
    throw Error(
        ErrorKind::BadRequest, "resolve cgroup root", root, 0,
        "not a directory on a cgroup2 filesystem: pass --cgroup-root under the cgroup2 mount");
  if (root == mount)
    throw Error(ErrorKind::BadRequest, "resolve cgroup root", root, 0,
                "refusing to manage the root of the cgroup hierarchy: run the hub in a unit with "
                "Delegate=yes or pass --cgroup-root");
  return root;
}

}  // namespace cgspawn::cg
