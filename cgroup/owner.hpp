// Who a unit belongs to, recorded on its cgroup directory by root: the
// trusted.cgspawn.owner extended attribute (trusted.* needs CAP_SYS_ADMIN to
// write, so a hub user who owns the delegated subtree cannot forge or move
// it, and it goes with the directory). The text is the caller's (the spawner
// writes JSON ["hub user", "server name"]); cgspawn only stores and shows it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cgroup/cgroup_dir.hpp"

namespace cgspawn::cg {

inline constexpr const char* kOwnerAttribute = "trusted.cgspawn.owner";
inline constexpr std::size_t kMaxOwnerBytes = 4096;

// 1-4096 bytes, no control characters. Throws Error(BadRequest).
void validate_owner(std::string_view owner);

// Record OWNER on UNIT. Throws Error(System) naming the directory.
void record_owner(const CgroupDir& unit, std::string_view owner);

// The recorded owner; nullopt when none was recorded (a unit of an older
// cgspawn, a spawn without --owner) or the caller may not read trusted.*.
std::optional<std::string> read_owner(const CgroupDir& unit);

}  // namespace cgspawn::cg
