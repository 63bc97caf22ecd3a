#include "launcher/dynamic_users/dynamic_users.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "common/error.hpp"
#include "common/fd.hpp"
#include "common/files.hpp"
#include "common/nss.hpp"

namespace cgspawn {
namespace {

constexpr const char* kStep = "dynamic user";
constexpr uid_t kMinUid = 1000;              // below: system users
constexpr uid_t kMaxUid = 2147483646;        // some tools take a uid for a signed int
constexpr UidRange kReserved{61184, 65535};  // systemd DynamicUser=, nobody, (uint16_t)-1

std::optional<uint64_t> parse_decimal(std::string_view text) {
  uint64_t v = 0;
  if (text.empty() || text.size() > 10) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// DIRFD/NAME, created with MODE when absent. It must be a real directory
// that only we can write: whoever else could would pick our mapping or plant
// a symlink where a home is created.
UniqueFd open_own_dir(int dirfd, const std::string& name, mode_t mode, const std::string& shown) {
  if (::mkdirat(dirfd, name.c_str(), mode) != 0 && errno != EEXIST)
    throw_system(kStep, shown, errno, "creating the state directory");
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd)
    throw_system(kStep, shown, errno,
                 errno == ELOOP || errno == ENOTDIR ? "must be a directory, not a symlink" : "");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_system(kStep, shown, errno, "stat");
  if (st.st_uid != ::geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    throw_system(kStep, shown, EPERM,
                 "owned by uid " + std::to_string(st.st_uid) + " with mode " +
                     mode_string(st.st_mode) +
                     ": it must belong to root and be writable by "
                     "nobody else (chown root, chmod go-w)");
  return fd;
}

// The state directory itself: its missing parents are created 0755.
UniqueFd open_state_dir(const std::string& path) {
  size_t slash = 0;
  while ((slash = path.find('/', slash + 1)) != std::string::npos)
    if (::mkdir(path.substr(0, slash).c_str(), 0755) != 0 && errno != EEXIST)
      throw_system(kStep, path.substr(0, slash), errno, "creating the state directory's parents");
  return open_own_dir(AT_FDCWD, path, 0755, path);
}

bool exists_at(int dirfd, const std::string& name) {
  struct stat st {};
  return ::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

// The one record a mapping file holds, without its newline.
std::optional<std::string> read_record(int dirfd, const std::string& name,
                                       const std::string& shown) {
  if (!exists_at(dirfd, name)) return std::nullopt;
  return std::string(trim(read_file_at(dirfd, name, shown)));
}

// STATE/dynamic-users/.lock, flock()ed until the returned descriptor closes.
UniqueFd lock_mapping(const std::string& state_dir) {
  UniqueFd state = open_state_dir(state_dir);
  const std::string map_path = state_dir + "/dynamic-users";
  UniqueFd map = open_own_dir(state.get(), "dynamic-users", 0700, map_path);
  UniqueFd lock(::openat(map.get(), ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!lock) throw_system(kStep, map_path + "/.lock", errno, "opening the lock");
  while (::flock(lock.get(), LOCK_EX) != 0)
    if (errno != EINTR) throw_system(kStep, map_path + "/.lock", errno, "flock");
  return lock;
}

// Before any record or home is written: a refused spawn leaves nothing.
void check_allowed(const std::string& name, uid_t id, const std::optional<UidRange>& allowed) {
  if (allowed && !allowed->contains(id))
    throw_refused("users", "dynamic user '" + name + "' has uid " + std::to_string(id) +
                    ", outside the allowed uid range " + allowed->str());
}

}  // namespace

std::string UidRange::str() const {
  return std::to_string(first) + "-" + std::to_string(last);
}

UidRange parse_uid_range(std::string_view text) {
  const std::string shown(text.substr(0, 40));
  auto dash = text.find('-');
  auto first = dash == text.npos ? std::nullopt : parse_decimal(text.substr(0, dash));
  auto last = dash == text.npos ? std::nullopt : parse_decimal(text.substr(dash + 1));
  if (!first || !last)
    throw_bad_request("parse --dynamic-user-range",
                      "--dynamic-user-range '" + shown + "' is not MIN-MAX, e.g. 20000-29999");
  if (*first > *last || *first < kMinUid || *last > kMaxUid)
    throw_bad_request("parse --dynamic-user-range",
                      "--dynamic-user-range " + shown + " must satisfy " + std::to_string(kMinUid) +
                          " <= MIN <= MAX <= " + std::to_string(kMaxUid) +
                          " (below 1000 are system users)");
  UidRange r{static_cast<uid_t>(*first), static_cast<uid_t>(*last)};
  if (r.first <= kReserved.last && r.last >= kReserved.first)
    throw_bad_request("parse --dynamic-user-range",
                      "--dynamic-user-range " + shown + " overlaps " + kReserved.str() +
                          " (systemd's DynamicUser= range, nobody and the 16-bit -1): pick a "
                          "range outside it, e.g. 20000-29999");
  return r;
}

void validate_dynamic_user_name(std::string_view name) {
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  bool ok = !name.empty() && name.size() <= 32 && alpha(name.front());
  for (char c : name) ok = ok && (alpha(c) || (c >= '0' && c <= '9') || c == '-' || c == '.');
  if (!ok)
    throw_bad_request("check dynamic user name",
                      "dynamic user name '" + std::string(name.substr(0, 60)) +
                          "' must be 1-32 characters of [A-Za-z0-9_.-], starting with a "
                          "letter or '_'");
}

std::optional<std::string> nss_id_holder(uid_t id) {
  if (auto pw = passwd_by_uid(id)) return "passwd entry '" + pw->name + "'";
  if (auto gr = group_by_gid(static_cast<gid_t>(id))) return "group entry '" + gr->name + "'";
  return std::nullopt;
}

DynamicUsers::DynamicUsers(std::string state_dir, IdHolder holder)
    : state_(std::move(state_dir)), holder_(std::move(holder)) {
  while (state_.size() > 1 && state_.back() == '/') state_.pop_back();
}

std::string DynamicUsers::home_of(const std::string& name) const {
  return state_ + "/home/" + name;
}

uid_t DynamicUsers::allocate(const std::string& name, UidRange range,
                             std::optional<UidRange> allowed) const {
  validate_dynamic_user_name(name);
  UniqueFd held = lock_mapping(state_);
  return allocate_locked(name, range, allowed);
}

uid_t DynamicUsers::allocate_locked(const std::string& name, UidRange range,
                                    std::optional<UidRange> allowed) const {
  const std::string map_path = state_ + "/dynamic-users";
  UniqueFd map = open_dir(map_path);
  UniqueFd by_name = open_own_dir(map.get(), "name", 0700, map_path + "/name");
  UniqueFd by_uid = open_own_dir(map.get(), "uid", 0700, map_path + "/uid");

  if (auto recorded = read_record(by_name.get(), name, map_path + "/name")) {
    auto uid = parse_decimal(*recorded);
    auto owner = uid ? read_record(by_uid.get(), *recorded, map_path + "/uid") : std::nullopt;
    if (!uid || owner != name)
      throw_system(kStep, map_path + "/name/" + name, EUCLEAN,
                   "the mapping is damaged (its uid record does not name it back): repair it "
                   "by hand; never give its uid to another name");
    const auto id = static_cast<uid_t>(*uid);
    check_allowed(name, id, allowed);
    if (auto holder = holder_(id))
      throw_system(kStep, name, EEXIST,
                   "its uid " + *recorded + " is now also held by the " + *holder +
                       ": give that entry another id (the dynamic user's files carry this one)");
    return id;
  }

  for (uint64_t id = range.first; id <= range.last; ++id) {
    const std::string key = std::to_string(id);
    if (exists_at(by_uid.get(), key) || holder_(static_cast<uid_t>(id))) continue;
    check_allowed(name, static_cast<uid_t>(id), allowed);
    // The uid record first: a crash before the name record only strands a
    // uid (never reused), it can never let two names share one.
    create_file_at(by_uid.get(), key, name + "\n", 0644, map_path + "/uid");
    create_file_at(by_name.get(), name, key + "\n", 0644, map_path + "/name");
    if (::fsync(by_uid.get()) != 0 || ::fsync(by_name.get()) != 0)
      throw_system(kStep, map_path, errno, "fsync");
    return static_cast<uid_t>(id);
  }
  throw Error(ErrorKind::System, kStep, name, 0,
              "no free uid left in the dynamic user range " + range.str() +
                  ": every uid there is given to another name or held by a passwd/group "
                  "entry; widen it with --dynamic-user-range (names keep their uids)");
}

uid_t DynamicUsers::provision(const std::string& name, UidRange range,
                              std::optional<UidRange> allowed) const {
  validate_dynamic_user_name(name);
  UniqueFd held = lock_mapping(state_);
  uid_t uid = allocate_locked(name, range, allowed);
  ensure_home(name, uid);  // under the lock: a concurrent spawn sees it whole
  return uid;
}

void DynamicUsers::ensure_home(const std::string& name, uid_t uid) const {
  UniqueFd state = open_state_dir(state_);
  UniqueFd homes = open_own_dir(state.get(), "home", 0755, state_ + "/home");
  const std::string home = home_of(name);
  const bool created = ::mkdirat(homes.get(), name.c_str(), 0700) == 0;
  if (!created && errno != EEXIST) throw_system(kStep, home, errno, "creating the home directory");
  UniqueFd fd(::openat(homes.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw_system(kStep, home, errno, "the home must be a directory, not a symlink");
  if (created) {
    if (::fchown(fd.get(), uid, static_cast<gid_t>(uid)) != 0 || ::fchmod(fd.get(), 0700) != 0) {
      int err = errno;
      ::unlinkat(homes.get(), name.c_str(), AT_REMOVEDIR);
      throw_system(kStep, home, err, "giving the home to uid " + std::to_string(uid));
    }
    return;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_system(kStep, home, errno, "stat");
  if (st.st_uid != uid || st.st_gid != static_cast<gid_t>(uid))
    throw_system(kStep, home, EPERM,
                 "it belongs to " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid) +
                     ", not to the dynamic user's " + std::to_string(uid) + ":" +
                     std::to_string(uid) + ": chown -R it, or remove it");
}

}  // namespace cgspawn
