#!/bin/sh
# Builds the dev host's rule-test filter (its own cargo workspace) for wasm32-wasip1.
set -eu
cd "$(dirname "$0")/test-filter"
exec cargo build --release --target wasm32-wasip1
