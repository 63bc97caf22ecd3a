// Dynamic users: a uid (and a gid of the same number) for a name that has no
// account, allocated once and kept forever, so it is stable across spawns and
// never handed to another name, plus a home directory that persists.
//
//   STATE/                     root, 0755 (default /var/lib/cgspawn)
//   ├── dynamic-users/         root, 0700: the mapping
//   │   ├── .lock              flock()ed while a name is looked up or allocated
//   │   ├── name/NAME          "UID\n"
//   │   └── uid/UID            "NAME\n": the claim; never removed
//   └── home/                  root, 0755
//       └── NAME/              UID:UID, 0700: HOME and working directory
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cgspawn {

inline constexpr const char* kDynamicUserState = "/var/lib/cgspawn";
inline constexpr const char* kDynamicUserShell = "/bin/bash";
inline constexpr const char* kDynamicUserGecos = "cgspawn dynamic user";

struct UidRange {
  uid_t first = 20000, last = 29999;  // the default: see README, "Dynamic users"
  [[nodiscard]] bool contains(uid_t id) const noexcept { return id >= first && id <= last; }
  [[nodiscard]] std::string str() const;  // "20000-29999"
};

// "MIN-MAX" with 1000 <= MIN <= MAX <= 2147483646, clear of system users
// (below 1000) and of systemd's DynamicUser range, nobody and the 16-bit -1
// (61184-65535). Throws Error(BadRequest) naming --dynamic-user-range.
UidRange parse_uid_range(std::string_view text);

// [A-Za-z_][A-Za-z0-9_.-]{0,31}: a name passwd holds and tools accept, never a
// path. Throws Error(BadRequest).
void validate_dynamic_user_name(std::string_view name);

// What already holds ID in the user or group database (every NSS source:
// files, LDAP, ...), e.g. "passwd entry 'nobody'"; nullopt when ID is free.
using IdHolder = std::function<std::optional<std::string>(uid_t)>;
std::optional<std::string> nss_id_holder(uid_t id);

class DynamicUsers {
 public:
  // STATE is created if absent. HOLDER is replaceable for tests.
  explicit DynamicUsers(std::string state_dir, IdHolder holder = nss_id_holder);

  [[nodiscard]] std::string home_of(const std::string& name) const;

  // NAME's uid: the one it already has (whatever RANGE says now), else the
  // lowest uid in RANGE that no name was ever given and that no passwd or
  // group entry holds. Under the lock, so concurrent calls never hand out one
  // uid twice nor give one name two uids. Throws Error(System) when RANGE is
  // exhausted, or when NAME's uid has since been taken by a passwd/group entry.
  // ALLOWED (the sudo policy's uid bounds): a uid outside it, the one NAME
  // already has or the one it would get, is Error(Refused) before anything
  // is written, so a refused spawn records and creates nothing.
  uid_t allocate(const std::string& name, UidRange range,
                 std::optional<UidRange> allowed = std::nullopt) const;

  // allocate(), then STATE/home/NAME: created (0700, owned by the uid) if
  // absent, refused if it belongs to anyone else. Needs root.
  uid_t provision(const std::string& name, UidRange range,
                  std::optional<UidRange> allowed = std::nullopt) const;

 private:
  uid_t allocate_locked(const std::string& name, UidRange range,
                        std::optional<UidRange> allowed) const;
  void ensure_home(const std::string& name, uid_t uid) const;

  std::string state_;
  IdHolder holder_;
};

}  // namespace cgspawn
