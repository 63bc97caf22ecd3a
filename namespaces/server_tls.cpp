#include "namespaces/server_tls.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"
#include "common/files.hpp"

namespace cgspawn::ns {
namespace {

constexpr const char* kStep = "install internal-ssl files";
constexpr unsigned long kFlags = MS_NOSUID | MS_NODEV | MS_NOEXEC;

void chown_at(int dir, const char* name, const ServerTls& tls, const std::string& display) {
  if (::fchownat(dir, name, tls.uid, tls.gid, AT_SYMLINK_NOFOLLOW) != 0)
    throw_system(kStep, display, errno, "chown to the server's uid");
}

void write_owned(int dir, const char* name, const std::string& pem, mode_t mode,
                 const ServerTls& tls) {
  create_file_at(dir, name, pem, mode, kServerTlsDir);
  chown_at(dir, name, tls, std::string(kServerTlsDir) + "/" + name);
}

}  // namespace

void install_server_tls(const ServerTls& tls) {
  if (tls.uid == static_cast<uid_t>(-1) || tls.gid == static_cast<gid_t>(-1))
    throw_system(kStep, kServerTlsDir, EINVAL, "the server's uid was not planned");
  // The lock directory exists (the spawn holds a lock in it); made here too
  // so this step stands alone (as root, 0700, as cgroup/locks.cpp makes it).
  if (::mkdir(kServerTlsMount, 0700) != 0 && errno != EEXIST)
    throw_system(kStep, kServerTlsMount, errno, "creating the mount point");
  // Small and bounded: three PEM files, a few inodes.
  if (::mount("tmpfs", kServerTlsMount, "tmpfs", kFlags, "mode=0755,size=1m,nr_inodes=16") != 0)
    throw_system(kStep, kServerTlsMount, errno, "mounting a private tmpfs");
  UniqueFd top = open_dir(kServerTlsMount);
  if (::mkdirat(top.get(), "ssl", 0700) != 0) throw_system(kStep, kServerTlsDir, errno, "mkdir");
  chown_at(top.get(), "ssl", tls, kServerTlsDir);
  UniqueFd dir = open_dir(kServerTlsDir);
  write_owned(dir.get(), kServerTlsKey, tls.key, 0600, tls);
  write_owned(dir.get(), kServerTlsCert, tls.cert, 0644, tls);
  write_owned(dir.get(), kServerTlsCa, tls.ca, 0644, tls);
  dir.reset();
  top.reset();
  // Read-only: the server can neither replace them nor widen their modes.
  if (::mount(nullptr, kServerTlsMount, nullptr, MS_REMOUNT | MS_RDONLY | kFlags, nullptr) != 0)
    throw_system(kStep, kServerTlsMount, errno, "read-only remount");
}

}  // namespace cgspawn::ns
