#!/usr/bin/env python3
"""LiteLLM on the benchmark payloads, for the ratio `make bench` prints.

Times `litellm.completion()` per request (request translation, the provider's answer through
an in-process HTTP transport, the OpenAI-shaped result serialised to JSON): the same work the
filter does per request, with no network. Reads target/bench-payloads/ (benches/make_payloads.py).

    python3 -m venv .venv-bench-litellm && .venv-bench-litellm/bin/pip install -r benches/litellm/requirements.txt
    .venv-bench-litellm/bin/python benches/litellm/bench.py [--quick]

Prints one line per case: median microseconds per request, and, when the native bench of the
same `make bench` run left its medians (target/bench-native.json, written by benches/paths.rs),
the filter's native time for the case and LiteLLM's time as a multiple of it.
"""
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no cost-map download
import httpx  # noqa: E402
import litellm  # noqa: E402
from litellm.llms.custom_httpx.http_handler import HTTPHandler  # noqa: E402

litellm.telemetry = False
litellm.suppress_debug_info = True
logging.getLogger("LiteLLM").setLevel(logging.ERROR)
PAYLOADS = Path(__file__).resolve().parents[2] / "target" / "bench-payloads"

# provider → (model for litellm, credentials, answer file stem)
PROVIDERS = {
    "anthropic": ("anthropic/claude-3-5-sonnet-20240620", {"api_key": "k"}, "anthropic"),
    "gemini": ("gemini/gemini-1.5-pro", {"api_key": "k"}, "gemini"),
    "bedrock": (
        "bedrock/converse/anthropic.claude-3-5-sonnet-20240620-v1:0",
        {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
         "aws_region_name": "us-east-1"},
        "bedrock",
    ),
}
CASES = [
    ("small chat -> anthropic", "req_small_chat.json", "anthropic", "text"),
    ("tool chat -> bedrock (SigV4)", "req_tool_chat.json", "bedrock", "tool_use"),
    ("1 MB image -> gemini", "req_multimodal.json", "gemini", "text"),
    ("large chat -> anthropic", "req_large_chat.json", "anthropic", "text"),
    ("large chat -> gemini", "req_large_chat.json", "gemini", "text"),
    ("large chat -> bedrock", "req_large_chat.json", "bedrock", "text"),
]


def main():
    budget = 0.2 if "--quick" in sys.argv else 2.0
    answer = {"body": b""}

    def handle(req: httpx.Request) -> httpx.Response:
        req.read()
        return httpx.Response(200, content=answer["body"], headers={"content-type": "application/json"})

    native_file = PAYLOADS.parent / "bench-native.json"
    native = json.loads(native_file.read_text()) if native_file.exists() else {}
    client = HTTPHandler(client=httpx.Client(transport=httpx.MockTransport(handle)))
    print(f"litellm {litellm.__version__ if hasattr(litellm, '__version__') else ''}".strip())
    for name, req_file, provider, kind in CASES:
        model, creds, stem = PROVIDERS[provider]
        raw = (PAYLOADS / req_file).read_bytes()
        answer["body"] = (PAYLOADS / f"resp_{stem}_{kind}.json").read_bytes()

        def once():
            body = json.loads(raw)
            params = {k: v for k, v in body.items() if k not in ("model", "messages")}
            r = litellm.completion(model=model, messages=body["messages"], client=client, **params, **creds)
            return r.model_dump_json(exclude_none=True)

        once()
        samples, start = [], time.perf_counter()
        while len(samples) < 3 or time.perf_counter() - start < budget:
            t = time.perf_counter_ns()
            once()
            samples.append(time.perf_counter_ns() - t)
        median_us = statistics.median(samples) / 1000
        line = {"case": name, "median_us": round(median_us, 1), "n": len(samples)}
        if name in native:
            line["filter_native_us"] = round(native[name], 1)
            line["litellm_x_filter"] = round(median_us / native[name], 1)
        print(json.dumps(line))


if __name__ == "__main__":
    main()
