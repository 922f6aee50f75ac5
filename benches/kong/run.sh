#!/bin/sh
# Kong's engine (nginx + ngx_wasm_module) with and without the ai_proxy filter, and with the
# host's floor (examples/host_floor.rs: reads and writes back both bodies), same loopback
# mock, closed loop: the Envoy bench's rounds (benches/common/rounds.sh) against one
# single-process nginx.
#   sh benches/kong/run.sh [BODY.json]
# Env: NGINX (default: $NGINX_WASM_DIR/sbin/nginx, or target/nginx-wasm/sbin/nginx: `make
#      nginx-engine`), SECONDS_PER_RUN (5), CONNECTIONS ("1 8"), LOG_STATISTICS (true), WASM,
#      REPEAT (3), STREAM (1), PERF_RECORD, LOG_LEVEL (nginx's error_log level, default notice),
#      FLOOR_WASM (default: the example built for wasm32), KEEP_LOG (copy the error log there).
# nginx listens on 127.0.0.1 only.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
NGINX=${NGINX:-${NGINX_WASM_DIR:-$ROOT/target/nginx-wasm}/sbin/nginx}
if [ ! -x "$NGINX" ]; then
    echo "kong engine bench: no $NGINX (make nginx-engine); skipped"
    exit 0
fi
PROXY_LOG=logs/error.log
. benches/common/setup.sh
python3 benches/envoy/render.py "$WORK" "$BODY" template=benches/kong/nginx.conf.in out=nginx.conf \
    MOCK_PORT="$MOCK_PORT" WITH_PORT="$WITH_PORT" WITHOUT_PORT="$WITHOUT_PORT" \
    FLOOR_PORT="$FLOOR_PORT" FLOOR_WASM="$FLOOR_WASM" WASM="$WASM" LOG_STATISTICS="${LOG_STATISTICS:-true}" LOG_LEVEL="${LOG_LEVEL:-notice}"
mkdir -p "$WORK/logs"
"$NGINX" -p "$WORK/" -c nginx.conf >"$WORK/nginx.out" 2>&1 &
PROXY_PID=$!
i=0
until curl -s -o /dev/null "http://127.0.0.1:$WITHOUT_PORT/" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 100 ] && { cat "$WORK/nginx.out" "$WORK/logs/error.log"; exit 1; }; sleep 0.1
done
# One request through the filter first: a broken setup fails here, not as zero throughput.
curl -sf -m 5 -o /dev/null "http://127.0.0.1:$WITH_PORT/v1/chat/completions" \
    -H "content-type: application/json" --data-binary @"$WORK/openai.json" \
    || { echo "kong engine bench: the filter's server did not answer 2xx"; tail -5 "$WORK/logs/error.log"; exit 1; }

. benches/common/rounds.sh
# DEBUG_STREAM=1: one streamed request through the filter, shown with the error log tail.
[ -n "${DEBUG_STREAM:-}" ] && { curl -s -m 5 -i "http://127.0.0.1:$WITH_PORT/v1/chat/completions" -H "content-type: application/json" \
    --data-binary @"$WORK/openai_stream.json" | head -c 1500; tail -5 "$WORK/logs/error.log"; exit 0; }
rounds
if grep -q "\[\(error\|crit\|alert\|emerg\)\]" "$WORK/logs/error.log"; then
    echo "nginx error log:"; grep "\[\(error\|crit\|alert\|emerg\)\]" "$WORK/logs/error.log" | head -5
fi
