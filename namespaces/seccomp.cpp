#include "namespaces/seccomp.hpp"

#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>

#include <array>
#include <cerrno>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace cgspawn::ns {
namespace {

constexpr const char* kStep = "seccomp";

// Kernel-wide or privilege-adjacent interfaces a notebook server never needs.
// clang-format off
// setns: a server has no capabilities, so the only namespace it could join
// is a user namespace it made outside (full CapEff inside, then mounts):
// deny it whole, as unshare/clone are denied for CLONE_NEWUSER below.
constexpr std::array<const char*, 20> kDenied = {
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "reboot", "swapon", "swapoff", "keyctl", "add_key", "request_key", "bpf",
    "perf_event_open", "userfaultfd", "open_by_handle_at", "acct", "iopl", "ioperm",
    "quotactl", "setns"};
// clang-format on

// kDenied in groups, in its order, for --help (default_denied_summary): each
// group names its first syscall, and the static_assert holds the groups to
// kDenied, so neither can change without the other.
struct DeniedGroup {
  const char* what;
  std::string_view first;
  size_t count;
};
// clang-format off
constexpr std::array<DeniedGroup, 13> kDeniedGroups = {{
    {"kexec", "kexec_load", 2}, {"modules", "init_module", 3}, {"reboot", "reboot", 1},
    {"swap", "swapon", 2}, {"keyrings", "keyctl", 3}, {"bpf", "bpf", 1},
    {"perf", "perf_event_open", 1}, {"userfaultfd", "userfaultfd", 1},
    {"open_by_handle_at", "open_by_handle_at", 1}, {"acct", "acct", 1},
    {"io ports", "iopl", 2}, {"quotactl", "quotactl", 1}, {"setns", "setns", 1}}};
// clang-format on
static_assert([] {
  size_t n = 0;
  for (const auto& g : kDeniedGroups) {
    if (n >= kDenied.size() || g.first != kDenied[n]) return false;
    n += g.count;
  }
  return n == kDenied.size();
}());

// ioctls that push input into a terminal (TIOCSTI) or paste a console
// selection (TIOCLINUX): a server holding any tty fd could type commands
// into somebody's shell. The server runs in its own session without a
// controlling tty, which the kernel already requires for TIOCSTI; this is
// the second wall (kernels before 6.2 cannot switch TIOCSTI off).
constexpr std::array<unsigned long, 2> kDeniedIoctls = {TIOCSTI, TIOCLINUX};

struct Release {
  void operator()(void* ctx) const noexcept { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, Release>;

// One filter per ABI, as systemd does: a syscall missing from one ABI then
// only skips that ABI, and other ABIs pass through (bad-arch action ALLOW)
// to their own filter.
std::vector<uint32_t> filtered_arches() {
  std::vector<uint32_t> arches = {SCMP_ARCH_NATIVE};
#if defined(__x86_64__)
  // Compat entry points (int 0x80, x32) would otherwise bypass the rules.
  arches.push_back(SCMP_ARCH_X86);
  arches.push_back(SCMP_ARCH_X32);
#endif
  return arches;
}

Filter new_filter(uint32_t arch) {
  Filter ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) throw_system(kStep, "seccomp_init", ENOMEM);
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW); rc < 0)
    throw_system(kStep, "bad-arch action", -rc);
  // libseccomp would set no_new_privs itself; leave that to the caller, who
  // may load the filter as root precisely to keep setuid binaries working.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc < 0)
    throw_system(kStep, "no_new_privs attribute", -rc);
  if (arch != SCMP_ARCH_NATIVE && arch != seccomp_arch_native()) {
    if (int rc = seccomp_arch_add(ctx.get(), arch); rc < 0 && rc != -EEXIST)
      throw_system(kStep, "arch " + std::to_string(arch), -rc, "seccomp_arch_add");
    if (int rc = seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE); rc < 0)
      throw_system(kStep, "arch " + std::to_string(arch), -rc, "seccomp_arch_remove");
  }
  return ctx;
}

// Add one rule; a syscall this ABI does not have is skipped, not an error.
template <typename... Args>
void add_rule(void* ctx, uint32_t arch, uint32_t action, const char* name, Args... args) {
  if (seccomp_syscall_resolve_name_arch(arch, name) < 0) return;
  const int nr = seccomp_syscall_resolve_name(name);  // libseccomp translates per ABI
  if (nr == __NR_SCMP_ERROR) return;
  const int rc = seccomp_rule_add_exact(ctx, action, nr, sizeof...(args), args...);
  if (rc == -EDOM) return;
  if (rc < 0) throw_system(kStep, name, -rc, "seccomp_rule_add_exact");
}

void fill_default(void* ctx, uint32_t arch) {
  for (const char* name : kDenied) add_rule(ctx, arch, SCMP_ACT_ERRNO(EPERM), name);
  // New user namespaces are the usual way to regain capabilities; clone's
  // flags are arg0 on x86_64, i386 and x32 (s390 would differ).
  const scmp_arg_cmp newuser = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER);
  add_rule(ctx, arch, SCMP_ACT_ERRNO(EPERM), "unshare", newuser);
  add_rule(ctx, arch, SCMP_ACT_ERRNO(EPERM), "clone", newuser);
  // clone3 passes its flags in memory a filter cannot read; ENOSYS makes
  // glibc fall back to clone, where the check above applies.
  add_rule(ctx, arch, SCMP_ACT_ERRNO(ENOSYS), "clone3");
  // The kernel truncates ioctl's request to 32 bits: compare only those, or
  // TIOCSTI | 1 << 32 would pass the filter and still reach the tty.
  for (unsigned long req : kDeniedIoctls)
    add_rule(ctx, arch, SCMP_ACT_ERRNO(EPERM), "ioctl",
             SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFU, req));
}

}  // namespace

SeccompProfile parse_seccomp_profile(std::string_view text) {
  if (text == "default") return SeccompProfile::Default;
  if (text == "none") return SeccompProfile::None;
  throw_bad_request("seccomp profile",
                    "unknown --seccomp profile '" + std::string(text) + "': use default or none");
}

std::span<const char* const> default_denied_syscalls() noexcept {
  return kDenied;
}

std::string default_denied_summary() {
  std::string out;
  for (const auto& g : kDeniedGroups) out += std::string(g.what) + ", ";
  // Beside kDenied: fill_default's rules for clone/unshare and the ioctls.
  return out + "user namespaces, terminal input injection";
}

std::span<const unsigned long> default_denied_ioctls() noexcept {
  return kDeniedIoctls;
}

void load_seccomp(SeccompProfile profile) {
  if (profile == SeccompProfile::None) return;
  // Build every filter before loading any, so a build error loads nothing.
  std::vector<Filter> filters;
  for (uint32_t arch : filtered_arches()) {
    filters.push_back(new_filter(arch));
    fill_default(filters.back().get(), arch == SCMP_ARCH_NATIVE ? seccomp_arch_native() : arch);
  }
  for (const auto& f : filters)
    if (int rc = seccomp_load(f.get()); rc < 0) throw_system(kStep, "seccomp_load", -rc);
}

}  // namespace cgspawn::ns
