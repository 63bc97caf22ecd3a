// The server's environment travels on stdin as NUL-separated KEY=VALUE
// records (the format of /proc/PID/environ), never in argv, so the hub's API
// token never shows in /proc/*/cmdline.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cgspawn {

using EnvList = std::vector<std::pair<std::string, std::string>>;

inline constexpr size_t kMaxEnvBytes = 1 << 20;

// Throws Error(BadRequest) on an empty or malformed record, an invalid key
// ([A-Za-z_][A-Za-z0-9_]*) or a duplicate key. A trailing NUL is optional.
EnvList parse_env_records(std::string_view data);

// Read all of FD up to kMaxEnvBytes (more is a BadRequest).
std::string read_env_stream(int fd);

// Set KEY=VALUE unless KEY is already present.
void set_default(EnvList& env, std::string_view key, std::string_view value);

// "KEY=VALUE" strings for execve.
std::vector<std::string> to_envp_strings(const EnvList& env);

}  // namespace cgspawn
