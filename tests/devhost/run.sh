#!/bin/sh
# `make run`: builds the filter and the dev host, then starts ai-gateway in front of the bundled
# mock provider (no network, no keys) and prints a curl line that works.
#
#   tests/devhost/run.sh                              # mock OpenAI on 127.0.0.1:8000, Envoy profile
#   PROFILE=kong PORT=8080 tests/devhost/run.sh
#   CONFIG=my-config.json tests/devhost/run.sh        # your filter config, still against the mock
#   REAL=openai OPENAI_API_KEY=sk-... tests/devhost/run.sh          # the real OpenAI API
#   REAL=anthropic ANTHROPIC_API_KEY=sk-ant-... tests/devhost/run.sh  # the real Anthropic API
set -eu
cd "$(dirname "$0")/../.."
PORT="${PORT:-8000}"
PROFILE="${PROFILE:-envoy}"
CONFIG="${CONFIG:-tests/devhost/dev-config.json}"
MODEL=gpt-4o-mini

cargo build --release --target wasm32-wasip1 -p ai-proxy
# The dev profile (dependencies optimised, see Cargo.toml) shares its build with `make test`.
cargo build -p devhost --bins
BIN="${CARGO_TARGET_DIR:-target}/debug"

TMP="$(mktemp -d)"
MOCK_PID=""
cleanup() {
    [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

OVERRIDE=""
case "${REAL:-}" in
    openai)
        : "${OPENAI_API_KEY:?set OPENAI_API_KEY}"
        CONFIG="$TMP/config.json"
        printf '{"route_type":"llm/v1/chat","auth":{"header_name":"Authorization","header_value":"Bearer %s"},"model":{"provider":"openai","name":"%s"}}\n' \
            "$OPENAI_API_KEY" "$MODEL" > "$CONFIG" ;;
    anthropic)
        : "${ANTHROPIC_API_KEY:?set ANTHROPIC_API_KEY}"
        MODEL=claude-sonnet-4-20250514
        CONFIG="$TMP/config.json"
        printf '{"route_type":"llm/v1/chat","auth":{"header_name":"x-api-key","header_value":"%s"},"model":{"provider":"anthropic","name":"%s","options":{"anthropic_version":"2023-06-01","max_tokens":1024}}}\n' \
            "$ANTHROPIC_API_KEY" "$MODEL" > "$CONFIG" ;;
    "")
        "$BIN/mock-upstream" --listen 127.0.0.1:0 --max-seconds 86400 > "$TMP/mock.out" &
        MOCK_PID=$!
        i=0
        while ! grep -q "http://" "$TMP/mock.out" 2>/dev/null; do
            i=$((i + 1)); [ "$i" -gt 100 ] && { echo "mock-upstream did not start" >&2; exit 1; }
            sleep 0.1
        done
        OVERRIDE="$(sed -n 's/.*\(http:\/\/[0-9.:]*\).*/\1/p' "$TMP/mock.out" | head -n 1)"
        echo "mock provider: $OVERRIDE" ;;
    *) echo "REAL must be openai or anthropic" >&2; exit 2 ;;
esac

echo
echo "try:"
echo "  curl -s http://127.0.0.1:$PORT/v1/chat/completions -H 'content-type: application/json' \\"
echo "    -d '{\"model\":\"$MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'"
echo
set -- --config "$CONFIG" --listen "127.0.0.1:$PORT" --profile "$PROFILE"
[ -n "$OVERRIDE" ] && set -- "$@" --upstream-override "$OVERRIDE"
"$BIN/ai-gateway" "$@"
