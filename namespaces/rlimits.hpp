// Resource limits (setrlimit) for the server: what systemd's Limit*=
// properties set, which SystemdSpawner configs carry in
// unit_extra_properties (its README's own example is LimitNOFILE=16384).
// `--rlimit NAME=SOFT[:HARD]` is parsed into a typed Rlimit once, judged by
// the policy (its "rlimits" ceilings), and applied in the child while it is
// still root, so a hard limit may be raised as well as lowered.
#pragma once

#include <sys/resource.h>

#include <string>
#include <string_view>
#include <vector>

namespace cgspawn::ns {

struct Rlimit {
  std::string name;  // systemd's name without "Limit": NOFILE, CORE, ...
  int resource = 0;  // RLIMIT_*
  rlim_t soft = 0, hard = 0;
};

// "NAME=SOFT[:HARD]": NAME one of systemd's (NOFILE, NPROC, CORE, AS, DATA,
// STACK, MEMLOCK, FSIZE, CPU, RSS, MSGQUEUE, NICE, RTPRIO, SIGPENDING, LOCKS,
// RTTIME), each value a number or "infinity"; byte limits also take K, M, G,
// T, P, E (x1024). One value sets both. Throws Error(BadRequest) naming the
// problem: an unknown name, a bad value, soft above hard.
Rlimit parse_rlimit(std::string_view text);

// The parsed list; the same NAME twice is a BadRequest.
std::vector<Rlimit> parse_rlimits(const std::vector<std::string>& texts);

// A value as --rlimit would take it (ceilings in the policy file).
rlim_t parse_rlimit_value(std::string_view name, std::string_view value);

// setrlimit each one. Throws Error(System).
void apply_rlimits(const std::vector<Rlimit>& limits);

// "infinity" or the number, for messages.
std::string rlimit_text(rlim_t value);

}  // namespace cgspawn::ns
