#!/usr/bin/env bash
# Install, from Debian's archive only, what building and testing need.
# Quick when everything is already there.
set -euo pipefail
packages=(
  cmake g++ make pkg-config dpkg-dev   # dpkg-dev: dpkg-shlibdeps for cpack -G DEB
  ccache                               # tests/run-all.sh: warm rebuilds from ~/.cache
  libseccomp-dev libmount-dev libspdlog-dev libcli11-dev libgtest-dev
  nlohmann-json3-dev
  clang libclang-rt-dev clang-tidy      # tests/fuzz (libFuzzer), clang-tidy (each release's default LLVM)
  jupyterhub python3-pytest python3-pytest-asyncio python3-pip python3-setuptools python3-wheel
  qemu-system-x86 mmdebstrap e2fsprogs   # the systemd guest
  chromium chromium-driver python3-selenium   # tests/browser: the demo's browser check, from this host
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
