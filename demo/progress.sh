# shellcheck shell=bash
# demo_progress WHAT LOG CMD...: run CMD with its output in LOG, and say
# every 30 s that it still runs (builds and mmdebstrap are silent for
# minutes). On failure prints LOG's tail and exits.
demo_progress() {
    local what=$1 log=$2 start=$SECONDS pid rc=0
    shift 2
    "$@" >"$log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        for _ in $(seq 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 1
        done
        if kill -0 "$pid" 2>/dev/null; then
            printf '== still %s (%d s; log: %s)\n' "$what" $((SECONDS - start)) "$log"
        fi
    done
    wait "$pid" || rc=$?
    if ((rc != 0)); then
        tail -n 40 "$log"
        echo "demo.sh: $what failed (status $rc; $log)" >&2
        exit 1
    fi
    printf '== %s: done in %d s\n' "$what" $((SECONDS - start))
}
