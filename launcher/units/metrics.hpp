// `cgspawn metrics`: every unit's figures in the Prometheus text exposition
// format (version 0.0.4), for node_exporter's textfile collector. The
// formatting is apart from the reading so it is tested on plain UnitStats.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/stats.hpp"

namespace cgspawn::metrics {

// A label value as the exposition format wants it: backslash, double quote
// and newline escaped as \\, \" and \n; everything else as it is.
std::string escape_label_value(std::string_view value);

// The hub user of an owner record: the first string of the spawner's JSON
// ["hub user", "server name"]; any other recorded text as it is; "" without
// a record.
std::string owner_user(const std::optional<std::string>& owner);

// Every family with at least one series, each once with its HELP and TYPE,
// its units in the order given. A file of a controller that is not enabled
// gives no series (never a zero); "max" is +Inf.
std::string format(const std::vector<cg::UnitStats>& units);

}  // namespace cgspawn::metrics
