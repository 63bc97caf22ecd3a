#include "launcher/env_records.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

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

}  // namespace

EnvList parse_env_records(std::string_view data) {
  EnvList env;
  if (data.size() > kMaxEnvBytes)
    throw_bad_request("read environment", "environment on stdin exceeds 1 MiB: send less");
  if (!data.empty() && data.back() == '\0') data.remove_suffix(1);
  size_t index = 0;
  while (!data.empty()) {
    ++index;
    auto nul = data.find('\0');
    std::string_view rec = data.substr(0, nul);
    data = nul == std::string_view::npos ? std::string_view{} : data.substr(nul + 1);
    auto eq = rec.find('=');
    std::string_view key = rec.substr(0, eq);
    if (rec.empty() || eq == std::string_view::npos || !valid_key(key)) {
      // Name the record by position and key only: its value may be a secret.
      std::string shown(key.substr(0, 40));
      throw_bad_request("read environment",
                        "environment record " + std::to_string(index) + " ('" + shown +
                            "') is not KEY=VALUE with KEY of [A-Za-z_][A-Za-z0-9_]*: send "
                            "NUL-separated KEY=VALUE records on stdin");
    }
    bool dup = std::any_of(env.begin(), env.end(), [&](const auto& kv) { return kv.first == key; });
    if (dup)
      throw_bad_request("read environment", "environment key '" + std::string(key) +
                                                "' is given twice: send each key once");
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
