#!/usr/bin/env sh
# Starts Envoy 1.35 with the ai_proxy filter (docker-compose.yml here) and sends one OpenAI chat
# request through it. Needs Docker with Compose v2, curl, the built filter and OPENAI_API_KEY.
# Our CI cannot run this (no Docker images on the project's machines): tests/deploy_configs.rs
# checks the files it uses instead.
#
#   cargo build --release --target wasm32-wasip1 -p ai-proxy
#   OPENAI_API_KEY=sk-... filter-config/envoy/try.sh
#   (cd filter-config/envoy && docker compose down)      # when done
set -eu
cd "$(dirname "$0")"
: "${OPENAI_API_KEY:?set OPENAI_API_KEY}"
[ -f ../../target/wasm32-wasip1/release/ai_proxy.wasm ] || {
  echo "build the filter first: cargo build --release --target wasm32-wasip1 -p ai-proxy" >&2
  exit 1
}

# Copy envoy.yaml with every <NAME> placeholder replaced by the environment variable NAME when
# it is set. Values are read from the environment by awk, so they do not appear on a command
# line. The copy is private.
umask 077
mkdir -p .rendered
awk '{
  out = ""; line = $0
  while (match(line, /<[A-Z][A-Z0-9_]*>/)) {
    name = substr(line, RSTART + 1, RLENGTH - 2)
    val = (name in ENVIRON) ? ENVIRON[name] : substr(line, RSTART, RLENGTH)
    out = out substr(line, 1, RSTART - 1) val
    line = substr(line, RSTART + RLENGTH)
  }
  print out line
}' envoy.yaml > .rendered/envoy.yaml
# Envoy runs as an unprivileged user inside the container (the directory stays private).
chmod 644 .rendered/envoy.yaml

ENVOY_YAML=./.rendered/envoy.yaml docker compose up -d --force-recreate

echo "waiting for Envoy..." >&2
i=0
until curl -fsS http://127.0.0.1:9901/ready >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge 60 ]; then
    docker compose logs envoy >&2
    exit 1
  fi
  sleep 1
done

# Listener :10000 serves OpenAI chat; any path works, the filter sets the provider's path.
curl -sS -i http://localhost:10000/v1/chat/completions \
  -H 'Content-Type: application/json' \
  -d '{"messages":[{"role":"user","content":"Say hello in five words."}]}'
echo
echo "access log with analytics: (cd filter-config/envoy && docker compose logs envoy)" >&2
