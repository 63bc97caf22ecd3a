// libnss_cgspawntestfail.so.2: an NSS source that is always unreachable, as
// an LDAP or sssd source is while its daemon is down: every lookup answers
// NSS_STATUS_UNAVAIL with errno ENOENT (what nss-pam-ldapd and sssd set
// then). Listed after files ("passwd: files cgspawntestfail"), an entry in
// files is still found, and everything else "could not be answered".
// CGSPAWN_NSS_TESTFAIL=uid: only the by-uid/gid lookups fail, by-name ones
// say NOTFOUND (a name that looks free, whose uid cannot be checked).
// Built for tests only (tests/CMakeLists.txt, tests/guest/run.sh).
#include <grp.h>
#include <nss.h>
#include <pwd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace {

nss_status unavailable(int* errnop) {
  *errnop = ENOENT;
  return NSS_STATUS_UNAVAIL;
}

nss_status by_name(int* errnop) {
  const char* only = std::getenv("CGSPAWN_NSS_TESTFAIL");
  if (only != nullptr && std::strcmp(only, "uid") == 0) {
    *errnop = ENOENT;
    return NSS_STATUS_NOTFOUND;
  }
  return unavailable(errnop);
}

}  // namespace

extern "C" {

nss_status _nss_cgspawntestfail_getpwnam_r(const char*, passwd*, char*, size_t, int* errnop) {
  return by_name(errnop);
}
nss_status _nss_cgspawntestfail_getgrnam_r(const char*, group*, char*, size_t, int* errnop) {
  return by_name(errnop);
}
nss_status _nss_cgspawntestfail_getpwuid_r(uid_t, passwd*, char*, size_t, int* errnop) {
  return unavailable(errnop);
}
nss_status _nss_cgspawntestfail_getgrgid_r(gid_t, group*, char*, size_t, int* errnop) {
  return unavailable(errnop);
}
}
