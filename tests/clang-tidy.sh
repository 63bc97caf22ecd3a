#!/usr/bin/env bash
# clang-tidy with .clang-tidy's checks (bugprone-*) over product code and
# tests, from BUILD's compile_commands.json. Any finding fails. A unit whose
# preprocessed text, command and checks were already found clean is skipped
# (tests/clang_tidy_cached.py says how).
#   tests/clang-tidy.sh [BUILD [FILE-REGEX]]     (default: build, everything)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
files=${2:-"$PWD/(common|cgroup|namespaces|launcher|tests)/"}
# -w (in the script): compiler warnings are GCC's to judge (CGSPAWN_WERROR).
# Under clang they would only add noise: GCC-only flags (-Wno-restrict) and
# -Wpedantic on libseccomp's SCMP_A0 macro (a C99 compound literal).
exec /usr/bin/python3 tests/clang_tidy_cached.py "$build" "$files"
