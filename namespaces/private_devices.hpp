// The PrivateDevices step: a minimal /dev on a fresh tmpfs.
#pragma once

#include <string>
#include <vector>

namespace cgspawn::ns {

// Replace /dev (in the current, already private, mount namespace) with a
// tmpfs holding null zero full random urandom tty, the requested DEVICES,
// a private devpts, /dev/shm and the usual symlinks. Throws Error(System).
void mount_private_devices(const std::vector<std::string>& devices);

}  // namespace cgspawn::ns
