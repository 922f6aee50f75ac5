#!/usr/bin/env python3
"""Writes the proxy's config (Envoy's, or nginx's for benches/kong/run.sh) and the two request
bodies for benches/envoy/run.sh.

    render.py WORKDIR BODY.json key=value...   (ports, wasm path, log_statistics, mode,
                                                template, out: the file written in WORKDIR)
The filter listener runs ai_proxy (OpenAI chat in, Anthropic out); the other gets the body the
filter would send to Anthropic.
"""
import json
import sys
from pathlib import Path

work, body_path = Path(sys.argv[1]), sys.argv[2]
kv = dict(a.split("=", 1) for a in sys.argv[3:])
req = json.loads(Path(body_path).read_text(encoding="utf-8"))
MODEL = "claude-3-5-sonnet-20240620"

# What the filter sends to Anthropic (text messages): the no-filter listener gets this.
system = [m["content"] for m in req["messages"] if m["role"] == "system"]
anthropic = {
    "model": MODEL,
    "max_tokens": req.get("max_tokens", 256),
    "messages": [
        {"role": m["role"], "content": [{"type": "text", "text": m["content"]}]}
        for m in req["messages"]
        if m["role"] != "system"
    ],
}
if system:
    anthropic["system"] = "\n".join(system)
for k in ("temperature", "top_p"):
    if k in req:
        anthropic[k] = req[k]
anthropic_bytes = json.dumps(anthropic, separators=(",", ":"))
(work / "anthropic.json").write_text(anthropic_bytes, encoding="utf-8")
req["model"] = MODEL
(work / "openai.json").write_text(json.dumps(req, separators=(",", ":")), encoding="utf-8")
# The same request streamed: the mock answers with a 15-event Anthropic stream.
(work / "anthropic_stream.json").write_text(
    json.dumps(dict(anthropic, stream=True), separators=(",", ":")), encoding="utf-8"
)
(work / "openai_stream.json").write_text(
    json.dumps(dict(req, stream=True), separators=(",", ":")), encoding="utf-8"
)

config = {
    "route_type": "llm/v1/chat",
    "auth": {"header_name": "x-api-key", "header_value": "bench-key"},
    "model": {
        "provider": "anthropic",
        "name": MODEL,
        "options": {
            "anthropic_version": "2023-06-01",
            "max_tokens": 256,
            "upstream_url": f"http://127.0.0.1:{kv['MOCK_PORT']}",
        },
    },
    "logging": {"log_statistics": kv.get("LOG_STATISTICS", "true") == "true"},
}
yaml = Path(kv["template"]).read_text(encoding="utf-8")
kv["CONFIG"] = json.dumps(json.dumps(config))  # a YAML double-quoted scalar
kv["CONFIG_NGINX"] = "'" + json.dumps(config).replace("\\", "\\\\").replace("'", "\\'") + "'"
for k, v in kv.items():
    yaml = yaml.replace(f"@{k}@", v)
(work / kv.get("out", "envoy.yaml")).write_text(yaml, encoding="utf-8")
