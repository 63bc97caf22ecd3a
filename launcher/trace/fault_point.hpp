// Test-only fault injection: where a spawn or stop can be killed to prove
// that nothing is left behind (issue 19). Every timing mark is a fault point.
//
// The product's cgspawn links the no-op below (fault_point.cpp, a member of
// cgspawn_launcher). Only the test binary cgspawn-faults, built when
// BUILD_TESTING is on and never installed, links fault_inject.cpp, whose
// definition the linker takes instead of the library's: with
// CGSPAWN_FAULT_AT=STEP in its environment it SIGKILLs itself at STEP (and
// with CGSPAWN_PAUSE_AT=STEP it stops itself there until SIGCONT).
// So no build of the product has a way to be told to die.
#pragma once

namespace cgspawn {

void fault_point(const char* step) noexcept;

}  // namespace cgspawn
