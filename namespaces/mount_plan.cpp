// make_mount_plan(): validate and order a mount request without touching
// anything, so a bad request fails before the child changes any state.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "namespaces/mounts.hpp"

#include "namespaces/cgroup_view.hpp"
#include "namespaces/paths.hpp"

namespace cgspawn::ns {
namespace {

constexpr const char* kStep = "mount plan";
constexpr const char* kReadOnly = "--read-only";
constexpr const char* kReadWrite = "--read-write";
constexpr const char* kDevice = "--device";
constexpr const char* kAmended = "amended file";
constexpr const char* kStateDir = "state directory";

// lexically_normal (paths.hpp), with the bad request naming FLAG.
std::string normalise(const std::string& raw, const std::string& flag) {
  if (raw.empty()) throw_bad_request(kStep, flag + " got an empty path: pass an absolute path");
  if (raw.front() != '/')
    throw_bad_request(kStep, flag + " '" + raw + "' is not absolute: pass it as /full/path");
  auto out = lexically_normal(raw);
  if (!out) throw_bad_request(kStep, flag + " '" + raw + "' contains '..': pass the resolved path");
  return *out;
}

// Symlinks are resolved because the read-only walk compares against mount
// points in /proc/self/mountinfo, which are always canonical.
std::string resolve(const std::string& raw, const std::string& flag) {
  const std::string path = normalise(raw, flag);
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  if (!real) {
    if (errno == ENOENT || errno == ENOTDIR)
      throw_bad_request(kStep, flag + " " + path + " does not exist: create it or drop the flag");
    throw_system(kStep, path, errno, "resolving " + flag);
  }
  return real.get();
}

std::string resolve_device(const std::string& raw) {
  const std::string path = resolve(raw, kDevice);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw_system(kStep, path, errno, "stat of --device");
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
    throw_bad_request(kStep, std::string(kDevice) + " " + path +
                                 " is not a device node: pass a character or block device");
  if (path == "/dev" || !is_at_or_below(path, "/dev"))
    throw_bad_request(kStep, std::string(kDevice) + " " + path +
                                 " is outside /dev: pass the node's path under /dev");
  if (is_at_or_below(path, "/dev/pts") || path == "/dev/ptmx")
    throw_bad_request(
        kStep, std::string(kDevice) + " " + path + ": the private /dev has its own ptys, drop it");
  return path;
}

// A path inside a directory that the plan replaces with a fresh tmpfs would
// not exist there; say so now rather than fail in the child. Returns false
// when the path is the replaced directory itself and the flag is redundant.
bool check_not_hidden(const std::string& path, const std::string& flag, const char* dir,
                      const char* by) {
  if (!is_at_or_below(path, dir)) return true;
  if (path == dir && flag == kReadWrite) return false;  // already writable and private
  throw_bad_request(kStep, flag + " " + path + " is inside the private " + dir + " that " + by +
                               " creates: drop one of them");
}

// Not resolved: the amendments are keyed by the path as given, so it must be
// the file itself, not a symlink to it.
std::string check_regular_file(const std::string& raw) {
  const std::string path = normalise(raw, kAmended);
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw_system(kStep, path, errno, "stat of an amended file");
  if (!S_ISREG(st.st_mode))
    throw_bad_request(kStep, path + " is not a regular file (a symlink?), so it cannot be amended");
  return path;
}

// A --read-write bind at or below the internal-SSL tmpfs would cover it with
// the host's directory (cgspawn's root-only lock directory).
void check_clear_of_server_tls(const std::set<std::string>& read_write) {
  for (const auto& p : read_write)
    if (is_at_or_below(p, kServerTlsMount))
      throw_bad_request(kStep, std::string(kReadWrite) + " " + p + " would cover " + kServerTlsDir +
                                   ", where --internal-ssl puts the server's "
                                   "certificates: drop it");
}

bool shorter_first(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

std::vector<std::string> sorted(const std::set<std::string>& paths) {
  std::vector<std::string> out(paths.begin(), paths.end());
  std::sort(out.begin(), out.end(), shorter_first);
  return out;
}

}  // namespace

// systemd's ProtectProc= values; "default" (or none) keeps the host's /proc.
std::string hidepid_of(const std::string& protect_proc) {
  if (protect_proc.empty() || protect_proc == "default") return {};
  for (const char* v : {"noaccess", "invisible", "ptraceable"})
    if (protect_proc == v) return protect_proc;
  throw_bad_request(kStep, "--protect-proc '" + protect_proc.substr(0, 40) +
                               "' is not one of default, noaccess, invisible, ptraceable");
}

// The steps that mount a fresh filesystem over a system path: a private
// /tmp, /dev or /proc. The read-only walk leaves each of them alone.
void add_fresh_filesystems(const MountRequest& request, MountPlan& plan,
                           std::set<std::string>& exempt) {
  if (request.private_tmp) {
    plan.steps.push_back({MountStep::Kind::PrivateTmp, "/tmp"});
    exempt.insert({"/tmp", "/var/tmp"});
  }
  if (request.private_devices) {
    plan.steps.push_back({MountStep::Kind::PrivateDevices, "/dev"});
    exempt.insert("/dev");
  }
  plan.proc_hidepid = hidepid_of(request.protect_proc);
  if (!plan.proc_hidepid.empty()) plan.steps.push_back({MountStep::Kind::ProtectProc, "/proc"});
  if (request.cgroup_namespace) plan.steps.push_back({MountStep::Kind::CgroupView, kCgroupView});
  // Before the read-write binds and the read-only walk (which covers it too).
  if (request.server_tls) plan.steps.push_back({MountStep::Kind::ServerTls, kServerTlsMount});
}

MountPlan make_mount_plan(const MountRequest& request) {
  if (!request.devices.empty() && !request.private_devices)
    throw_bad_request(kStep, "--device needs --private-devices: add it or drop --device");

  std::set<std::string> read_only;
  std::set<std::string> read_write;
  std::set<std::string> devices;
  for (const auto& p : request.read_only) read_only.insert(resolve(p, kReadOnly));
  std::map<std::string, FileId> checked;
  for (const auto& p : request.read_write) {
    CheckedPath c = resolve_checked(normalise(p, kReadWrite), kReadWrite);
    read_write.insert(c.path);
    checked.emplace(std::move(c.path), c.id);
  }
  for (const auto& p : request.devices) devices.insert(resolve_device(p));
  std::set<std::string> amended;
  for (const auto& p : request.amended_files) amended.insert(check_regular_file(p));
  std::set<std::string> state_dirs;
  for (const auto& p : request.state_dirs) state_dirs.insert(normalise(p, kStateDir));

  for (const auto& p : read_only)
    if (read_write.contains(p))
      throw_bad_request(kStep, "'" + p + "' is both --read-only and --read-write: keep one");

  auto keep = [&](const std::string& p, const std::string& flag) {
    bool ok = true;
    if (request.private_tmp) {
      ok = ok && check_not_hidden(p, flag, "/tmp", "--private-tmp");
      ok = ok && check_not_hidden(p, flag, "/var/tmp", "--private-tmp");
    }
    if (request.private_devices) ok = ok && check_not_hidden(p, flag, "/dev", "--private-devices");
    return ok;
  };
  for (const auto& p : read_only) keep(p, kReadOnly);
  for (const auto& p : amended) keep(p, kAmended);
  for (const auto& p : state_dirs) keep(p, kStateDir);
  std::erase_if(read_write, [&](const std::string& p) { return !keep(p, kReadWrite); });
  if (request.server_tls) check_clear_of_server_tls(read_write);
  read_write.insert(state_dirs.begin(), state_dirs.end());

  MountPlan plan;
  // Amended files first: the read-only walk then covers their binds too.
  for (auto& p : sorted(amended)) plan.steps.push_back({MountStep::Kind::AmendFile, p});
  std::set<std::string> exempt = read_write;
  add_fresh_filesystems(request, plan, exempt);
  for (auto& p : sorted(read_write)) plan.steps.push_back({MountStep::Kind::ReadWrite, p});
  for (auto& p : sorted(read_only)) plan.steps.push_back({MountStep::Kind::ReadOnly, p});
  plan.devices = sorted(devices);
  plan.read_write_exempt = sorted(exempt);
  plan.read_write_checked = std::move(checked);
  return plan;
}

}  // namespace cgspawn::ns
