#!/bin/sh
# LiteLLM on the benchmark payloads (pinned by requirements.txt, installed once in .venv-bench-litellm).
set -eu
cd "$(dirname "$0")/../.."
if [ ! -x .venv-bench-litellm/bin/python ]; then
    python3 -m venv .venv-bench-litellm
    .venv-bench-litellm/bin/pip install -q -r benches/litellm/requirements.txt
fi
exec .venv-bench-litellm/bin/python benches/litellm/bench.py "$@"
