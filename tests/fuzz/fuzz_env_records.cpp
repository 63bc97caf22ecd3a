// Environment records (stdin of `spawn --env-stdin`): parse, and what parsed
// must survive a round trip through the execve strings unchanged.
#include <string>

#include "launcher/spawn/env_records.hpp"
#include "tests/fuzz/fuzz_target.hpp"

CGSPAWN_FUZZ_TARGET(env_records) {
  const cgspawn::EnvList env = cgspawn::parse_env_records(input);
  std::string again;
  for (const auto& s : cgspawn::to_envp_strings(env)) again += s + '\0';
  if (cgspawn::parse_env_records(again) != env) __builtin_trap();
}
