// Unit and slice names (they become cgroup directories) and dynamic user
// names: the validator and the predicate must agree on every input.
#include "cgroup/names.hpp"
#include "launcher/dynamic_users/dynamic_users.hpp"
#include "tests/fuzz/fuzz_target.hpp"

CGSPAWN_FUZZ_TARGET(names) {
  bool valid = true;
  try {
    cgspawn::cg::validate_name(input, "unit");
  } catch (const cgspawn::Error&) {
    valid = false;
  }
  if (valid != cgspawn::cg::is_valid_name(input)) __builtin_trap();
  if (valid && (input.find('/') != input.npos || input == "." || input == "..")) __builtin_trap();
  cgspawn::validate_dynamic_user_name(input);
}
