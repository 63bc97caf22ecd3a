// The default seccomp profile: denied syscalls get EPERM (also through the
// i386 entry point), user namespaces are refused, clone3 says ENOSYS, and
// ordinary process and thread creation still work.
#include "namespaces/seccomp.hpp"

#include <gtest/gtest.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <string>
#include <thread>

#include "child_process.hpp"
#include "common/error.hpp"
#include "host_fixtures.hpp"
#include "namespaces/identity.hpp"
#include "namespaces/no_new_privs.hpp"

namespace cgspawn::ns {
namespace {

using testing::ChildChecks;
using testing::run_in_child;

long keyctl_session_id() {
  return ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
}

#if defined(__x86_64__)
// keyctl through the i386 entry point (int 0x80), in a grandchild because a
// kernel without ia32 emulation kills the caller. Returns the syscall's
// result (-errno on failure), or 1 when the compat ABI is unavailable.
int compat_keyctl_result() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Die of the SIGSEGV itself: a sanitizer's handler would turn it into
    // exit(1), which reads as "not denied".
    ::signal(SIGSEGV, SIG_DFL);
    long ret;
    __asm__ __volatile__("int $0x80"
                         : "=a"(ret)
                         : "a"(288L /* i386 __NR_keyctl */), "b"(long{KEYCTL_GET_KEYRING_ID}),
                           "c"(long{KEY_SPEC_SESSION_KEYRING}), "d"(0L)
                         : "memory", "r8", "r9", "r10", "r11");
    const int rc = static_cast<int>(ret);
    ::_exit(rc == -EPERM ? 10 : rc < 0 ? 11 : 12);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status)) return 1;
  return WEXITSTATUS(status) == 10 ? -EPERM : WEXITSTATUS(status) == 11 ? -EINVAL : 0;
}
#endif

TEST(Seccomp, ParsesProfiles) {
  EXPECT_EQ(parse_seccomp_profile("default"), SeccompProfile::Default);
  EXPECT_EQ(parse_seccomp_profile("none"), SeccompProfile::None);
  try {
    parse_seccomp_profile("strict");
    FAIL() << "unknown profile accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BadRequest);
    EXPECT_NE(std::string(e.what()).find("unknown --seccomp profile 'strict': use default or none"),
              std::string::npos)
        << e.what();
  }
}

TEST(Seccomp, DocumentsTheDeniedList) {
  const auto denied = default_denied_syscalls();
  auto has = [&](std::string_view n) {
    return std::any_of(denied.begin(), denied.end(), [&](const char* d) { return n == d; });
  };
  EXPECT_TRUE(has("keyctl") && has("bpf") && has("kexec_load") && has("quotactl"));
  EXPECT_FALSE(has("clone3")) << "clone3 is ENOSYS, not EPERM";
}

TEST(Seccomp, DefaultDeniesKeyctlUserNamespacesAndClone3) {
  const auto r = run_in_child([](ChildChecks& c) {
    set_no_new_privs();
    load_seccomp(SeccompProfile::Default);
    c.expect_errno(keyctl_session_id(), EPERM, "keyctl");
    c.expect_errno(::unshare(CLONE_NEWUSER), EPERM, "unshare(CLONE_NEWUSER)");
    const long pid = ::syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) ::_exit(0);  // only reached if the filter let it through
    if (pid > 0) ::waitpid(static_cast<pid_t>(pid), nullptr, 0);
    c.expect_errno(pid, EPERM, "clone(CLONE_NEWUSER)");
    c.expect_errno(::syscall(SYS_clone3, nullptr, 0), ENOSYS, "clone3");
#if defined(__x86_64__)
    const int compat = compat_keyctl_result();
    if (compat == 1)
      c.note("compat", "unavailable");
    else
      c.expect(compat == -EPERM, "i386 keyctl was not denied");
#endif
  });
  EXPECT_TRUE(r.passed) << r.failures;
  if (r.notes.contains("compat")) std::cout << "note: no ia32 emulation, compat check skipped\n";
}

TEST(Seccomp, DefaultStillAllowsForkAndThreads) {
  const auto r = run_in_child([](ChildChecks& c) {
    set_no_new_privs();
    load_seccomp(SeccompProfile::Default);
    c.expect(::getpid() > 0, "getpid");
    c.expect(::syscall(SYS_getpid) == ::getpid(), "raw getpid");
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(7);
    int status = 0;
    c.expect(pid > 0 && ::waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                 WEXITSTATUS(status) == 7,
             "fork");
    std::atomic<bool> ran{false};
    std::thread([&] { ran = true; }).join();  // glibc falls back from clone3
    c.expect(ran, "thread creation");
  });
  EXPECT_TRUE(r.passed) << r.failures;
}

// The launcher's --allow-new-privileges path: load as root without
// no_new_privs, then drop to the user. The filter must not set no_new_privs
// behind the caller's back, and the drop must still work under it.
TEST(Seccomp, LoadsAsRootWithoutSettingNoNewPrivs) {
  CGSPAWN_SKIP_UNLESS_ROOT();
  const Identity who = lookup_user("nobody");
  const auto r = run_in_child([&](ChildChecks& c) {
    load_seccomp(SeccompProfile::Default);
    become(who);
    c.expect(::getuid() == who.uid, "not nobody after the drop");
    c.expect_errno(keyctl_session_id(), EPERM, "keyctl");
    const std::string status = testing::read_text("/proc/self/status");
    c.expect(status.find("NoNewPrivs:\t0") != std::string::npos, "no_new_privs was set");
    c.expect(status.find("Seccomp:\t2") != std::string::npos, "no filter loaded");
  });
  EXPECT_TRUE(r.passed) << r.failures;
}

TEST(Seccomp, NoneLeavesKeyctlAlone) {
  const auto r = run_in_child([](ChildChecks& c) {
    set_no_new_privs();
    load_seccomp(SeccompProfile::None);
    const long rc = keyctl_session_id();
    c.expect(rc >= 0 || errno != EPERM, "keyctl is EPERM without a filter");
    c.expect(testing::read_text("/proc/self/status").find("Seccomp:\t0") != std::string::npos,
             "a filter was loaded");
#if defined(__x86_64__)
    c.expect(compat_keyctl_result() != -EPERM, "i386 keyctl is EPERM without a filter");
#endif
  });
  EXPECT_TRUE(r.passed) << r.failures;
}

}  // namespace
}  // namespace cgspawn::ns
