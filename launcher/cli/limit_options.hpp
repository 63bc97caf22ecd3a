// The limit flags of `spawn` (one unit) and `slice set` (all units of a
// slice together), generated from the limit table: both always offer the
// same, with the table's bounds in their help.
#pragma once

#include <string>

#include "cgroup/limit_table.hpp"

namespace CLI {
class App;
}

namespace cgspawn {

// The typed flags into FLAGS, and --property; OF_WHAT ("of the unit") ends
// --property's help.
void add_limit_options(CLI::App* sub, cg::LimitFlags& flags, const std::string& of_what);

}  // namespace cgspawn
