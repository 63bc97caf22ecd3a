# Booting the systemd guest with a payload, shared by tests/guest/run.sh (the
# suite), bench/run.sh (the benchmarks) and demo.sh (the README demo).
# Source it from bash (set -euo pipefail); it defines functions only.
#
#   guest_tools                         install qemu and debugfs if missing
#   guest_payload DIR CGSPAWN           DIR gets the product: bin/cgspawn,
#                                       bin/check-kernel.sh, spawner/ and site/
#                                       (the spawner as pip installs it)
#   guest_boot DIR RESULTS [options]    boot with DIR as /payload (its
#                                       driver.sh runs at boot, as root), wait
#                                       until the guest powers off, copy the
#                                       payload's results/ to RESULTS
#       --release NAME     the image's Debian release (bookworm, the
#                          default, or trixie: build-image.sh --release)
#       --timeout SECS     kill the guest after SECS (0: never; default 3000)
#       --memory MIB       guest RAM (default 1536)
#       --forward PORT     forward 127.0.0.1:PORT on the host to the guest's
#                          PORT (gives the guest a NIC: 10.0.2.15/24)
#       --quiet            do not echo the serial console
#   Returns 0 when the guest powered off by itself, 1 on a timeout or a
#   failed boot (the console's tail is printed).
#   guest_kill                          stop qemu, remove the boot's scratch
#                                       directory: call it from the caller's
#                                       EXIT trap (guest_boot sets no trap)
# GUEST_KEEP=1 keeps the scratch directory (payload.img, console.log).

guest_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
guest_here=$guest_repo/tests/guest

