// The read-only walk over the live mount table (libmount), used by the
// ReadOnly step of enter_mount_namespace().
#pragma once

#include <string>
#include <vector>

namespace cgspawn::ns {

// True when PATH is the root of a mount (statx STATX_ATTR_MOUNT_ROOT).
bool is_mount_point(const std::string& path);

// Remount read-only every reachable mount at or below any of ROOTS, keeping
// each mount's nosuid/nodev/noexec/atime flags, from a single read of the
// mount table. Skipped for a root: mounts at or below an EXEMPT path that is
// itself at or below that root (a more specific read-write request wins),
// and /proc, /sys, /dev with their submounts unless the root is inside them.
// Throws Error(System) naming the mount point.
void remount_read_only_below(const std::vector<std::string>& roots,
                             const std::vector<std::string>& exempt);

// How many times this process has parsed /proc/self/mountinfo (for tests:
// one read-only pass reads it once, however many paths it covers).
unsigned mountinfo_reads() noexcept;

}  // namespace cgspawn::ns
