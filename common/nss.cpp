#include "common/nss.hpp"

#include <grp.h>
#include <pwd.h>

#include <cerrno>

#include "common/error.hpp"

namespace cgspawn {
namespace {

// Larger than any sane entry (a group of some 100k members fits): past it
// the source is broken, and looping on ERANGE forever would hang the spawn.
constexpr size_t kMaxBuffer = size_t{16} << 20;

// CALL(buf, size, &result) is one getXXbyYY_r; retried with a doubled
// buffer while it says ERANGE.
template <class Raw, class Call>
std::optional<Raw> lookup(std::vector<char>& buf, const std::string& what, Call call) {
  Raw raw{};
  Raw* result = nullptr;
  int rc;
  while ((rc = call(&raw, buf.data(), buf.size(), &result)) == ERANGE && buf.size() < kMaxBuffer)
    buf.resize(buf.size() * 2);
  if (!nss_answer(rc, result != nullptr, what)) return std::nullopt;
  return raw;
}

std::string str(const char* s) {
  return s ? s : "";
}

std::optional<PasswdEntry> to_entry(const std::optional<passwd>& pw) {
  if (!pw) return std::nullopt;
  return PasswdEntry{str(pw->pw_name), pw->pw_uid, pw->pw_gid, str(pw->pw_dir), str(pw->pw_shell)};
}

std::optional<GroupEntry> to_entry(const std::optional<group>& gr) {
  if (!gr) return std::nullopt;
  GroupEntry e{str(gr->gr_name), gr->gr_gid, {}};
  for (char** m = gr->gr_mem; m != nullptr && *m != nullptr; ++m) e.members.emplace_back(*m);
  return e;
}

}  // namespace

// Only "rc 0, no result" is absent. glibc returns 0 with a null result when
// every source said NOTFOUND (a source whose module is not installed is
// skipped, which also ends in 0). It returns an errno only when the last
// source consulted answered UNAVAIL or TRYAGAIN, and the usual remote
// sources answer exactly so, with *errnop = ENOENT, when their daemon is
// down (nss-pam-ldapd without nslcd, sssd without its responder). The
// getpwnam_r(3) list of ENOENT, ESRCH, EBADF and EPERM as "not found" comes
// from other systems' libcs; on glibc those values mean "could not answer",
// so treating them as absent would be the very failure this guards against.
bool nss_answer(int rc, bool found, const std::string& what) {
  if (found) return true;
  if (rc == 0) return false;
  throw Error(ErrorKind::System, "user database", what, rc,
              "a name service source could not answer (LDAP/sssd unreachable?): refusing "
              "rather than take the entry for absent; fix the source or /etc/nsswitch.conf");
}

std::optional<PasswdEntry> passwd_by_name(const std::string& name) {
  std::vector<char> buf(4096);
  return to_entry(lookup<passwd>(buf, "passwd entry '" + name.substr(0, 64) + "'",
                                 [&](passwd* pw, char* b, size_t n, passwd** r) {
                                   return ::getpwnam_r(name.c_str(), pw, b, n, r);
                                 }));
}

std::optional<PasswdEntry> passwd_by_uid(uid_t uid) {
  std::vector<char> buf(4096);
  return to_entry(lookup<passwd>(
      buf, "passwd entry for uid " + std::to_string(uid),
      [&](passwd* pw, char* b, size_t n, passwd** r) { return ::getpwuid_r(uid, pw, b, n, r); }));
}

std::optional<GroupEntry> group_by_name(const std::string& name) {
  std::vector<char> buf(4096);
  return to_entry(lookup<group>(buf, "group entry '" + name.substr(0, 64) + "'",
                                [&](group* gr, char* b, size_t n, group** r) {
                                  return ::getgrnam_r(name.c_str(), gr, b, n, r);
                                }));
}

std::optional<GroupEntry> group_by_gid(gid_t gid) {
  std::vector<char> buf(4096);
  return to_entry(lookup<group>(
      buf, "group entry for gid " + std::to_string(gid),
      [&](group* gr, char* b, size_t n, group** r) { return ::getgrgid_r(gid, gr, b, n, r); }));
}

}  // namespace cgspawn