guest_log() { printf '[guest] %s\n' "$*"; }
# The serial console without carriage returns and terminal escapes.
guest_plain() { sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g'; }

guest_tools() {
    local need=()
    command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
    command -v debugfs >/dev/null || need+=(e2fsprogs)
    if ((${#need[@]})); then
        guest_log "installing ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
    fi
}

guest_payload() {
    local dir=$1 cgspawn=$2
    mkdir -p "$dir/bin" "$dir/results" "$dir/spawner"
    chmod 0755 "$dir"
    install -m 0755 "$cgspawn" "$dir/bin/cgspawn"
    install -m 0755 "$guest_repo/kernel-check/check-kernel.sh" "$dir/bin/check-kernel.sh"
    install -D -m 0644 -t "$dir/bin/lib" "$guest_repo"/kernel-check/lib/*.sh
    install -m 0644 "$guest_repo/README.md" "$dir/README.md"  # test_metrics.py runs its units
    cp -r "$guest_repo/spawner/cgroupspawner" "$guest_repo/spawner/pyproject.toml" \
        "$guest_repo/spawner/examples" "$dir/spawner/"
    # The spawner as pip installs it (its dist-info carries the
    # jupyterhub.spawners entry points), for a hub run with
    # PYTHONPATH=/payload/site.
    if ! "$guest_repo/packaging/stage-spawner.sh" "$dir/site"; then
        guest_log "cannot install the spawner into the payload (hub tests will fail)"
    fi
}

guest_boot() {
    local dir=$1 results=$2
    shift 2
    local timeout=3000 memory=1536 quiet=0 forwards=() release=bookworm
    while (($#)); do
        case $1 in
            --release) release=$2; shift 2 ;;
            --timeout) timeout=$2; shift 2 ;;
            --memory) memory=$2; shift 2 ;;
            --forward) forwards+=("$2"); shift 2 ;;
            --quiet) quiet=1; shift ;;
            *) guest_log "guest_boot: unknown option $1"; return 2 ;;
        esac
    done
    [[ -x $dir/driver.sh ]] || { guest_log "guest_boot: $dir/driver.sh is missing"; return 2; }

    local image work
    image=$("$guest_here/build-image.sh" --release "$release")
    work=$(mktemp -d "${TMPDIR:-/tmp}/cgspawn-boot.XXXXXX")
    find "$dir" -name __pycache__ -prune -exec rm -rf {} +
    mkdir -p "$dir/results"
    mkfs.ext4 -q -F -L payload -d "$dir" "$work/payload.img" 512M >/dev/null

    local nic=(-nic none) f
    if ((${#forwards[@]})); then
        local fwd=''
        for f in "${forwards[@]}"; do fwd+=",hostfwd=tcp:127.0.0.1:$f-:$f"; done
        nic=(-nic "user,model=virtio-net-pci,restrict=on$fwd")
    fi
    # Emulated hardware nothing uses only slows the boot down.
    local blacklist=kvm,kvm_amd,kvm_intel,pcspkr,parport_pc,ppdev,floppy
    local limit="timeout ${timeout} s"
    ((timeout > 0)) || limit="no timeout"
    guest_log "booting the $release guest (TCG, 2 vCPUs, $memory MiB), $limit"
    local start=$SECONDS rc=0
    : >"$work/console.log"
    # snapshot=on keeps the cached image untouched; its overlay goes to TMPDIR.
    TMPDIR=$work qemu-system-x86_64 -accel tcg,thread=multi -cpu max -m "$memory" -smp 2 \
        -nographic -no-reboot -vga none "${nic[@]}" \
        -kernel "$image/vmlinuz" -initrd "$image/initrd.img" \
        -append "root=/dev/vda rw console=ttyS0 quiet panic=1 modprobe.blacklist=$blacklist" \
        -drive "file=$image/rootfs.img,format=raw,if=virtio,snapshot=on" \
        -drive "file=$work/payload.img,format=raw,if=virtio" \
        </dev/null >>"$work/console.log" 2>&1 &
    guest_qemu_pid=$!
    guest_work=$work
    local tail_pid=''
    if ((!quiet)); then
        tail -n +1 -f --pid="$guest_qemu_pid" "$work/console.log" | guest_plain | sed -u 's/^/  guest| /' &
        tail_pid=$!
    fi
    while kill -0 "$guest_qemu_pid" 2>/dev/null; do
        if ((timeout > 0 && SECONDS - start >= timeout)); then
            guest_log "TIMEOUT after ${timeout} s; last console lines:"
            tail -n 60 "$work/console.log" | guest_plain
            rc=1
            break
        fi
        sleep 1
    done
    if ((rc == 0)); then
        wait "$guest_qemu_pid" || guest_log "qemu exited with status $?"
        guest_qemu_pid=''
    else
        guest_stop_qemu
    fi
    if [[ -n $tail_pid ]]; then wait "$tail_pid" 2>/dev/null || true; fi  # ends with qemu
    guest_seconds=$((SECONDS - start))
    mkdir -p "$results"
    debugfs -R "rdump /results $work" "$work/payload.img" >/dev/null 2>&1 || true
    if [[ -d $work/results ]]; then cp -a "$work/results/." "$results/"; fi
    if ((rc == 0)) && [[ -z $(ls -A "$results") ]]; then
        guest_log "FAIL: the guest wrote no results (it ran ${guest_seconds} s); console tail:"
        tail -n 60 "$work/console.log" | guest_plain
        rc=1
    fi
    guest_kill
    return "$rc"
}

guest_stop_qemu() {
    if [[ -n ${guest_qemu_pid:-} ]] && kill -0 "$guest_qemu_pid" 2>/dev/null; then
        kill -TERM "$guest_qemu_pid" 2>/dev/null || true
        for _ in 1 2 3 4 5; do kill -0 "$guest_qemu_pid" 2>/dev/null || break; sleep 1; done
        kill -KILL "$guest_qemu_pid" 2>/dev/null || true
        wait "$guest_qemu_pid" 2>/dev/null || true
    fi
    guest_qemu_pid=''
}

# Stop qemu if it still runs and remove the boot's scratch directory.
guest_kill() {
    guest_stop_qemu
    if [[ -n ${guest_work:-} ]]; then
        if [[ ${GUEST_KEEP:-0} == 1 ]]; then guest_log "kept $guest_work"; else rm -rf "$guest_work"; fi
    fi
    guest_work=''
}
