// Path predicates shared by the mount planner and the mount-table walk.
// Paths here are absolute and normalised (no "//", no trailing slash).
#pragma once

#include <string_view>

namespace cgspawn::ns {

// True when PATH is ROOT or lies inside it ("/a/b" is below "/a", "/ab" is not).
inline bool is_at_or_below(std::string_view path, std::string_view root) noexcept {
  if (root == "/") return true;
  if (!path.starts_with(root)) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

}  // namespace cgspawn::ns
