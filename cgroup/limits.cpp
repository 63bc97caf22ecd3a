#include "cgroup/limits.hpp"

#include <algorithm>
#include <map>

#include "cgroup/names.hpp"
#include "cgroup/values.hpp"
#include "common/error.hpp"

namespace cgspawn::cg {
namespace {

std::string size_value(std::string_view text, std::string_view flag, bool allow_zero) {
  auto bytes = parse_size(text, flag);
  if (!bytes) return "max";
  if (*bytes == 0 && !allow_zero)
    throw_bad_request(
        "parse " + std::string(flag),
        std::string(flag) + " 0 would leave the server no memory: give a size such as 512M");
  return std::to_string(*bytes);
}

// Whether a flag was given; given empty (a script's unset variable) is an
// error rather than the silent "no limit" it would otherwise be.
bool given(const std::optional<std::string>& value, std::string_view flag) {
  if (value && value->empty())
    throw_bad_request("parse " + std::string(flag),
                      std::string(flag) + " got an empty value: give a value or drop the flag");
  return value.has_value();
}

const std::map<std::string, std::string>& typed_files() {
  static const std::map<std::string, std::string> typed = {
      {"memory.max", "--memory-max"}, {"memory.swap.max", "--memory-swap-max"},
      {"memory.low", "--memory-low"}, {"cpu.max", "--cpu-max"},
      {"cpu.weight", "--cpu-weight"}, {"pids.max", "--tasks-max"}};
  return typed;
}

// CONTROLLER.rest, as the kernel names them: a known controller, then
// letters of both cases (hugetlb.2MB.max), digits, '_' and '-', in
// non-empty dot-separated parts, so never '/', "..", or a trailing '.'.
bool interface_file_shape(std::string_view file, size_t dot) {
  if (dot == std::string_view::npos || !is_interface_prefix(file.substr(0, dot))) return false;
  std::string_view rest = file.substr(dot + 1);
  bool part_empty = true;
  for (char c : rest) {
    if (c == '.') {
      if (part_empty) return false;
      part_empty = true;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-') {
      part_empty = false;
    } else {
      return false;
    }
  }
  return !part_empty;
}

// The file name for an error: printable ASCII only, and short.
std::string shown_file(std::string_view file) {
  std::string out;
  for (char c : file.substr(0, 60)) out += (c > ' ' && c < 0x7f) ? c : '?';
  return out;
}

// FILE=VALUE for an interface file the typed flags do not cover. Structural
// files (cgroup.*) are ours; any other controller file is checked against the
// kernel once the unit exists.
LimitWrite property_write(std::string_view prop) {
  auto eq = prop.find('=');
  std::string shown(prop.substr(0, 60));
  if (eq == std::string_view::npos || eq == 0)
    throw_bad_request("parse --property", "--property '" + shown +
                                              "' is not FILE=VALUE: e.g. --property io.weight=200");
  std::string file(prop.substr(0, eq));
  std::string value(prop.substr(eq + 1));
  auto dot = file.find('.');
  if (!interface_file_shape(file, dot))
    throw_bad_request("parse --property", "--property file '" + shown_file(file) +
                                              "' is not a cgroup interface file name: e.g. "
                                              "io.weight or hugetlb.2MB.max");
  std::string controller = file.substr(0, dot);
  // Files the typed flags own are set only through them, so their values
  // are always parsed (and, in sudo mode, held to the policy's ceilings).
  if (auto it = typed_files().find(file); it != typed_files().end())
    throw_bad_request("parse --property",
                      "--property " + file + " is set with " + it->second + ": use that flag");
  if (controller == "cgroup")
    throw_bad_request(
        "parse --property",
        "--property " + file + " is a structural cgroup file that cgspawn manages itself");
  if (value.empty() || value.find_first_of("\n\r") != std::string::npos || value.size() > 4096)
    throw_bad_request("parse --property",
                      "--property " + file + " needs a one-line value, e.g. " + file + "=100");
  return {file, value, controller};
}

}  // namespace

bool is_typed_limit_file(std::string_view file) {
  return typed_files().contains(std::string(file));
}

std::vector<LimitWrite> plan_limits(const LimitFlags& f) {
  std::vector<LimitWrite> w;
  if (given(f.memory_max, "--memory-max"))
    w.push_back({"memory.max", size_value(*f.memory_max, "--memory-max", false), "memory"});
  if (given(f.memory_swap_max, "--memory-swap-max"))
    w.push_back(
        {"memory.swap.max", size_value(*f.memory_swap_max, "--memory-swap-max", true), "memory"});
  if (given(f.memory_low, "--memory-low"))
    w.push_back({"memory.low", size_value(*f.memory_low, "--memory-low", true), "memory"});
  if (given(f.cpu_max, "--cpu-max")) {
    auto quota = parse_cpu_quota(*f.cpu_max, "--cpu-max", kCpuPeriodUsec);
    w.push_back({"cpu.max", std::to_string(quota) + " " + std::to_string(kCpuPeriodUsec), "cpu"});
  }
  if (given(f.cpu_weight, "--cpu-weight"))
    w.push_back({"cpu.weight",
                 std::to_string(*parse_uint(*f.cpu_weight, "--cpu-weight", 1, 10000, false)),
                 "cpu"});
  if (given(f.tasks_max, "--tasks-max")) {
    auto n = parse_uint(*f.tasks_max, "--tasks-max", 1, 4194304, true);
    w.push_back({"pids.max", n ? std::to_string(*n) : "max", "pids"});
  }
  for (const auto& p : f.properties) {
    auto write = property_write(p);
    bool dup =
        std::any_of(w.begin(), w.end(), [&](const LimitWrite& x) { return x.file == write.file; });
    if (dup)
      throw_bad_request(
          "parse --property",
          "--property " + write.file + " is set twice (or also by a typed flag): give it once");
    w.push_back(std::move(write));
  }
  return w;
}

std::vector<std::string> missing_controllers(const std::vector<LimitWrite>& writes,
                                             const std::set<std::string>& enabled) {
  std::vector<std::string> missing;
  for (const auto& w : writes)
    if (!enabled.contains(w.controller) &&
        std::find(missing.begin(), missing.end(), w.controller) == missing.end())
      missing.push_back(w.controller);
  return missing;
}

std::set<std::string> parse_controller_list(std::string_view text) {
  std::set<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\n')) ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\n') ++j;
    if (j > i) out.emplace(text.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace cgspawn::cg
