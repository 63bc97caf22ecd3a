#include "cgroup/owner.hpp"

#include <sys/xattr.h>

#include <cerrno>
#include <vector>

#include "common/error.hpp"

namespace cgspawn::cg {

void validate_owner(std::string_view owner) {
  if (owner.empty() || owner.size() > kMaxOwnerBytes)
    throw_bad_request("parse --owner", "--owner must be 1-" + std::to_string(kMaxOwnerBytes) +
                                           " bytes, not " + std::to_string(owner.size()));
  for (unsigned char c : owner)
    if (c < 0x20 || c == 0x7f)
      throw_bad_request("parse --owner",
                        "--owner must not contain control characters (newline, tab, NUL ...)");
}

void record_owner(const CgroupDir& unit, std::string_view owner) {
  if (::fsetxattr(unit.fd(), kOwnerAttribute, owner.data(), owner.size(), 0) != 0)
    throw_system("record the unit's owner", unit.path() + " (" + kOwnerAttribute + ")", errno);
}

std::optional<std::string> read_owner(const CgroupDir& unit) {
  std::vector<char> buf(kMaxOwnerBytes);
  ssize_t n = ::fgetxattr(unit.fd(), kOwnerAttribute, buf.data(), buf.size());
  // ENODATA: none recorded, or (without CAP_SYS_ADMIN) not ours to read.
  if (n <= 0) return std::nullopt;
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

}  // namespace cgspawn::cg
