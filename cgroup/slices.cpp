#include "cgroup/slices.hpp"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "cgroup/names.hpp"
#include "common/error.hpp"
#include "common/files.hpp"

namespace cgspawn::cg {
namespace {

std::vector<std::string> unit_names(const CgroupDir& slice) {
  std::vector<std::string> names;
  for (auto& n : slice.child_names())
    if (is_valid_name(n)) names.push_back(std::move(n));
  std::sort(names.begin(), names.end());
  return names;
}

void record_limits(const CgroupDir& slice, const std::map<std::string, std::string>& limits) {
  std::string text;
  for (const auto& [file, value] : limits) text += file + "=" + value + "\n";
  if (::fsetxattr(slice.fd(), kSliceLimitsXattr, text.data(), text.size(), 0) != 0)
    throw_system("record slice limits", slice.path(), errno,
                 std::string("setting the xattr ") + kSliceLimitsXattr);
}

SliceInfo info(const Layout& layout, const std::string& name) {
  CgroupDir dir = CgroupDir::open(layout.users_path() + "/" + name);
  return {name, dir.path(), configured_limits(dir), unit_names(dir)};
}

}  // namespace

std::map<std::string, std::string> configured_limits(const CgroupDir& slice) {
  std::map<std::string, std::string> limits;
  std::string text(4096, '\0');
  ssize_t n;
  while ((n = ::fgetxattr(slice.fd(), kSliceLimitsXattr, text.data(), text.size())) < 0 &&
         errno == ERANGE)
    text.resize(text.size() * 4);
  if (n < 0) {
    if (errno == ENODATA || errno == ENOTSUP) return limits;
    throw_system("read slice limits", slice.path(), errno, kSliceLimitsXattr);
  }
  text.resize(static_cast<size_t>(n));
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (auto eq = line.find('='); eq != std::string::npos && eq > 0)
      limits[line.substr(0, eq)] = line.substr(eq + 1);
    pos = end + 1;
  }
  return limits;
}

std::optional<SliceInfo> find_slice(const Layout& layout, const std::string& name) {
  if (!layout.is_slice(name)) return std::nullopt;
  return info(layout, name);
}

std::vector<SliceInfo> list_slices(const Layout& layout) {
  std::vector<SliceInfo> slices;
  if (!is_dir(layout.users_path())) return slices;
  std::vector<std::string> names = CgroupDir::open(layout.users_path()).child_names();
  std::sort(names.begin(), names.end());
  for (const auto& n : names)
    if (is_valid_name(n) && layout.is_slice(n)) slices.push_back(info(layout, n));
  return slices;
}

void set_slice_limits(const Layout& layout, const std::string& name,
                      const std::vector<LimitWrite>& writes) {
  validate_name(name, "slice");
  UsersLock lock(layout);
  const bool existed = is_dir(layout.users_path() + "/" + name);
  CgroupDir slice = layout.open_or_create_slice(name);
  try {
    auto limits = configured_limits(slice);
    for (const auto& w : writes) {
      write_limit(slice, w);
      limits[w.file] = w.text();  // the record holds what the kernel was given
    }
    record_limits(slice, limits);
  } catch (const Error&) {
    if (!existed) ::rmdir(slice.path().c_str());  // best effort: it is still empty
    throw;
  }
}

bool remove_slice_if_idle(const Layout& layout, const std::string& name) {
  validate_name(name, "slice");
  UsersLock lock(layout);
  const std::string path = layout.users_path() + "/" + name;
  if (!is_dir(path)) return false;
  CgroupDir slice = CgroupDir::open(path);
  if (!slice.child_names().empty() || !configured_limits(slice).empty()) return false;
  if (::rmdir(path.c_str()) == 0) return true;
  if (errno == ENOENT || errno == EBUSY || errno == ENOTEMPTY) return false;
  throw_system("remove slice", path, errno);
}

void remove_slice(const Layout& layout, const std::string& name) {
  validate_name(name, "slice");
  UsersLock lock(layout);
  const std::string path = layout.users_path() + "/" + name;
  if (!is_dir(path)) return;
  if (!layout.is_slice(name))
    throw_bad_request("remove slice",
                      "'" + name + "' is a unit, not a slice: use `cgspawn stop " + name + "`");
  CgroupDir slice = CgroupDir::open(path);
  if (auto units = unit_names(slice); !units.empty())
    throw_bad_request("remove slice", "slice '" + name + "' still holds " +
                                          std::to_string(units.size()) + " unit(s), e.g. " +
                                          units.front() + ": stop them first");
  slice.remove();
}

}  // namespace cgspawn::cg
