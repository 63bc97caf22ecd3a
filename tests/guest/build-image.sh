#!/bin/bash
# Build, or reuse, the cached Debian guest image of one release for
# tests/guest/run.sh.
#
#   tests/guest/build-image.sh [--release bookworm|trixie]   # prints the image directory
#
# The directory holds rootfs.img (ext4, never modified by a run), vmlinuz and
# initrd.img; for a release that is not the host's own (trixie) also rootfs/,
# the same tree as a directory: the build root of build-in-root.sh, so one
# mmdebstrap serves both. It lives in CACHE/KEY, CACHE being
# ${XDG_CACHE_HOME:-$HOME/.cache}/cgspawn-guest for bookworm (where it always
# was, shared with older checkouts) and .../cgspawn-guest-RELEASE otherwise,
# KEY a hash of the release, packages-RELEASE.txt, this script and image/
# (everything baked in). A new key rebuilds (bookworm ~2-20 min, trixie
# ~16 min on a loaded 2-core host) and then removes all but the previous key
# of that release only. The build happens in a temporary directory renamed
# into place at the end, so an interrupted build never leaves a half image.
# Progress goes to stderr.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
release=bookworm
while (($#)); do
    case $1 in
        --release) release=${2:?--release needs bookworm or trixie}; shift 2 ;;
        *) echo "build-image.sh: unknown argument $1 (usage: build-image.sh [--release bookworm|trixie])" >&2; exit 2 ;;
    esac
done
# Per release: its cache, the image size, and whether the tree is kept as
# the build root (bookworm builds on this Debian 12 host itself).
case $release in
    bookworm) cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/cgspawn-guest size=5G keep_tree=0 ;;
    trixie) cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/cgspawn-guest-trixie size=8G keep_tree=1 ;;
    *) echo "build-image.sh: unknown release '$release': use --release bookworm or --release trixie" >&2; exit 2 ;;
esac
package_list=packages-$release.txt

log() { printf '[build-image] %s\n' "$*" >&2; }

image_key() {
    local f
    (
        cd "$here"
        echo "release $release"
        for f in "$package_list" build-image.sh $(find image -type f | LC_ALL=C sort); do
            printf '%s %s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)"
        done
    ) | sha256sum | cut -c1-16
}

key=$(image_key)
dest=$cache_root/$key
mkdir -p "$cache_root"
: >>"$cache_root/.lock"  # build-in-root.sh's shared lock (see below)

# One builder per key; a second caller of the same key waits and then reuses
# the result. Callers of other keys (another checkout's image) go on: the
# release-wide .lock is only taken, briefly, to prune old images.
exec 9>"$cache_root/.lock-$key"
flock 9

complete() {
    [[ -f $dest/rootfs.img && -f $dest/vmlinuz && -f $dest/initrd.img ]] &&
        { ((!keep_tree)) || [[ -d $dest/rootfs/usr ]]; }
}
if complete; then
    log "reusing $dest"
    echo "$dest"
    exit 0
fi

