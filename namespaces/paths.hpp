// Path predicates shared by the mount planner and the mount-table walk.
// Paths here are absolute and normalised (no "//", no trailing slash).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace cgspawn::ns {

// True when PATH is ROOT or lies inside it ("/a/b" is below "/a", "/ab" is not).
inline bool is_at_or_below(std::string_view path, std::string_view root) noexcept {
  if (root == "/") return true;
  if (!path.starts_with(root)) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

// The one lexical rule for the paths a request or a policy names: absolute,
// "//", "." and a trailing "/" collapsed. ".." is refused (nullopt), never
// resolved, so what is judged is what was written; symlinks are left to
// whoever opens the path (checked_path.hpp). nullopt too for a relative path.
// Callers word their own errors: a policy refusal, or a bad request.
inline std::optional<std::string> lexically_normal(std::string_view path) {
  if (!path.starts_with('/')) return std::nullopt;
  std::string out;
  for (size_t pos = 0; pos < path.size();) {
    const size_t end = std::min(path.find('/', pos), path.size());
    const std::string_view part = path.substr(pos, end - pos);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") out.append("/").append(part);
    pos = end + 1;
  }
  return out.empty() ? "/" : out;
}

}  // namespace cgspawn::ns
