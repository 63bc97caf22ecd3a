// The gtest driver: every harness over its checked-in corpus, so a compiler
// without libFuzzer (GCC) still runs what the fuzzers found worth keeping.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/fuzz/fuzz_target.hpp"

namespace cgspawn::fuzz {

void run_corpus(const char* name, Harness h) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(CGSPAWN_SOURCE_DIR) / "tests/fuzz/corpus" / name;
  ASSERT_TRUE(fs::is_directory(dir)) << dir << " is missing";
  int inputs = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    SCOPED_TRACE(e.path().string());
    run_one(h, ss.str());
    ++inputs;
  }
  run_one(h, "");
  EXPECT_GT(inputs, 0) << "empty corpus " << dir;
}

}  // namespace cgspawn::fuzz
