#!/usr/bin/env bash
# Every test, as a user or CI runs them (as root, on Debian 12):
#   1. install build/test dependencies from Debian packages,
#   2. build cgspawn,
#   3. host tests (ctest: parsers, fake cgroupfs, real cgroup2 sandbox,
#      namespaces as root),
#      then clang-tidy's bugprone-* checks over product code and tests
#      (product code: no function over 60 lines, in C++ and Python),
#   4. the same host tests built with AddressSanitizer + UndefinedBehavior-
#      Sanitizer in build-asan (any finding fails),
#   5. a bounded libFuzzer run of every parser (tests/fuzz/, ~1 minute),
#   6. the .deb (cpack), then the behavioural suite in a systemd-booted
#      Debian guest under qemu, where memory/cpu/pids limits really exist;
#      test_deb.py installs that .deb there and runs the hub against it;
#      then the demo's browser check (tests/browser/run.sh): the demo hub in
#      the guest, driven by headless Chromium on this host.
#   7. for Debian 13 (trixie): cgspawn, cgspawn-faults and the .deb built
#      natively in its cached root filesystem (chroot, GCC 14:
#      tests/guest/build-in-root.sh), then the whole suite in a trixie guest
#      (JupyterHub 5.2, JupyterLab 4, systemd 257), and its browser check.
# Both releases by default. With both, Debian 12 runs the suite's core
# (tests/guest/suite/core.txt: limits, isolation, the hub end to end, the
# .deb) so CI stays inside its time; --releases bookworm alone runs it all.
# --host-only stops after 5. Warnings are errors when CI=true (CI sets it).
#
#   tests/run-all.sh [--host-only] [--releases bookworm,trixie]
set -euo pipefail
cd "$(dirname "$0")/.."
# The host's own release builds on the host; another release is built in its
# root filesystem (build-in-root.sh: trixie from a Debian 12 host). On a
# Debian 13 host the default is its own release only.
host_release=$(. /etc/os-release && echo "${VERSION_CODENAME:-unknown}")
host_only=0 releases=bookworm,trixie
[[ $host_release == bookworm ]] || releases=$host_release
while (($#)); do
  case $1 in
    --host-only) host_only=1; shift ;;
    --releases) releases=${2:?--releases needs a list, e.g. bookworm,trixie}; shift 2 ;;
    *) echo "tests/run-all.sh: unknown argument $1 (usage: run-all.sh [--host-only] [--releases bookworm,trixie])" >&2; exit 2 ;;
  esac
done
IFS=, read -r -a guests <<<"$releases"
((host_only)) && guests=()
for r in "${guests[@]}"; do
  [[ $r == bookworm || $r == trixie ]] ||
    { echo "tests/run-all.sh: unknown release '$r' in --releases: use bookworm and/or trixie" >&2; exit 2; }
  [[ $r == "$host_release" || $r == trixie ]] ||
    { echo "tests/run-all.sh: cannot build for $r on this $host_release host (only trixie has a build root): run --releases $host_release, or the $r stage on a $r host" >&2; exit 2; }
done

if [[ $(id -u) -ne 0 ]]; then
  echo "tests/run-all.sh: run as root (cgroups, namespaces, the guest image need it)" >&2
  exit 2
fi
tests/install-deps.sh
# Compiler cache outside the repository: a warm run (CI on this machine, a
# developer's second run) recompiles nothing that did not change. The base
# directory makes hits independent of where the clone lives.
cache=${XDG_CACHE_HOME:-$HOME/.cache}
export CMAKE_CXX_COMPILER_LAUNCHER=ccache CCACHE_DIR=$cache/cgspawn-ccache \
  CCACHE_BASEDIR=$PWD CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=2G
ccache --zero-stats >/dev/null
werror=OFF
[[ "${CI:-}" == true ]] && werror=ON
echo "== build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DCGSPAWN_WERROR=$werror >/dev/null
cmake --build build -j"$(nproc)"
echo "== host tests"
(cd build && ctest -j"$(nproc)" --output-on-failure)
echo "== Release and Debug builds with warnings as errors (build-release, build-debug)"
# What a packager (Release) and a developer (Debug) build: warning-free with
# -Werror on, whatever CI is set to (-Werror stays off by default for users).
for type in Release Debug; do
  dir=build-${type,,}
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=$type -DCGSPAWN_WERROR=ON >/dev/null
  cmake --build "$dir" -j"$(nproc)" >"$dir/build.log" 2>&1 || { tail -n 60 "$dir/build.log"; exit 1; }
done
echo "== clang-tidy (bugprone-*; product code: functions to 60 lines)"
tests/clang-tidy.sh build
tests/python-function-size.py
echo "== host tests under ASan+UBSan (build-asan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCGSPAWN_SANITIZE=ON \
  -DCGSPAWN_WERROR=$werror >/dev/null
cmake --build build-asan -j"$(nproc)"
# These are the defaults made explicit (leaks checked at exit; UBSan stops
# at its first finding, as built), plus UBSan's stack trace.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure)
echo "== fuzz (libFuzzer, clang, 8 s per parser)"
tests/fuzz/run.sh 8
echo "ccache: $(ccache --print-stats 2>/dev/null | awk -F'\t' '$1 ~ /^(direct_cache_hit|preprocessed_cache_hit|cache_miss)$/ { printf "%s=%s ", $1, $2 }')"
if ((host_only)); then exit 0; fi
for release in "${guests[@]}"; do
  if [[ $release == "$host_release" ]]; then
    echo "== .deb ($release, the host's build)"
    rm -f build/cgspawn_*.deb
    (cd build && cpack -G DEB >/dev/null)
    deb=$(ls build/cgspawn_*.deb)
    bins=(build/launcher/cgspawn build/launcher/cgspawn-faults "$deb")
  else
    echo "== build for $release (chroot into its root filesystem) and its .deb"
    wflag=()
    [[ $werror == ON ]] && wflag=(--werror)
    # (an assignment, not < <(...), so a failed build stops the run)
    built=$(tests/guest/build-in-root.sh --release "$release" "${wflag[@]}")
    mapfile -t bins <<<"$built"
  fi
  dpkg-deb -f "${bins[2]}" Package Version Depends Recommends
  scope=full
  [[ $release != trixie && ${#guests[@]} -gt 1 ]] && scope=core
  echo "== systemd guest tests ($release, $scope suite)"
  tests/guest/run.sh --release "$release" --scope "$scope" --cgspawn "${bins[0]}" \
    --cgspawn-faults "${bins[1]}" --deb "${bins[2]}"
  echo "== browser check ($release): the demo's hub in the guest, Chromium on this host"
  tests/browser/run.sh --release "$release" --cgspawn "${bins[0]}" --port "${CGSPAWN_BROWSER_PORT:-8000}"
done
