#!/usr/bin/env python3
"""What the module's size costs at Envoy start: time until Envoy reports ready, with and without
the ai_proxy filter, same config otherwise.

    startup.py ENVOY WASM [OTHER.wasm ...]      (env: ROUNDS, default 5; CONCURRENCY, default 1)

Envoy loads the module and compiles it in V8 before it reports ready (one VM on the main thread,
one per worker). Each round starts a fresh Envoy per configuration, in turn, and polls the admin
`/ready` every 5 ms. Prints the median time to ready per module, the added time against the
no-filter config of the same rounds, and the module size.
"""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def config(admin, listen, wasm):
    filters = []
    if wasm:
        filters.append(
            {
                "name": "envoy.filters.http.wasm",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                    "config": {
                        "name": "ai_proxy",
                        "configuration": {
                            "@type": "type.googleapis.com/google.protobuf.StringValue",
                            "value": json.dumps(
                                {
                                    "route_type": "llm/v1/chat",
                                    "auth": {"header_name": "x-api-key", "header_value": "k"},
                                    "model": {
                                        "provider": "anthropic",
                                        "name": "claude",
                                        "options": {"anthropic_version": "2023-06-01"},
                                    },
                                }
                            ),
                        },
                        "vm_config": {
                            "vm_id": "ai_proxy_startup",
                            "runtime": "envoy.wasm.runtime.v8",
                            "code": {"local": {"filename": str(wasm)}},
                        },
                    },
                },
            }
        )
    filters.append(
        {
            "name": "envoy.filters.http.router",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
            },
        }
    )
    hcm = {
        "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        "stat_prefix": "startup",
        "route_config": {
            "virtual_hosts": [
                {
                    "name": "all",
                    "domains": ["*"],
                    "routes": [{"match": {"prefix": "/"}, "direct_response": {"status": 200}}],
                }
            ]
        },
        "http_filters": filters,
    }
    return {
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": admin}}},
        "static_resources": {
            "listeners": [
                {
                    "name": "l",
                    "address": {"socket_address": {"address": "127.0.0.1", "port_value": listen}},
                    "filter_chains": [
                        {
                            "filters": [
                                {
                                    "name": "envoy.filters.network.http_connection_manager",
                                    "typed_config": hcm,
                                }
                            ]
                        }
                    ],
                }
            ]
        },
    }


def time_to_ready(envoy, wasm, work, concurrency):
    admin = free_port()
    path = Path(work) / "envoy.json"
    path.write_text(json.dumps(config(admin, free_port(), wasm)), encoding="utf-8")
    log = open(Path(work) / "envoy.log", "w", encoding="utf-8")
    start = time.monotonic()
    proc = subprocess.Popen(
        [envoy, "-c", str(path), "--concurrency", str(concurrency), "--disable-hot-restart"],
        stdout=log,
        stderr=log,
    )
    try:
        deadline = start + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"envoy exited: see {path.parent / 'envoy.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{admin}/ready", timeout=1) as r:
                    if r.status == 200:
                        return time.monotonic() - start
            except OSError:
                pass
            time.sleep(0.005)
        raise SystemExit("envoy not ready in 60 s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def main():
    envoy, modules = sys.argv[1], sys.argv[2:]
    rounds = int(os.environ.get("ROUNDS", "5"))
    concurrency = int(os.environ.get("CONCURRENCY", "1"))
    runs = {m: [] for m in [None] + modules}
    with tempfile.TemporaryDirectory() as work:
        for _ in range(rounds):
            for m in runs:
                runs[m].append(time_to_ready(envoy, m, work, concurrency))
    base = statistics.median(runs[None]) * 1e3
    print(
        f"Envoy start to ready, --concurrency {concurrency}, median of {rounds} rounds"
        f" (no filter: {base:.0f} ms)"
    )
    print(f"{'module':<48} {'bytes':>10} {'÷ 1 MB':>7} {'ready ms':>9} {'added ms':>9}")
    for m in modules:
        ms = statistics.median(runs[m]) * 1e3
        added = statistics.median([(w - b) * 1e3 for w, b in zip(runs[m], runs[None])])
        size = os.path.getsize(m)
        print(
            f"{str(m)[-48:]:<48} {size:>10} {size / 2**20:>7.2f} {ms:>9.0f} {added:>9.0f}"
        )


if __name__ == "__main__":
    main()
