// The syscall filter loaded just before exec.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace cgspawn::ns {

enum class SeccompProfile { Default, None };

// "default" | "none"; anything else is Error(BadRequest).
SeccompProfile parse_seccomp_profile(std::string_view text);

// Names of the syscalls the default profile answers with EPERM (documented
// in --help and the README; clone3 is answered ENOSYS, and unshare/clone are
// denied only when asked for CLONE_NEWUSER).
std::span<const char* const> default_denied_syscalls() noexcept;

// The denied syscalls named by group ("kexec, modules, reboot, ..."), for
// --help: printed from the table the filter is built from.
std::string default_denied_summary();

// The ioctl requests it answers with EPERM (TIOCSTI, TIOCLINUX).
std::span<const unsigned long> default_denied_ioctls() noexcept;

// Load the filter into the calling thread (requires no_new_privs or
// CAP_SYS_ADMIN). Throws Error(System).
void load_seccomp(SeccompProfile profile);

}  // namespace cgspawn::ns
