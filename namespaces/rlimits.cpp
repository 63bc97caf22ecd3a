#include "namespaces/rlimits.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <set>

#include "common/error.hpp"

namespace cgspawn::ns {
namespace {

enum class Unit { Count, Bytes };

struct Resource {
  std::string_view name;
  int resource;
  Unit unit;
};

// systemd.exec(5) "Process properties", in its order.
constexpr std::array<Resource, 16> kResources{{
    {"CPU", RLIMIT_CPU, Unit::Count},  // seconds
    {"FSIZE", RLIMIT_FSIZE, Unit::Bytes},
    {"DATA", RLIMIT_DATA, Unit::Bytes},
    {"STACK", RLIMIT_STACK, Unit::Bytes},
    {"CORE", RLIMIT_CORE, Unit::Bytes},
    {"RSS", RLIMIT_RSS, Unit::Bytes},
    {"NOFILE", RLIMIT_NOFILE, Unit::Count},
    {"AS", RLIMIT_AS, Unit::Bytes},
    {"NPROC", RLIMIT_NPROC, Unit::Count},
    {"MEMLOCK", RLIMIT_MEMLOCK, Unit::Bytes},
    {"LOCKS", RLIMIT_LOCKS, Unit::Count},
    {"SIGPENDING", RLIMIT_SIGPENDING, Unit::Count},
    {"MSGQUEUE", RLIMIT_MSGQUEUE, Unit::Bytes},
    {"NICE", RLIMIT_NICE, Unit::Count},      // raw: 20 - nice, 0..40
    {"RTPRIO", RLIMIT_RTPRIO, Unit::Count},  // 0..99
    {"RTTIME", RLIMIT_RTTIME, Unit::Count},  // microseconds
}};

const Resource& find_resource(std::string_view name) {
  for (const auto& r : kResources)
    if (r.name == name) return r;
  std::string names;
  for (const auto& r : kResources) names += (names.empty() ? "" : ", ") + std::string(r.name);
  throw_bad_request("parse --rlimit", "unknown resource '" + std::string(name.substr(0, 40)) +
                                          "': use one of " + names + " (systemd's Limit* names)");
}

rlim_t parse_value(const Resource& r, std::string_view v) {
  if (v == "infinity") return RLIM_INFINITY;
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  std::string_view suffix(end, v.data() + v.size() - end);
  int shift = 0;
  if (r.unit == Unit::Bytes && suffix.size() == 1) {
    constexpr std::string_view kSuffixes = "KMGTPE";
    auto at = kSuffixes.find(suffix[0]);
    if (at != std::string_view::npos) shift = 10 * static_cast<int>(at + 1), suffix = {};
  }
  bool overflow = shift > 0 && n > (UINT64_MAX >> shift);
  if (ec != std::errc{} || end == v.data() || !suffix.empty() || overflow ||
      (n << shift) >= RLIM_INFINITY)
    throw_bad_request("parse --rlimit",
                      std::string(r.name) + " value '" + std::string(v.substr(0, 40)) +
                          "' is not a number or infinity" +
                          (r.unit == Unit::Bytes ? " (K, M, G, T, P, E: x1024)" : ""));
  rlim_t value = static_cast<rlim_t>(n) << shift;
  if ((r.resource == RLIMIT_NICE && value > 40) || (r.resource == RLIMIT_RTPRIO && value > 99))
    throw_bad_request("parse --rlimit", std::string(r.name) + " value " + std::to_string(value) +
                                            " is out of range (NICE: 0-40, RTPRIO: 0-99)");
  return value;
}

}  // namespace

rlim_t parse_rlimit_value(std::string_view name, std::string_view value) {
  return parse_value(find_resource(name), value);
}

Rlimit parse_rlimit(std::string_view text) {
  auto eq = text.find('=');
  if (eq == std::string_view::npos)
    throw_bad_request("parse --rlimit", "'" + std::string(text.substr(0, 60)) +
                                            "' is not NAME=SOFT[:HARD], e.g. NOFILE=16384");
  const Resource& r = find_resource(text.substr(0, eq));
  std::string_view values = text.substr(eq + 1);
  auto colon = values.find(':');
  Rlimit out{std::string(r.name), r.resource, 0, 0};
  out.soft = parse_value(r, values.substr(0, colon));
  out.hard = colon == std::string_view::npos ? out.soft : parse_value(r, values.substr(colon + 1));
  // RLIM_INFINITY is the largest rlim_t, so this also refuses infinity:N.
  if (out.soft > out.hard)
    throw_bad_request("parse --rlimit", out.name + ": the soft limit " + rlimit_text(out.soft) +
                                            " is above the hard limit " + rlimit_text(out.hard));
  return out;
}

std::vector<Rlimit> parse_rlimits(const std::vector<std::string>& texts) {
  std::vector<Rlimit> out;
  std::set<int> seen;
  for (const auto& t : texts) {
    Rlimit r = parse_rlimit(t);
    if (!seen.insert(r.resource).second)
      throw_bad_request("parse --rlimit", r.name + " is given twice: give each resource once");
    out.push_back(std::move(r));
  }
  return out;
}

void apply_rlimits(const std::vector<Rlimit>& limits) {
  for (const auto& r : limits) {
    struct rlimit value {
      r.soft, r.hard
    };
    if (::setrlimit(static_cast<__rlimit_resource>(r.resource), &value) != 0)
      throw_system("set resource limit", "RLIMIT_" + r.name, errno,
                   "the kernel refused it (NOFILE above fs.nr_open?)");
  }
}

std::string rlimit_text(rlim_t value) {
  return value == RLIM_INFINITY ? "infinity" : std::to_string(value);
}

}  // namespace cgspawn::ns
