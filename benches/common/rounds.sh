# Shared by benches/envoy/run.sh and benches/kong/run.sh (sourced): the measured rounds.
# The caller sets WORK (with the bodies render.py wrote), BIN (loadgen), SECS, CONNS, PROXY_PID
# (the process whose CPU is counted, and which PERF_RECORD profiles), WITH_PORT and
# WITHOUT_PORT; FLOOR_PORT (optional): the host's floor, examples/host_floor.rs, which gets the
# already-translated body as the no-filter server does.

run() { # name port body connections [headers...]
    name=$1; port=$2; body=$3; c=$4; shift 4
    out=$("$BIN/loadgen" --url "http://127.0.0.1:$port/$PATH_SUFFIX" --body "$body" \
        --connections "$c" --seconds "$SECS" --warmup 1 --cpu-pid "$PROXY_PID" "$@" || true)
    echo "$name c=$c $out"
    echo "$name $c $out" >>"$WORK/results"
}

perf_start() { # output file
    if [ -n "${PERF_RECORD:-}" ] && [ "$c" = "8" ]; then
        perf record -F 999 -g -p "$PROXY_PID" -o "$1" -- sleep "$SECS" >/dev/null 2>&1 &
        PERF_PID=$!
    fi
}
perf_wait() { [ -n "${PERF_PID:-}" ] && wait "$PERF_PID"; PERF_PID=; }

rounds() {
    round=0
    while [ "$round" -lt "${REPEAT:-3}" ]; do
        round=$((round + 1))
        for c in $CONNS; do
            perf_start "${PERF_RECORD:-}.without"
            PATH_SUFFIX=v1/messages run without_filter "$WITHOUT_PORT" "$WORK/anthropic.json" "$c" \
                --header "x-api-key: bench-key" --header "anthropic-version: 2023-06-01"
            perf_wait
            if [ -n "${FLOOR_PORT:-}" ]; then
                PATH_SUFFIX=v1/messages run floor "$FLOOR_PORT" "$WORK/anthropic.json" "$c" \
                    --header "x-api-key: bench-key" --header "anthropic-version: 2023-06-01"
            fi
            perf_start "${PERF_RECORD:-}.with"
            PATH_SUFFIX=v1/chat/completions run with_filter "$WITH_PORT" "$WORK/openai.json" "$c"
            perf_wait
            if [ "${STREAM:-1}" = 1 ]; then
                PATH_SUFFIX=v1/messages run stream_without "$WITHOUT_PORT" "$WORK/anthropic_stream.json" "$c" \
                    --header "x-api-key: bench-key" --header "anthropic-version: 2023-06-01"
                if [ -n "${FLOOR_PORT:-}" ]; then
                    PATH_SUFFIX=v1/messages run stream_floor "$FLOOR_PORT" "$WORK/anthropic_stream.json" "$c" \
                        --header "x-api-key: bench-key" --header "anthropic-version: 2023-06-01"
                fi
                PATH_SUFFIX=v1/chat/completions run stream_with "$WITH_PORT" "$WORK/openai_stream.json" "$c"
            fi
        done
    done
    python3 benches/envoy/summary.py "$WORK/results"
}