need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if ((${#need[@]})); then
    log "installing ${need[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

# Holding the key's lock, any .build-KEY.* left is from an interrupted build.
rm -rf "$cache_root"/.build-"$key".*
work=$(mktemp -d "$cache_root/.build-$key.XXXXXX")
# mmdebstrap unmounts what it mounted even on failure; we only remove files.
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
out=$work/out
mkdir "$out"

packages=$(sed -e 's/#.*//' "$here/$package_list" | xargs | tr ' ' ,)
start=$SECONDS
log "cold $release build into $work (mmdebstrap; silent for minutes while apt works): $packages"
# A small initrd (only what mounts /dev/vda) boots much faster under TCG;
# its config must be in place before the kernel package builds it.
# (The hooks are expanded by mmdebstrap's shell, $1 being the new root.)
export GUEST_IMAGE_FILES=$here/image
# shellcheck disable=SC2016
mmdebstrap --variant=minbase --include="$packages" \
    --setup-hook='install -D -m 0644 "$GUEST_IMAGE_FILES/initramfs.conf" "$1/etc/initramfs-tools/conf.d/cgspawn-guest.conf"' \
    --setup-hook='install -D -m 0644 "$GUEST_IMAGE_FILES/initramfs-modules" "$1/usr/share/initramfs-tools/modules.d/cgspawn-guest"' \
    "$release" "$root" >&2
log "rootfs done after $((SECONDS - start)) s; customizing"

# root without password, the root filesystem, a stable hostname
chroot "$root" passwd -d root >/dev/null
echo '/dev/vda / ext4 rw 0 1' >"$root/etc/fstab"
echo cgspawn-guest >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 cgspawn-guest\n' >"$root/etc/hosts"

# test users: alice (with a supplementary group) and bob, both allowed by
# the sudo-mode policy through jupyterhub-users; carol is not in it; jhub is
# the unprivileged hub user of sudo mode
chroot "$root" groupadd -g 1100 students
chroot "$root" groupadd -g 1200 jupyterhub-users
chroot "$root" useradd -m -s /bin/bash -u 1000 -U -G students,jupyterhub-users alice
chroot "$root" useradd -m -s /bin/bash -u 1001 -U -G jupyterhub-users bob
chroot "$root" useradd -m -s /bin/bash -u 1002 -U carol
chroot "$root" useradd -m -s /bin/bash -u 1500 -U jhub

install -m 0440 "$here/image/sudoers-cgspawn-test" "$root/etc/sudoers.d/cgspawn-test"
chroot "$root" visudo -c -q -f /etc/sudoers.d/cgspawn-test
install -D -m 0644 "$here/image/journald-cgspawn-test.conf" \
    "$root/etc/systemd/journald.conf.d/cgspawn-test.conf"

# the guest-side units
install -m 0755 "$here/image/cgspawn-guest-run" "$root/usr/local/sbin/cgspawn-guest-run"
install -m 0644 "$here/image/cgspawn-guest.service" "$here/image/cgspawn-hub.service" \
    "$root/etc/systemd/system/"
# /payload: the per-run disk; /src and /build: build-in-root.sh's bind mounts
mkdir -p "$root/payload" "$root/src" "$root/build"
systemctl --root="$root" --quiet enable cgspawn-guest.service
# Debian's jupyterhub package enables its own hub (PAM, LocalProcessSpawner,
# ports 8000/8081): it would start at every boot and compete for the CPU.
# Disabled, not masked: the end-to-end tests install their own unit in /run.
if [[ -e $root/usr/lib/systemd/system/jupyterhub.service || -e $root/lib/systemd/system/jupyterhub.service ]]; then
    systemctl --root="$root" --quiet disable jupyterhub.service
fi
# the getty fights our serial output; timers only add noise to a short boot
systemctl --root="$root" --quiet mask serial-getty@ttyS0.service \
    apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer

kernels=("$root"/boot/vmlinuz-*)
initrds=("$root"/boot/initrd.img-*)
cp "${kernels[-1]}" "$out/vmlinuz"
cp "${initrds[-1]}" "$out/initrd.img"

log "making rootfs.img (mkfs.ext4 -d, $(du -sh "$root" | cut -f1) of files)"
mkfs.ext4 -q -F -L root -d "$root" "$out/rootfs.img" "$size" >&2
if ((keep_tree)); then mv "$root" "$out/rootfs"; else rm -rf "$root"; fi

# Publish atomically, then drop this release's older images, keeping the
# previous one: a run of an older checkout (a CI clone, a second work tree)
# may still use it. Other releases live in other directories.
mv -T "$out" "$dest"
# build-in-root.sh holds .lock shared while it compiles in a tree; pruning
# waits for nobody: if a build runs, the old images stay until the next time.
exec 7>"$cache_root/.lock"
if flock -n 7; then
    find "$cache_root" -mindepth 1 -maxdepth 1 -type d ! -name '.build-*' -printf '%T@ %p\n' |
        sort -rn | tail -n +3 | cut -d' ' -f2- | while read -r old; do
            rm -rf "$old" "$cache_root/.lock-${old##*/}"
        done
else
    log "a build in an older tree runs: older images are pruned next time"
fi
log "built $dest in $((SECONDS - start)) s"
echo "$dest"
