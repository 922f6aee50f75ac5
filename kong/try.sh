#!/usr/bin/env sh
# Starts Kong 3.9 with the ai_proxy filter (kong/docker-compose.yml) and sends one OpenAI chat
# request through it. Needs Docker with Compose v2, curl, the built filter and OPENAI_API_KEY.
# Our CI cannot run this (no Docker images on the project's machines): tests/deploy_configs.rs
# checks the files it uses instead.
#
#   cargo build --release --target wasm32-wasip1 -p ai-proxy
#   OPENAI_API_KEY=sk-... kong/try.sh
#   (cd kong && docker compose down)      # when done
set -eu
cd "$(dirname "$0")"
: "${OPENAI_API_KEY:?set OPENAI_API_KEY}"
[ -f ../target/wasm32-wasip1/release/ai_proxy.wasm ] || {
  echo "build the filter first: cargo build --release --target wasm32-wasip1 -p ai-proxy" >&2
  exit 1
}

# Copy kong.yml with every <NAME> placeholder replaced by the environment variable NAME when it
# is set (Kong does not resolve vault references inside filter configs). Values are read from
# the environment by awk, so they do not appear on a command line. The copy is private.
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
}' kong.yml > .rendered/kong.yml
# Kong runs as an unprivileged user inside the container (the directory stays private).
chmod 644 .rendered/kong.yml

KONG_YML=./.rendered/kong.yml docker compose up -d --force-recreate

echo "waiting for Kong..." >&2
i=0
until curl -fsS http://127.0.0.1:8001/status >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge 60 ]; then
    docker compose logs kong >&2
    exit 1
  fi
  sleep 1
done

# The OpenAI SDKs would use base_url http://localhost:8000/openai/v1.
curl -sS -i http://localhost:8000/openai/v1/chat/completions \
  -H 'Content-Type: application/json' \
  -d '{"messages":[{"role":"user","content":"Say hello in five words."}]}'
echo
echo "filter logs: (cd kong && docker compose logs kong | grep ai-proxy)" >&2
