// The subcommands other than spawn. Each returns the process exit status.
#pragma once

#include <chrono>
#include <string>

#include "cgroup/layout.hpp"

namespace cgspawn {

inline constexpr int kExitNotRunning = 3;  // like `systemctl is-active`

int init_root(const std::string& root);
int stop_unit(const cg::Layout& layout, const std::string& name, std::chrono::milliseconds timeout);
int unit_status(const cg::Layout& layout, const std::string& name, bool json);
int list_units(const cg::Layout& layout, bool json);
int cleanup_unit(const cg::Layout& layout, const std::string& name);

}  // namespace cgspawn
