#!/bin/bash
# Build cgspawn, cgspawn-faults, the host tests and the .deb FOR another
# Debian release, natively: in that release's cached root filesystem (the
# guest image's tree, build-image.sh), entered with chroot. Nothing compiles
# under emulation, and the .deb's Depends come from that release's libraries.
#
#   tests/guest/build-in-root.sh [--release trixie] [--build-dir DIR] [--build-type TYPE] [--werror] [--no-deb] [--target cgspawn|cgspawn-faults]
#
# DIR (default build-RELEASE in the repository) is bind-mounted at /build and
# the repository, read-only, at /src; DIR's CMake cache therefore names /src
# and /build: use it only through this script. On success prints the paths
# of cgspawn, cgspawn-faults and (unless --no-deb) the .deb, one a line.
# --target builds that binary alone (demo.sh: minutes less when cold), no
# .deb, and prints its path only.
# Every mount lives in a private mount namespace (unshare -m) that dies with
# the build, so nothing stays mounted on the host, even if the build is killed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
usage() { sed -n '7p' "$0" | sed 's/^# *//' >&2; exit 2; }
log() { printf '[build-in-root] %s\n' "$*" >&2; }

release=trixie build_dir='' type=RelWithDebInfo werror=OFF deb=1 target=
while (($#)); do
    case $1 in
        --release) release=${2:?}; shift 2 ;;
        --build-dir) build_dir=${2:?}; shift 2 ;;
        --build-type) type=${2:?}; shift 2 ;;
        --werror) werror=ON; shift ;;
        --no-deb) deb=0; shift ;;
        --target) target=${2:?}; deb=0; shift 2 ;;
        *) usage ;;
    esac
done
# bookworm is this host's own release: build it on the host (tests/run-all.sh).
[[ $release == trixie ]] || { log "no build root for '$release': use --release trixie (bookworm builds on the host)"; exit 2; }
[[ $type =~ ^(Debug|Release|RelWithDebInfo|MinSizeRel)$ ]] ||
    { log "unknown --build-type '$type': use Debug, Release, RelWithDebInfo or MinSizeRel"; exit 2; }
[[ -z $target || $target == cgspawn || $target == cgspawn-faults ]] ||
    { log "unknown --target '$target': use cgspawn or cgspawn-faults"; exit 2; }
[[ $(id -u) -eq 0 ]] || { log "run as root (chroot and mounts need it)"; exit 2; }
build_dir=${build_dir:-$repo/build-$release}
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)

image=$("$here/build-image.sh" --release "$release")
root=$image/rootfs
# A shared lock on the release's cache: build-image.sh prunes old images only
# under its exclusive lock, so the tree cannot vanish under a running build.
exec 8<"$(dirname "$image")/.lock"
flock -s 8
[[ -d $root/usr && -d $root/src && -d $root/build ]] ||
    { log "$root is not a build root (pruned meanwhile?): run again"; exit 1; }

start=$SECONDS
log "building $type for $release in $root (chroot), into $build_dir"
# The release's compiler cache lives outside the tree and the repository
# (a tmpfs /tmp holds its mount point), so a warm build recompiles only what
# changed; used when the build root has ccache.
ccache_dir=${XDG_CACHE_HOME:-$HOME/.cache}/cgspawn-ccache-$release
mkdir -p "$ccache_dir"
launcher=''
[[ -x $root/usr/bin/ccache ]] && launcher=-DCMAKE_CXX_COMPILER_LAUNCHER=ccache
steps="cmake -S /src -B /build $launcher -DCMAKE_BUILD_TYPE=$type -DCMAKE_INSTALL_PREFIX=/usr -DCGSPAWN_WERROR=$werror >/dev/null"
steps+=" && cmake --build /build -j$(nproc)${target:+ --target $target}"
((deb)) && steps+=" && cd /build && rm -f cgspawn_*.deb && cpack -G DEB >/dev/null"
# The namespace's mounts: a fresh /proc, the host's /dev, a tmpfs /tmp (so the
# cached tree stays as built), the sources read-only and the build directory.
# shellcheck disable=SC2016  # expanded by the inner shell
unshare --mount --propagation private -- /bin/bash -euc '
    root=$1 src=$2 build=$3 steps=$4 ccache=$5
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
    mkdir "$root/tmp/ccache"
    mount --bind "$ccache" "$root/tmp/ccache"
    mount --bind "$src" "$root/src"
    mount -o remount,bind,ro "$root/src"
    mount --bind "$build" "$root/build"
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
        LANG=C.UTF-8 TMPDIR=/tmp CCACHE_DIR=/tmp/ccache CCACHE_MAXSIZE=2G /bin/sh -ec "$steps"
' build-in-root "$root" "$repo" "$build_dir" "$steps" "$ccache_dir" >&2
log "built in $((SECONDS - start)) s"

if [[ -n $target ]]; then
    echo "$build_dir/launcher/$target"
    exit 0
fi
echo "$build_dir/launcher/cgspawn"
echo "$build_dir/launcher/cgspawn-faults"
if ((deb)); then
    debs=("$build_dir"/cgspawn_*.deb)
    echo "${debs[0]}"
fi
