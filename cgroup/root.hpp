// Finding the delegated subtree D: the cgroup2 mount point plus our own
// cgroup path, or an explicit --cgroup-root. Text parsers are separate from
// the file reads so they can be tested on hostile input.
#pragma once

#include <string>
#include <string_view>

namespace cgspawn::cg {

// Mount point of the first cgroup2 filesystem (root "/") in a mountinfo text;
// "" when there is none. Octal escapes (\040) are decoded.
std::string find_cgroup2_mount(std::string_view mountinfo);

// The "0::PATH" entry of a /proc/PID/cgroup text; throws when absent.
std::string own_cgroup_path(std::string_view proc_cgroup);

// D = MOUNT + OWN_PATH with a trailing "/hub" removed (the hub lives in D/hub
// once `cgspawn init` has run), or a trailing "/.control" (where systemd runs
// a delegated unit's ExecStartPre/Post= commands).
std::string delegated_root(std::string_view mount, std::string_view own_path);

// EXPLICIT when given (must be a directory on cgroup2), else derived from
// /proc/self/mountinfo and /proc/self/cgroup. Refuses the hierarchy's root.
std::string resolve_root(const std::string& explicit_root);

}  // namespace cgspawn::cg
