#!/usr/bin/env bash
# Bounded libFuzzer run of every parser harness (README.md here):
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]     (default 8; 6 targets)
# Builds build-fuzz with clang (CGSPAWN_FUZZ=ON), then fuzzes each target
# from its checked-in corpus (tests/fuzz/corpus/NAME, read only) into a
# scratch corpus in build-fuzz/corpus/NAME. A crash, leak, sanitizer report
# or timeout leaves its input in build-fuzz/findings/ and fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-8}
targets=(env_records policy values names limits uid_range)
CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCGSPAWN_FUZZ=ON \
  -DCGSPAWN_WERROR=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzzers
mkdir -p build-fuzz/findings
failed=()
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  # -timeout: one input taking over 10 s counts as a finding (a hang).
  if ! build-fuzz/tests/fuzz/fuzz_"$t" -max_total_time="$seconds" -timeout=10 \
      -artifact_prefix="build-fuzz/findings/$t-" -print_final_stats=1 \
      "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" >"build-fuzz/fuzz-$t.log" 2>&1; then
    failed+=("$t")
    tail -40 "build-fuzz/fuzz-$t.log"
  fi
  printf 'fuzz %-12s %s\n' "$t" "$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' \
    "build-fuzz/fuzz-$t.log" | grep -o '[0-9]*$') runs"
done
if ((${#failed[@]})); then
  echo "fuzz: findings in ${failed[*]}: see build-fuzz/findings/ and build-fuzz/fuzz-*.log" >&2
  exit 1
fi
