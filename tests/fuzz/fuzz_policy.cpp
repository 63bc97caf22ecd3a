// The sudo policy file (/etc/cgspawn/policy.json): any text is refused with
// cgspawn::Error or parsed, never another exception.
#include <string>

#include "launcher/policy/policy.hpp"
#include "tests/fuzz/fuzz_target.hpp"

CGSPAWN_FUZZ_TARGET(policy) {
  (void)cgspawn::parse_policy(input, "fuzz.json");
}
