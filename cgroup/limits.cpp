#include "cgroup/limits.hpp"

#include <algorithm>
#include <variant>

#include "cgroup/cgroup_dir.hpp"
#include "cgroup/names.hpp"
#include "cgroup/values.hpp"
#include "common/error.hpp"

namespace cgspawn::cg {
namespace {

// Whether a flag was given; given empty (a script's unset variable) is an
// error rather than the silent "no limit" it would otherwise be.
bool given(const std::optional<std::string>& value, std::string_view flag) {
  if (value && value->empty())
    throw_bad_request("parse " + std::string(flag),
                      std::string(flag) + " got an empty value: give a value or drop the flag");
  return value.has_value();
}

LimitValue size_value(const TypedLimit& l, std::string_view text) {
  const std::string flag = l.flag;
  auto bytes = parse_size(text, flag);
  if (!bytes) {
    if (l.accepts_max) return Unlimited{};
    throw_bad_request("parse " + flag, flag + " takes no max: give a size such as 512M");
  }
  // Zero is no bound but a server that cannot start: say so, not "not valid".
  if (*bytes == 0 && !l.zero_allowed)
    throw_bad_request("parse " + flag,
                      flag + " 0 would leave the server no memory: give a size such as 512M");
  return Bytes{*bytes};
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
  if (const TypedLimit* typed = find_typed_limit(file))
    throw_bad_request("parse --property",
                      "--property " + file + " is set with " + typed->flag + ": use that flag");
  if (controller == "cgroup")
    throw_bad_request(
        "parse --property",
        "--property " + file + " is a structural cgroup file that cgspawn manages itself");
  if (value.empty() || value.find_first_of("\n\r") != std::string::npos || value.size() > 4096)
    throw_bad_request("parse --property",
                      "--property " + file + " needs a one-line value, e.g. " + file + "=100");
  return {file, RawText{value}, controller};
}

}  // namespace

std::string kernel_text(const LimitValue& value) {
  struct Render {
    std::string operator()(Unlimited) const { return "max"; }
    std::string operator()(Bytes b) const { return std::to_string(b.n); }
    std::string operator()(CpuQuota q) const {
      return std::to_string(q.quota_usec) + " " + std::to_string(q.period_usec);
    }
    std::string operator()(Weight w) const { return std::to_string(w.n); }
    std::string operator()(Count c) const { return std::to_string(c.n); }
    std::string operator()(const RawText& r) const { return r.text; }
  };
  return std::visit(Render{}, value);
}

std::optional<uint64_t> amount(const LimitValue& value) {
  if (const auto* b = std::get_if<Bytes>(&value)) return b->n;
  if (const auto* w = std::get_if<Weight>(&value)) return w->n;
  if (const auto* c = std::get_if<Count>(&value)) return c->n;
  if (const auto* q = std::get_if<CpuQuota>(&value); q && q->period_usec != 0)
    return q->quota_usec * kCpuPeriodUsec / q->period_usec;
  return std::nullopt;
}

void write_limit(const CgroupDir& dir, const LimitWrite& w) {
  dir.write(w.file, w.text());
}

LimitValue parse_limit(const TypedLimit& l, std::string_view text) {
  auto integer = [&]() -> std::optional<uint64_t> {
    return parse_uint(text, l.flag, static_cast<uint64_t>(l.min), static_cast<uint64_t>(l.max),
                      l.accepts_max);
  };
  switch (l.kind) {
    case LimitKind::Size:
      return size_value(l, text);
    case LimitKind::Cpus:  // the bounds: parse_cpu_quota reads them from this row
      return CpuQuota{parse_cpu_quota(text, l.flag, kCpuPeriodUsec), kCpuPeriodUsec};
    case LimitKind::Weight:
      if (auto n = integer()) return Weight{*n};
      return Unlimited{};
    case LimitKind::Count:
      if (auto n = integer()) return Count{*n};
      return Unlimited{};
  }
  return Unlimited{};  // unreachable: every kind is handled above
}

std::vector<PlannedProbe> limit_probes() {
  std::vector<PlannedProbe> out;
  for (const auto& l : kTypedLimits) {
    std::string text = kernel_text(parse_limit(l, l.probe.input));
    out.push_back({l.file, text, text, l.probe.required, l.probe.consequence, l.probe.fix});
  }
  return out;
}

bool is_typed_limit_file(std::string_view file) {
  return find_typed_limit(file) != nullptr;
}

std::vector<LimitWrite> plan_limits(const LimitFlags& f) {
  std::vector<LimitWrite> w;
  for (const auto& l : kTypedLimits)
    if (const auto& text = f.*l.field; given(text, l.flag))
      w.push_back({l.file, parse_limit(l, *text), l.controller});
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
