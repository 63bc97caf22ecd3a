// The default seccomp profile: denied syscalls get EPERM (also through the
// i386 entry point), user namespaces are refused, clone3 says ENOSYS, and
// ordinary process and thread creation still work.
#include "namespaces/seccomp.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
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
  EXPECT_TRUE(has("keyctl") && has("bpf") && has("kexec_load") && has("quotactl") && has("setns"));
  const auto ioctls = default_denied_ioctls();
  EXPECT_NE(std::find(ioctls.begin(), ioctls.end(), TIOCSTI), ioctls.end());
  EXPECT_NE(std::find(ioctls.begin(), ioctls.end(), TIOCLINUX), ioctls.end());
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

// A pty whose slave is the calling process's controlling terminal (the
// child becomes a session leader first), as a server holding /dev/tty would
// have. Returns the slave fd, or -1.
int controlling_pty(ChildChecks& c) {
  c.expect_ok(::setsid(), "setsid");
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  c.expect_ok(master, "posix_openpt");
  c.expect_ok(::grantpt(master), "grantpt");
  c.expect_ok(::unlockpt(master), "unlockpt");
  const int slave = ::open(::ptsname(master), O_RDWR);  // no O_NOCTTY: becomes the ctty
  c.expect_ok(slave, "open the pty slave");
  c.expect_ok(::ioctl(slave, TIOCSCTTY, 0), "TIOCSCTTY");
  return slave;
}

// TIOCSTI types into a terminal; the kernel compares only the low 32 bits of
// the request, so the filter must too (TIOCSTI | 1 << 32 is the classic
// bypass). TIOCLINUX pastes a console selection.
long tiocsti(int fd, unsigned long high_bits) {
  char ch = '#';
  return ::syscall(SYS_ioctl, fd, static_cast<unsigned long>(TIOCSTI) | high_bits, &ch);
}

TEST(Seccomp, DefaultDeniesTypingIntoATerminal) {
  const auto r = run_in_child([](ChildChecks& c) {
    const int tty = controlling_pty(c);
    set_no_new_privs();
    load_seccomp(SeccompProfile::Default);
    c.expect_errno(tiocsti(tty, 0), EPERM, "TIOCSTI on the controlling tty");
    c.expect_errno(tiocsti(tty, 1UL << 32), EPERM, "TIOCSTI with high bits set");
    char sel[2] = {2 /* TIOCL_SETSEL */, 0};
    c.expect_errno(::ioctl(tty, TIOCLINUX, sel), EPERM, "TIOCLINUX");
    int n = 0;
    c.expect_ok(::ioctl(tty, FIONREAD, &n), "other ioctls still work (FIONREAD)");
  });
  EXPECT_TRUE(r.passed) << r.failures;
}

// The control for the test above: the same calls, unfiltered, are not EPERM
// (as root TIOCSTI works on any kernel), so EPERM there is the filter's.
TEST(Seccomp, NoneLeavesTiocstiAlone) {
  CGSPAWN_SKIP_UNLESS_ROOT();
  const auto r = run_in_child([](ChildChecks& c) {
    const int tty = controlling_pty(c);
    load_seccomp(SeccompProfile::None);
    c.expect_ok(tiocsti(tty, 0), "unfiltered TIOCSTI");
    c.expect(tiocsti(tty, 1UL << 32) == 0 || errno != EPERM, "unfiltered TIOCSTI | 1<<32");
  });
  EXPECT_TRUE(r.passed) << r.failures;
}

// Joining a user namespace made outside gives full capabilities inside it.
// A grandchild holds one open; the filtered child may not enter it by any
// nstype (0 means "whatever the fd is").
TEST(Seccomp, DefaultDeniesJoiningAUserNamespace) {
  CGSPAWN_SKIP_UNLESS_ROOT();
  for (const auto profile : {SeccompProfile::Default, SeccompProfile::None}) {
    const auto r = run_in_child([profile](ChildChecks& c) {
      int ready[2];
      c.expect_ok(::pipe(ready), "pipe");
      const pid_t holder = ::fork();
      if (holder == 0) {
        if (::unshare(CLONE_NEWUSER) != 0) ::_exit(1);
        char one = 1;
        (void)::write(ready[1], &one, 1);
        ::pause();
        ::_exit(0);
      }
      char got = 0;
      c.expect(::read(ready[0], &got, 1) == 1, "the holder made no user namespace");
      const int ns =
          ::open(("/proc/" + std::to_string(holder) + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC);
      c.expect_ok(ns, "open the holder's user namespace");
      set_no_new_privs();
      load_seccomp(profile);
      for (const int nstype : {CLONE_NEWUSER, 0}) {
        const long rc = ::syscall(SYS_setns, ns, nstype);
        const std::string what = "setns(userns, " + std::to_string(nstype) + ")";
        if (profile == SeccompProfile::Default)
          c.expect_errno(rc, EPERM, what);
        else
          c.expect(rc == 0 || errno != EPERM, what + " is EPERM without a filter");
        if (rc == 0) break;  // joined (unfiltered): a second join is a different question
      }
      ::kill(holder, SIGKILL);
      ::waitpid(holder, nullptr, 0);
    });
    EXPECT_TRUE(r.passed) << (profile == SeccompProfile::Default ? "default: " : "none: ")
                          << r.failures;
  }
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
