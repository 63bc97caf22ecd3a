// --dynamic-user-range MIN-MAX: refused or within the documented bounds.
#include "launcher/dynamic_users/dynamic_users.hpp"
#include "tests/fuzz/fuzz_target.hpp"

CGSPAWN_FUZZ_TARGET(uid_range) {
  const cgspawn::UidRange r = cgspawn::parse_uid_range(input);
  if (r.first < 1000 || r.first > r.last || r.last > 2147483646U) __builtin_trap();
  if (cgspawn::parse_uid_range(r.str()).str() != r.str()) __builtin_trap();
}
