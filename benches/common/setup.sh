# Shared by benches/envoy/run.sh and benches/kong/run.sh (sourced from the repository root,
# with the caller's arguments): the knobs, the work directory and its cleanup, free ports on
# 127.0.0.1 and the mock upstream. The caller sets PROXY_LOG (its proxy's log, relative to WORK,
# which KEEP_LOG copies) and, once its proxy runs, PROXY_PID.
BODY=${1:-target/bench-payloads/req_small_chat.json}
SECS=${SECONDS_PER_RUN:-5}
CONNS=${CONNECTIONS:-"1 8"}
WASM=${WASM:-$ROOT/target/wasm32-wasip1/release/ai_proxy.wasm}
FLOOR_WASM=${FLOOR_WASM:-$ROOT/target/wasm32-wasip1/release/examples/host_floor.wasm}
[ -f "$FLOOR_WASM" ] || cargo build -q --release --target wasm32-wasip1 --example host_floor
BIN=$ROOT/target/debug

WORK=$(mktemp -d)
cleanup() {
    [ -n "${PROXY_PID:-}" ] && kill "$PROXY_PID" 2>/dev/null || true
    [ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null || true
    [ -n "${KEEP_LOG:-}" ] && cp "$WORK/$PROXY_LOG" "$KEEP_LOG"
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MOCK_PORT=$(free_port); WITH_PORT=$(free_port); WITHOUT_PORT=$(free_port); FLOOR_PORT=$(free_port)

"$BIN/mock-upstream" --listen "127.0.0.1:$MOCK_PORT" --max-seconds 3600 >"$WORK/mock.log" 2>&1 &
MOCK_PID=$!
