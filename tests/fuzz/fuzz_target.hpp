// One harness, two drivers. CGSPAWN_FUZZ_TARGET(name) { body } defines the
// harness; with libFuzzer (clang, CGSPAWN_FUZZ=ON) it becomes that
// executable's LLVMFuzzerTestOneInput, otherwise a gtest that feeds it every
// file of tests/fuzz/corpus/<name>/. A harness throws nothing but
// cgspawn::Error (the parsers' documented refusal): anything else, a crash
// or a sanitizer report is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.hpp"

namespace cgspawn::fuzz {
using Harness = void (*)(std::string_view);
// Runs H on INPUT, swallowing only cgspawn::Error.
inline void run_one(Harness h, std::string_view input) {
  try {
    h(input);
  } catch (const cgspawn::Error&) {
  }
}
}  // namespace cgspawn::fuzz

#ifdef CGSPAWN_LIBFUZZER
#define CGSPAWN_FUZZ_ENTRY(name)                                                                   \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {                        \
    cgspawn::fuzz::run_one(fuzz_##name, {reinterpret_cast<const char*>(data), size}); /* NOLINT */ \
    return 0;                                                                                      \
  }
#else
#include <gtest/gtest.h>
namespace cgspawn::fuzz {
void run_corpus(const char* name, Harness h);  // corpus_driver.cpp
}
#define CGSPAWN_FUZZ_ENTRY(name)                   \
  TEST(FuzzCorpus, name) {                         \
    cgspawn::fuzz::run_corpus(#name, fuzz_##name); \
  }
#endif

#define CGSPAWN_FUZZ_TARGET(name)            \
  static void fuzz_##name(std::string_view); \
  CGSPAWN_FUZZ_ENTRY(name)                   \
  static void fuzz_##name(std::string_view input)
