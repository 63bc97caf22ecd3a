#include "namespaces/mount_table.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <map>
#include <memory>
#include <set>

#include "common/error.hpp"
#include "namespaces/libmount_api.hpp"
#include "namespaces/paths.hpp"

namespace cgspawn::ns {
namespace {

constexpr const char* kStep = "read-only remount";

// API filesystems keep their own flags, as with systemd's ProtectSystem=strict.
constexpr std::array<const char*, 3> kApiFilesystems = {"/proc", "/sys", "/dev"};

struct TableUnref {
  decltype(&::mnt_unref_table) fn;
  void operator()(libmnt_table* t) const noexcept { fn(t); }
};
struct IterFree {
  decltype(&::mnt_free_iter) fn;
  void operator()(libmnt_iter* i) const noexcept { fn(i); }
};
using Table = std::unique_ptr<libmnt_table, TableUnref>;

unsigned g_mountinfo_reads = 0;

Table parse_mountinfo(const LibmountApi& mnt) {
  ++g_mountinfo_reads;
  Table table(mnt.new_table(), TableUnref{mnt.unref_table});
  if (!table) throw_system(kStep, "/proc/self/mountinfo", ENOMEM, "mnt_new_table");
  if (int rc = mnt.table_parse_file(table.get(), "/proc/self/mountinfo"); rc != 0)
    throw_system(kStep, "/proc/self/mountinfo", rc < 0 ? -rc : EINVAL, "parsing with libmount");
  return table;
}

// Whether TARGET lies at or below one of ROOTS and is not left alone for
// that root: by an EXEMPT path between the two (a more specific read-write
// request wins), or as an API filesystem the root is not inside. Walks up
// TARGET's ancestors, so the cost is its depth, not the number of paths.
bool covered(const std::string& target, const std::set<std::string>& roots,
             const std::set<std::string>& exempt) {
  bool exempted = false;
  std::string at = target;
  while (true) {
    exempted = exempted || exempt.contains(at);
    if (!exempted && roots.contains(at)) {
      bool api_skip = false;
      for (const char* api : kApiFilesystems)
        api_skip = api_skip || (is_at_or_below(target, api) && !is_at_or_below(at, api));
      if (!api_skip) return true;
    }
    const size_t slash = at.rfind('/');
    if (at == "/" || slash == std::string::npos) return false;  // mountinfo targets are absolute
    at = slash == 0 ? "/" : at.substr(0, slash);
  }
}

// The mount a path currently resolves to; 0 when the path is unreachable
// (its mount point was itself mounted over or deleted).
uint64_t reachable_mount_id(const std::string& path) {
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID, &stx) !=
      0) {
    if (errno == ENOENT || errno == ENOTDIR) return 0;
    throw_system(kStep, path, errno, "statx");
  }
  if (!(stx.stx_mask & STATX_MNT_ID)) throw_system(kStep, path, ENOSYS, "statx without mount id");
  return stx.stx_mnt_id;
}

// MS_* flags of one mount (per-mount options, not the superblock's).
unsigned long mount_flags(const LibmountApi& mnt, libmnt_fs* fs, const std::string& target) {
  unsigned long flags = 0;
  const char* opts = mnt.fs_get_vfs_options(fs);
  if (opts && mnt.optstr_get_flags(opts, &flags, mnt.get_builtin_optmap(MNT_LINUX_MAP)) != 0)
    throw_system(kStep, target, EINVAL, std::string("unreadable mount options '") + opts + "'");
  return flags;
}

}  // namespace

bool is_mount_point(const std::string& path) {
  struct statx stx {};
  if (::statx(AT_FDCWD, path.c_str(), AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, 0, &stx) != 0)
    throw_system("mount point check", path, errno, "statx");
  if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
    throw_system("mount point check", path, ENOSYS, "statx cannot tell mount roots (Linux < 5.8)");
  return (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
}

unsigned mountinfo_reads() noexcept {
  return g_mountinfo_reads;
}

void remount_read_only_below(const std::vector<std::string>& roots,
                             const std::vector<std::string>& exempt) {
  if (roots.empty()) return;
  // One read of the table for all roots: re-reading it per root made 3000
  // --read-only paths take 30 s (each read grows with the binds made).
  const LibmountApi& mnt = libmount();
  Table table = parse_mountinfo(mnt);
  std::unique_ptr<libmnt_iter, IterFree> iter(mnt.new_iter(MNT_ITER_FORWARD),
                                              IterFree{mnt.free_iter});
  if (!iter) throw_system(kStep, roots.front(), ENOMEM, "mnt_new_iter");

  const std::set<std::string> root_set(roots.begin(), roots.end());
  const std::set<std::string> exempt_set(exempt.begin(), exempt.end());
  std::map<uint64_t, libmnt_fs*> by_id;
  std::vector<std::string> targets;
  std::set<std::string> seen;
  libmnt_fs* fs = nullptr;
  while (mnt.table_next_fs(table.get(), iter.get(), &fs) == 0) {
    by_id[static_cast<uint64_t>(mnt.fs_get_id(fs))] = fs;
    const char* target = mnt.fs_get_target(fs);
    if (!target || !covered(target, root_set, exempt_set)) continue;
    if (seen.insert(target).second) targets.emplace_back(target);
  }

  // A target can carry several stacked mounts; only the one its path reaches
  // matters (the others are unreachable), so remount that one with its flags.
  constexpr unsigned long kKept = MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME |
                                  MS_RELATIME | MS_STRICTATIME | MS_NOSYMFOLLOW;
  for (const auto& target : targets) {
    const uint64_t id = reachable_mount_id(target);
    auto it = by_id.find(id);
    if (id == 0 || it == by_id.end()) continue;
    const char* top_target = mnt.fs_get_target(it->second);
    if (!top_target || target != top_target) continue;  // path leads into another mount
    const unsigned long flags = mount_flags(mnt, it->second, target);
    if (flags & MS_RDONLY) continue;
    if (::mount(nullptr, target.c_str(), nullptr,
                MS_REMOUNT | MS_BIND | MS_RDONLY | (flags & kKept), nullptr) != 0)
      throw_system(kStep, target, errno);
  }
}

}  // namespace cgspawn::ns
