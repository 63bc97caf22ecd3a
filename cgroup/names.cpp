#include "cgroup/names.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "common/error.hpp"

namespace cgspawn::cg {
namespace {

constexpr size_t kMaxName = 200;

// Prefixes of kernel interface files, present and future-proofed with the
// controllers Linux has had (irq: 6.x pressure files irq.pressure; dmem:
// 6.14's device memory controller); a unit named like one would shadow or
// clash, and a --property file must start with one.
constexpr std::array<std::string_view, 14> kInterfacePrefixes = {
    "cgroup",  "cpu",  "cpuacct", "cpuset", "memory",  "io",  "pids",
    "hugetlb", "rdma", "misc",    "blkio",  "freezer", "irq", "dmem"};

bool allowed_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '@' || c == '-';
}

const char* why_invalid(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > kMaxName) return "is longer than 200 characters";
  if (name == "." || name == "..") return "is a path component";
  // "-x" reads as an option to every tool that takes the name (cgspawn stop
  // -x, rmdir, systemctl): it could be created but not stopped without "--".
  if (name.front() == '-') return "starts with '-'";
  if (!std::all_of(name.begin(), name.end(), allowed_char))
    return "may only contain letters, digits and _ . @ -";
  auto dot = name.find('.');
  if (dot != std::string_view::npos) {
    if (is_interface_prefix(name.substr(0, dot))) return "looks like a cgroup interface file";
  }
  return nullptr;
}

}  // namespace

bool is_interface_prefix(std::string_view prefix) noexcept {
  return std::find(kInterfacePrefixes.begin(), kInterfacePrefixes.end(), prefix) !=
         kInterfacePrefixes.end();
}

bool is_valid_name(std::string_view name) noexcept {
  return why_invalid(name) == nullptr;
}

void validate_name(std::string_view name, std::string_view what) {
  if (const char* why = why_invalid(name)) {
    std::string shown(name.substr(0, 60));
    throw_bad_request("validate " + std::string(what) + " name",
                      std::string(what) + " name '" + shown + "' " + why +
                          ": use 1-200 of [A-Za-z0-9_.@-], not starting with '-', e.g. "
                          "jupyter-alice-singleuser");
  }
}

}  // namespace cgspawn::cg
