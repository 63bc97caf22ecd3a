// The server's mount namespace, planned then applied (as systemd's
// namespace.c does): make_mount_plan() validates and sorts the whole request
// without touching anything; enter_mount_namespace() runs in the child after
// it has moved into its cgroup.
#pragma once

#include <string>
#include <vector>

namespace cgspawn::ns {

struct MountRequest {
  bool private_tmp = false;             // fresh /tmp and /var/tmp (tmpfs, 1777)
  bool private_devices = false;         // minimal /dev
  std::vector<std::string> devices;     // extra device nodes for the minimal /dev
  std::vector<std::string> read_only;   // recursive, every submount included
  std::vector<std::string> read_write;  // carved out of read_only paths
};

// One step of the plan, in the order it will be applied.
struct MountStep {
  enum class Kind { PrivateTmp, PrivateDevices, ReadWrite, ReadOnly } kind;
  std::string path;
};

struct MountPlan {
  std::vector<MountStep> steps;                // sorted, deduplicated
  std::vector<std::string> devices;            // for PrivateDevices
  std::vector<std::string> read_write_exempt;  // paths the read-only walk leaves alone
  [[nodiscard]] bool empty() const noexcept { return steps.empty(); }
};

// Validate (absolute, normalised, existing paths; devices are device nodes
// under /dev and need private_devices) and order the request. Symlinks are
// resolved (mount points in the mount table are canonical). A path hidden by
// the private /tmp or /dev, or both read-only and read-write, is refused.
// Throws Error(BadRequest).
MountPlan make_mount_plan(const MountRequest& request);

// unshare(CLONE_NEWNS) and make / recursively slave so nothing propagates back
// to the host, then apply every step. A read-write path exempts mounts from a
// read-only step only when it lies inside that read-only path (the more
// specific request wins). Throws Error(System) naming step + path.
void enter_mount_namespace(const MountPlan& plan);

}  // namespace cgspawn::ns
