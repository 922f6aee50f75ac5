# ai-proxy-wasm — the commands README.md gives.
#   make run    build everything and start the dev gateway against the bundled mock provider
#   make test   every test: native core, dev host rule + end-to-end tests, SDK client tests

CARGO  ?= cargo
WASM   := target/wasm32-wasip1/release/ai_proxy.wasm
BIN    := target/debug
VENV   := .venv

.PHONY: all build wasm devhost test test-native test-sdk sdk-venv run bench lint fmt clean fuzz soak

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

# Native stream framing/translation (criterion) and the .wasm in the dev host, each with its
# baseline measured in the same run.
bench: wasm
	$(CARGO) bench -p ai-proxy --bench stream
	$(CARGO) bench -p devhost --bench wasm_stream

# Stable fuzz driver over every target (docs/hostile-input.md): FUZZ_SECONDS per target,
# FUZZ_TARGETS=config,stream/… to pick some. Runs at the lowest priority.
FUZZ_SECONDS ?= 10
fuzz:
	$(CARGO) test --release -p ai-proxy --test fuzz --no-run
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TARGETS=$(FUZZ_TARGETS) nice -n 19 \
		$(CARGO) test --release -p ai-proxy --test fuzz -- --ignored --nocapture fuzz_for_a_while

# 20,000 mixed requests per emulator profile through long-lived VMs (SOAK_REQUESTS=…).
SOAK_REQUESTS ?= 20000
soak: wasm
	SOAK_REQUESTS=$(SOAK_REQUESTS) $(CARGO) test --release -p devhost --test hostile -- --ignored --nocapture soak_full

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --target wasm32-wasip1 -p ai-proxy -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
