#include "cgroup/values.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "cgroup/limit_table.hpp"
#include "common/error.hpp"

namespace cgspawn::cg {
namespace {

[[noreturn]] void bad(std::string_view flag, std::string_view text, std::string_view form) {
  std::string shown(text.substr(0, 40));
  throw_bad_request("parse " + std::string(flag),
                    std::string(flag) + " '" + shown + "' is not valid: use " + std::string(form));
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

std::optional<uint64_t> parse_size(std::string_view text, std::string_view flag) {
  constexpr std::string_view form = "bytes or a number with K, M, G or T (x1024), e.g. 512M";
  if (text == "max" || text == "infinity") return std::nullopt;
  if (text.empty()) bad(flag, text, form);
  uint64_t mult = 1;
  std::string_view num = text;
  switch (text.back()) {
    case 'K':
    case 'k':
      mult = 1ULL << 10;
      break;
    case 'M':
    case 'm':
      mult = 1ULL << 20;
      break;
    case 'G':
    case 'g':
      mult = 1ULL << 30;
      break;
    case 'T':
    case 't':
      mult = 1ULL << 40;
      break;
    default:
      break;
  }
  if (mult != 1) num.remove_suffix(1);
  auto dot = num.find('.');
  if (dot == std::string_view::npos) {
    if (!all_digits(num)) bad(flag, text, form);
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (ec != std::errc() || p != num.data() + num.size() ||
        v > std::numeric_limits<uint64_t>::max() / mult)
      bad(flag, text, form);
    return v * mult;
  }
  // A fraction only makes sense with a unit (1.5G); "1.5" bytes does not.
  if (mult == 1 || !all_digits(num.substr(0, dot)) || !all_digits(num.substr(dot + 1)))
    bad(flag, text, form);
  double v = 0;
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (ec != std::errc() || p != num.data() + num.size()) bad(flag, text, form);
  double bytes = std::floor(v * static_cast<double>(mult));
  if (!(bytes < 1.8e19)) bad(flag, text, form);
  return static_cast<uint64_t>(bytes);
}

uint64_t parse_cpu_quota(std::string_view text, std::string_view flag, uint64_t period_usec) {
  const TypedLimit& row = typed_limit(LimitId::CpuMax);
  const std::string form = "a number of CPUs from " + number_text(row.min) + " to " +
                           number_text(row.max) + ", e.g. 0.5 or 2";
  double cores = 0;
  auto [p, ec] =
      std::from_chars(text.data(), text.data() + text.size(), cores, std::chars_format::fixed);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() ||
      !std::isfinite(cores) || cores < row.min || cores > row.max)
    bad(flag, text, form);
  return static_cast<uint64_t>(std::llround(cores * static_cast<double>(period_usec)));
}

std::optional<CpuMax> parse_cpu_max(std::string_view text) {
  auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view s) -> std::optional<uint64_t> {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (!all_digits(s) || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
  };
  std::string_view quota = text.substr(0, space);
  auto period = number(text.substr(space + 1));
  if (!period || *period == 0) return std::nullopt;
  if (quota == "max") return CpuMax{std::nullopt, *period};
  auto q = number(quota);
  if (!q) return std::nullopt;
  return CpuMax{q, *period};
}

std::optional<uint64_t> parse_uint(std::string_view text, std::string_view flag, uint64_t min,
                                   uint64_t max, bool allow_max) {
  std::string form = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (allow_max) {
    if (text == "max" || text == "infinity") return std::nullopt;
    form += " or max";
  }
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (!all_digits(text) || ec != std::errc() || p != text.data() + text.size() || v < min ||
      v > max)
    bad(flag, text, form);
  return v;
}

std::map<std::string, uint64_t> parse_keyed(std::string_view text) {
  std::map<std::string, uint64_t> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    auto sp = line.find(' ');
    if (sp == std::string_view::npos) continue;
    uint64_t v = 0;
    std::string_view value = line.substr(sp + 1);
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec == std::errc()) out.emplace(std::string(line.substr(0, sp)), v);
  }
  return out;
}

}  // namespace cgspawn::cg
