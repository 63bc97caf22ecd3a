// `cgspawn limits`: the limit table (cgroup/limit_table.hpp) as the binary
// holds it, so the Python spawner's table can be checked against it.
#pragma once

#include <string>

namespace cgspawn {

// JSON: an array, one object per typed limit, in table order:
// {"file","flag","controller","kind","min","max","accepts_max","zero_allowed",
//  "policy_ceiling"}; kind is size|cpus|weight|count, min/max are in its
// unit (bytes, CPUs, weight, tasks), max and policy_ceiling null when there
// is none. Text: one line per limit with the same facts.
std::string limit_table_json();
std::string limit_table_text();

// Prints one of them on stdout; exit status 0.
int print_limit_table(bool json);

}  // namespace cgspawn
