// The user and group database (getpwnam_r and friends, every NSS source:
// files, systemd, LDAP, sssd...), failing closed. "No such entry" and "a
// source could not answer" are different things: a privileged caller that
// took an unreachable LDAP server for "no such uid" handed that uid out.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace cgspawn {

struct PasswdEntry {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string home, shell;
};

struct GroupEntry {
  std::string name;
  gid_t gid = 0;
  std::vector<std::string> members;
};

// The entry, or nullopt when the database has none. Any other outcome (a
// source answered UNAVAIL or TRYAGAIN, out of memory...) throws
// Error(System) naming the key and the errno: the caller must refuse, not
// carry on as if the entry were absent.
std::optional<PasswdEntry> passwd_by_name(const std::string& name);
std::optional<PasswdEntry> passwd_by_uid(uid_t uid);
std::optional<GroupEntry> group_by_name(const std::string& name);
std::optional<GroupEntry> group_by_gid(gid_t gid);

// The decision behind them, for one call's return code RC and whether it
// filled in a result: true found, false absent; throws for anything else
// (ERANGE is the callers' to retry before asking). WHAT names the lookup,
// e.g. "passwd entry for uid 20000".
bool nss_answer(int rc, bool found, const std::string& what);

}  // namespace cgspawn
