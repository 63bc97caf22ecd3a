#!/bin/bash
# Run the cgroup v2 / systemd guest suite (tests/guest/suite) against a cgspawn
# binary inside a Debian bookworm guest booted under qemu (TCG).
#
#   tests/guest/run.sh --cgspawn PATH [--keep] [--timeout SECS] [-k PYTEST_EXPR]
#
# --keep leaves the temporary directory (payload image, console log, results)
# in place and prints its path. Exit status: 0 only if the whole suite passed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '5p' "$0" | sed 's/^# *//' >&2; exit 2; }
log() { printf '[guest-run] %s\n' "$*"; }
# The serial console without carriage returns and terminal escapes.
plain() { sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g'; }

cgspawn='' keep=0 timeout=3000 kexpr=''
while (($#)); do
    case $1 in
        --cgspawn) cgspawn=${2:?}; shift 2 ;;
        --keep) keep=1; shift ;;
        --timeout) timeout=${2:?}; shift 2 ;;
        -k) kexpr=${2:?}; shift 2 ;;
        *) usage ;;
    esac
done
[[ -n $cgspawn ]] || usage
[[ -f $cgspawn && -x $cgspawn ]] || { log "not an executable: $cgspawn"; exit 2; }

need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v debugfs >/dev/null || need+=(e2fsprogs)
if ((${#need[@]})); then
    log "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

image=$("$here/build-image.sh")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cgspawn-guest.XXXXXX")
qemu_pid='' tail_pid=''
cleanup() {
    if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill -TERM "$qemu_pid" 2>/dev/null || true
        for _ in 1 2 3 4 5; do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 1; done
        kill -KILL "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    if [[ -n $tail_pid ]]; then kill "$tail_pid" 2>/dev/null || true; fi
    if ((keep)); then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The per-run payload: binary, suite, driver. Changing it never rebuilds the image.
payload=$tmp/payload
mkdir -p "$payload/bin" "$payload/results"
chmod 0755 "$payload"
install -m 0755 "$cgspawn" "$payload/bin/cgspawn"
install -m 0755 "$here/payload/driver.sh" "$here/payload/hub.sh" "$payload/"
cp -r "$here/suite" "$payload/suite"
# The rest of the product, as a guest test installs or runs it.
repo=$(cd "$here/../.." && pwd)
install -m 0755 "$repo/kernel-check/check-kernel.sh" "$payload/bin/check-kernel.sh"
mkdir -p "$payload/spawner"
cp -r "$repo/spawner/cgroupspawner" "$repo/spawner/pyproject.toml" "$repo/spawner/examples" \
    "$payload/spawner/"
# The spawner as pip installs it (its dist-info carries the jupyterhub.spawners
# entry points), for the end-to-end hub (PYTHONPATH=/payload/site). Built from
# a copy: pip builds a local directory in place (build/, *.egg-info).
mkdir -p "$tmp/spawner-src"
cp -r "$repo/spawner/cgroupspawner" "$repo/spawner/pyproject.toml" "$repo/spawner/README.md" \
    "$tmp/spawner-src/"
find "$tmp/spawner-src" -name __pycache__ -prune -exec rm -rf {} +
if ! /usr/bin/python3 -m pip install --quiet --no-cache-dir --root-user-action=ignore --no-deps \
    --no-build-isolation --no-index --target "$payload/site" "$tmp/spawner-src" >"$tmp/pip.log" 2>&1; then
    log "cannot install the spawner into the payload (the end-to-end hub tests will fail):"
    sed 's/^/  pip| /' "$tmp/pip.log"
fi
find "$payload" -name __pycache__ -prune -exec rm -rf {} +
printf '%s' "$kexpr" >"$payload/pytest-k"
mkfs.ext4 -q -F -L payload -d "$payload" "$tmp/payload.img" 256M >/dev/null

# Emulated hardware the suite never uses only slows the boot down.
blacklist=kvm,kvm_amd,kvm_intel,pcspkr,parport_pc,ppdev,floppy
log "booting the guest (TCG, 2 vCPUs, 1536 MiB), timeout ${timeout} s"
start=$SECONDS
# snapshot=on keeps the cached image untouched; its overlay goes to TMPDIR.
: >"$tmp/console.log"  # exists before tail follows it
TMPDIR=$tmp qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m 1536 -smp 2 \
    -nographic -no-reboot -vga none -nic none \
    -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0 quiet panic=1 modprobe.blacklist=$blacklist" \
    -drive "file=$image/rootfs.img,format=raw,if=virtio,snapshot=on" \
    -drive "file=$tmp/payload.img,format=raw,if=virtio" \
    </dev/null >>"$tmp/console.log" 2>&1 &
qemu_pid=$!
tail -n +1 -f --pid="$qemu_pid" "$tmp/console.log" | plain | sed -u 's/^/  guest| /' &
tail_pid=$!

timed_out=0
while kill -0 "$qemu_pid" 2>/dev/null; do
    if ((SECONDS - start >= timeout)); then timed_out=1; break; fi
    sleep 1
done
if ((timed_out)); then
    log "TIMEOUT after ${timeout} s; last console lines:"
    tail -n 60 "$tmp/console.log" | plain
    exit 1
fi
wait "$qemu_pid" || log "qemu exited with status $?"
qemu_pid=''
wait "$tail_pid" 2>/dev/null || true
tail_pid=''
total=$((SECONDS - start))

res=$tmp/results
debugfs -R "rdump /results $tmp" "$tmp/payload.img" >/dev/null 2>&1 || true
if [[ ! -s $res/pytest.txt ]]; then
    log "FAIL: no results on the payload disk (guest run took ${total} s); console tail:"
    tail -n 60 "$tmp/console.log" | plain
    exit 1
fi

echo
log "===== pytest output (guest) ====="
cat "$res/pytest.txt"
log "===== end of pytest output ====="
if [[ -s $res/leaks.txt ]]; then
    log "left behind after the hub unit stopped:"
    cat "$res/leaks.txt"
fi
log "timings: boot $(cat "$res/boot-seconds" 2>/dev/null || echo '?') s (guest uptime at driver start)," \
    "suite $(cat "$res/suite-seconds" 2>/dev/null || echo '?') s, qemu total ${total} s"

rc=$(cat "$res/pytest-rc" 2>/dev/null || echo missing)
if [[ $rc != 0 ]]; then
    log "FAIL: pytest exit status $rc"
    [[ -f $res/hub-status.txt ]] && cat "$res/hub-status.txt"
    exit 1
fi
if [[ -s $res/leaks.txt ]]; then
    log "FAIL: the suite left things behind"
    exit 1
fi
log "PASS"
