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

// Bounds well below what execve accepts (E2BIG): strings plus one pointer
// each within a quarter of the stack limit (2 MiB at the usual 8 MiB), and
// no single string of 128 KiB (MAX_ARG_STRLEN) or more. 1 MiB + 4096
// pointers leaves room for argv and the --setenv-defaults variables.
inline constexpr size_t kMaxEnvBytes = 1 << 20;
inline constexpr size_t kMaxEnvRecords = 4096;
inline constexpr size_t kMaxEnvRecordBytes = size_t{128} * 1024;  // with its NUL

// Throws Error(BadRequest) on an empty or malformed record, an invalid key
// ([A-Za-z_][A-Za-z0-9_]*), a duplicate key, or more than the bounds above;
// the error names the record by position, never its contents. A trailing
// NUL is optional. Linear in the size of DATA.
EnvList parse_env_records(std::string_view data);

// Read all of FD up to kMaxEnvBytes (more is a BadRequest).
std::string read_env_stream(int fd);

// Set KEY=VALUE unless KEY is already present.
void set_default(EnvList& env, std::string_view key, std::string_view value);

// "KEY=VALUE" strings for execve.
std::vector<std::string> to_envp_strings(const EnvList& env);

}  // namespace cgspawn
