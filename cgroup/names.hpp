// Names that become cgroup directories: validated so that no name can escape
// its parent, collide with a kernel interface file, or need escaping.
#pragma once

#include <string_view>

namespace cgspawn::cg {

// [A-Za-z0-9_.@-]{1,200}, not "." or "..", not starting with '-', and not of the form
// "<controller>.<anything>" (cgroup.procs, memory.max, ...). WHAT is "unit" or
// "slice", used in the error. Throws Error(BadRequest).
void validate_name(std::string_view name, std::string_view what);

// Same rules, as a predicate (used when listing directories).
bool is_valid_name(std::string_view name) noexcept;

// Whether PREFIX is a controller (or "cgroup") that names kernel interface
// files: PREFIX.anything may be one.
bool is_interface_prefix(std::string_view prefix) noexcept;

}  // namespace cgspawn::cg
