// The server's mount namespace, planned then applied (as systemd's
// namespace.c does): make_mount_plan() validates and sorts the whole request
// without touching anything; enter_mount_namespace() runs in the child after
// it has moved into its cgroup.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "namespaces/checked_path.hpp"
#include "namespaces/server_tls.hpp"

namespace cgspawn::ns {

struct MountRequest {
  bool private_tmp = false;          // fresh /tmp and /var/tmp (tmpfs, 1777)
  bool private_devices = false;      // minimal /dev
  std::vector<std::string> devices;  // extra device nodes for the minimal /dev
  // systemd's ProtectProc=: "" or "default" keeps the host's /proc; noaccess,
  // invisible or ptraceable mounts a procfs instance of the server's own with
  // that hidepid= (kernel >= 5.8), so a user's `ps` stops showing the others.
  std::string protect_proc;
  std::vector<std::string> read_only;   // recursive, every submount included
  std::vector<std::string> read_write;  // carved out of read_only paths
  // Files shown in the namespace as the host's copy plus extra lines (e.g.
  // /etc/passwd with a dynamic user's entry); the host's files never change.
  std::vector<std::string> amended_files;
  // Directories made before the namespace is entered (a dynamic user's home):
  // need not exist yet, stay writable inside a read-only path.
  std::vector<std::string> state_dirs;
  // --internal-ssl: the server's key, certificate and CA at the fixed
  // kServerTlsDir (server_tls.hpp); the material itself comes from stdin.
  bool server_tls = false;
  // A cgroup namespace rooted at the server's own cgroup, mounted read-only
  // at /sys/fs/cgroup (cgroup_view.hpp): the server reads its own limits
  // there (memory.max, cpu.max, pids.max), not the host's tree.
  bool cgroup_namespace = false;
};

// One step of the plan, in the order it will be applied.
struct MountStep {
  enum class Kind {
    AmendFile,
    PrivateTmp,
    PrivateDevices,
    ProtectProc,
    CgroupView,
    ServerTls,
    ReadWrite,
    ReadOnly
  } kind;
  std::string path;
};

struct MountPlan {
  std::vector<MountStep> steps;                // sorted, deduplicated; ReadOnly last
  std::vector<std::string> devices;            // for PrivateDevices
  std::string proc_hidepid;                    // for ProtectProc
  std::vector<std::string> read_write_exempt;  // paths the read-only walk leaves alone
  // Each --read-write path as resolved once (canonical) with the identity of
  // what was opened: the policy judges these names, and the child mounts
  // only that same object (checked_path.hpp).
  std::map<std::string, FileId> read_write_checked;
  // For each AmendFile step: the lines to append (whole lines, each ending in
  // a newline). Filled once they are known (a dynamic uid is allocated after
  // planning), before the namespace is entered.
  std::map<std::string, std::string> amendments;
  // For the ServerTls step: the material (from stdin) and its owner, filled
  // in like the amendments, before the namespace is entered.
  std::optional<ServerTls> server_tls;
  [[nodiscard]] bool empty() const noexcept { return steps.empty(); }
};

// Validate (absolute, normalised, existing paths; devices are device nodes
// under /dev and need private_devices) and order the request. Symlinks are
// resolved (mount points in the mount table are canonical); --read-write
// paths by opening them once, no /proc magic links (read_write_checked). A path hidden by
// the private /tmp or /dev, or both read-only and read-write, is refused.
// Amended files must be regular files (not symlinks); state dirs are only normalised (they
// are created later) and must not lie in a private /tmp or /dev. With
// server_tls, no --read-write path may lie at or below kServerTlsMount (it
// would cover the installed files).
// Throws Error(BadRequest).
MountPlan make_mount_plan(const MountRequest& request);

// unshare(CLONE_NEWNS) and make / recursively slave so nothing propagates back
// to the host, then apply every step. An amended file is a copy of the
// host's with its amendment appended, on a private tmpfs, bind-mounted
// read-only over the original. A read-write path exempts mounts from a
// read-only step only when it lies inside that read-only path (the more
// specific request wins). Throws Error(System) naming step + path.
void enter_mount_namespace(const MountPlan& plan);

}  // namespace cgspawn::ns
