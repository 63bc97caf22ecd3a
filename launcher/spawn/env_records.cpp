#include "launcher/spawn/env_records.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <unordered_map>

#include "common/error.hpp"
#include "common/files.hpp"

namespace cgspawn {
namespace {

bool valid_key(std::string_view k) {
  if (k.empty() || (k[0] >= '0' && k[0] <= '9')) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// Records are named by position and the problem only: a malformed record is
// often a value (the API token) that lost its "KEY=", so no part of it is shown.
[[noreturn]] void bad_record(size_t index, const std::string& problem,
                             const char* fix = "send NUL-separated KEY=VALUE records on stdin") {
  throw_bad_request("read environment",
                    "environment record " + std::to_string(index) + " " + problem + ": " + fix);
}

}  // namespace

EnvList parse_env_records(std::string_view data) {
  EnvList env;
  if (data.size() > kMaxEnvBytes)
    throw_bad_request("read environment", "environment on stdin exceeds 1 MiB: send less");
  if (!data.empty() && data.back() == '\0') data.remove_suffix(1);
  // Counted before any work, so a flood of tiny records is refused at once.
  if (!data.empty() &&
      static_cast<size_t>(std::count(data.begin(), data.end(), '\0')) >= kMaxEnvRecords)
    throw_bad_request("read environment", "environment on stdin has more than " +
                                              std::to_string(kMaxEnvRecords) +
                                              " records: send fewer");
  // Keys point into DATA, which outlives the parse: one hash lookup per
  // record instead of a scan of all the earlier ones.
  std::unordered_map<std::string_view, size_t> first_seen;
  size_t index = 0;
  while (!data.empty()) {
    ++index;
    auto nul = data.find('\0');
    std::string_view rec = data.substr(0, nul);
    data = nul == std::string_view::npos ? std::string_view{} : data.substr(nul + 1);
    auto eq = rec.find('=');
    std::string_view key = rec.substr(0, eq);
    if (rec.empty()) bad_record(index, "is empty");
    if (eq == std::string_view::npos) bad_record(index, "has no '='");
    if (!valid_key(key)) bad_record(index, "has a KEY not of [A-Za-z_][A-Za-z0-9_]*");
    if (rec.size() + 1 > kMaxEnvRecordBytes)
      bad_record(index, "is longer than exec allows for one string (128 KiB)");
    auto [it, fresh] = first_seen.emplace(key, index);
    if (!fresh)
      bad_record(index, "repeats the KEY of record " + std::to_string(it->second),
                 "send each key once");
    env.emplace_back(std::string(key), std::string(rec.substr(eq + 1)));
  }
  return env;
}

std::string read_env_stream(int fd) {
  std::string data = read_fd(fd, "stdin (environment)", kMaxEnvBytes);
  if (data.size() > kMaxEnvBytes)
    throw_bad_request("read environment", "environment on stdin exceeds 1 MiB: send less");
  return data;
}

void set_default(EnvList& env, std::string_view key, std::string_view value) {
  bool present =
      std::any_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == key; });
  if (!present) env.emplace_back(std::string(key), std::string(value));
}

std::vector<std::string> to_envp_strings(const EnvList& env) {
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

}  // namespace cgspawn
