#!/usr/bin/env python3
"""Writes the benchmark payloads, deterministically, to target/bench-payloads/ (or the folder
given as the first argument). Standard library only, so the Rust benches and the LiteLLM
comparison (benches/litellm/bench.py) read the very same bytes.

Requests are OpenAI chat bodies; answers are each provider's own non-streamed answer; the
stream is Anthropic's SSE. Sizes: small chat ~1 KB, tool chat ~4 KB, large chat ~200 KB,
image ~1 MB, and the scaling series chat_1k/64k/1m/8m.
"""
import base64
import json
import random
import sys
from pathlib import Path

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "target" / "bench-payloads"
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november "
         "oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()


def text(rng, n):
    out, size = [], 0
    while size < n:
        w = rng.choice(WORDS)
        out.append(w)
        size += len(w) + 1
    return " ".join(out)[:n].rstrip() + "."


def write(name, obj):
    data = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
    (OUT / name).write_bytes(data)
    return len(data)


def chat(rng, total):
    """A conversation of about `total` bytes: a system prompt and alternating turns."""
    msgs = [{"role": "system", "content": "You help travellers plan short city trips. Be brief."}]
    size, turn = 120, 0
    while size < total:
        n = min(600, max(40, total - size))
        msgs.append({"role": "user" if turn % 2 == 0 else "assistant", "content": text(rng, n)})
        size += n + 40
        turn += 1
    if msgs[-1]["role"] != "user":
        msgs.append({"role": "user", "content": "And what should I eat there?"})
    return {"model": "gpt-4o", "messages": msgs, "max_tokens": 512, "temperature": 0.7, "top_p": 0.9}


def tool_chat():
    def tool(name, desc, props, required):
        return {"type": "function", "function": {"name": name, "description": desc, "parameters": {
            "type": "object", "properties": props, "required": required}}}
    tools = [
        tool("get_weather", "Current weather and a short forecast for a city; metric units unless told otherwise. " * 3,
             {"city": {"type": "string", "description": "City and country."},
              "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
              "days": {"type": "integer", "minimum": 1, "maximum": 7}}, ["city"]),
        tool("find_flights", "Flights between two airports on a date, cheapest first. " * 4,
             {"from": {"type": "string"}, "to": {"type": "string"}, "date": {"type": "string", "format": "date"},
              "passengers": {"type": "integer", "minimum": 1}, "cabin": {"type": "string", "enum": ["economy", "business"]}},
             ["from", "to", "date"]),
        tool("book_hotel", "Reserve a hotel room for given nights; returns a confirmation code. " * 4,
             {"hotel_id": {"type": "string"}, "check_in": {"type": "string"}, "nights": {"type": "integer"},
              "guests": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}},
             ["hotel_id", "check_in", "nights"]),
    ]
    return {"model": "gpt-4o", "tools": tools, "tool_choice": "auto", "max_tokens": 512, "messages": [
        {"role": "system", "content": "You are a travel agent with tools. Call tools when they help."},
        {"role": "user", "content": "What's the weather in Lisbon and find me a flight from Berlin on 2025-05-02."},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Lisbon, Portugal\",\"days\":3}"}},
            {"id": "call_2", "type": "function", "function": {"name": "find_flights", "arguments": "{\"from\":\"BER\",\"to\":\"LIS\",\"date\":\"2025-05-02\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp_c\":21,\"sky\":\"sunny\"}"},
        {"role": "tool", "tool_call_id": "call_2", "content": "{\"flights\":[{\"no\":\"TP571\",\"eur\":129}]}"},
        {"role": "user", "content": "Great, book two nights at hotel H-42 from May 2nd."}]}


def image_chat(rng):
    raw = bytes(rng.getrandbits(8) for _ in range(786_000))  # ~1 MB once base64-encoded
    url = "data:image/png;base64," + base64.b64encode(raw).decode()
    return {"model": "gpt-4o", "max_tokens": 300, "messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": url}}]}]}


USAGE = (12, 9)


def answers():
    t = "Pastel de nata, bacalhau a bras and grilled sardines are the classics; try them in Bairro Alto."
    args = {"hotel_id": "H-42", "check_in": "2025-05-02", "nights": 2}
    return {
        "resp_anthropic_text.json": {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20240620",
            "content": [{"type": "text", "text": t}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": USAGE[0], "output_tokens": USAGE[1]}},
        "resp_anthropic_tool_use.json": {"id": "msg_2", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20240620",
            "content": [{"type": "text", "text": "Booking it."}, {"type": "tool_use", "id": "toolu_1", "name": "book_hotel", "input": args}],
            "stop_reason": "tool_use", "stop_sequence": None, "usage": {"input_tokens": USAGE[0], "output_tokens": USAGE[1]}},
        "resp_gemini_text.json": {"candidates": [{"content": {"role": "model", "parts": [{"text": t}]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": USAGE[0], "candidatesTokenCount": USAGE[1], "totalTokenCount": sum(USAGE)},
            "modelVersion": "gemini-1.5-pro"},
        "resp_gemini_tool_use.json": {"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {"name": "book_hotel", "args": args}}]},
            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": USAGE[0], "candidatesTokenCount": USAGE[1], "totalTokenCount": sum(USAGE)}},
        "resp_bedrock_text.json": {"output": {"message": {"role": "assistant", "content": [{"text": t}]}}, "stopReason": "end_turn",
            "usage": {"inputTokens": USAGE[0], "outputTokens": USAGE[1], "totalTokens": sum(USAGE)}, "metrics": {"latencyMs": 812}},
        # OpenAI "Create chat completion" answer object: passed through by the filter (usage read).
        "resp_openai_text.json": {"id": "chatcmpl-1", "object": "chat.completion", "created": 1733300000, "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": t, "refusal": None}, "logprobs": None,
                "finish_reason": "stop"}],
            "usage": {"prompt_tokens": USAGE[0], "completion_tokens": USAGE[1], "total_tokens": sum(USAGE)}},
        "resp_openai_tool_use.json": {"id": "chatcmpl-2", "object": "chat.completion", "created": 1733300000, "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "book_hotel", "arguments": json.dumps(args)}}]}, "logprobs": None, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": USAGE[0], "completion_tokens": USAGE[1], "total_tokens": sum(USAGE)}},
        "resp_bedrock_tool_use.json": {"output": {"message": {"role": "assistant", "content": [
            {"toolUse": {"toolUseId": "tooluse_1", "name": "book_hotel", "input": args}}]}}, "stopReason": "tool_use",
            "usage": {"inputTokens": USAGE[0], "outputTokens": USAGE[1], "totalTokens": sum(USAGE)}, "metrics": {"latencyMs": 640}},
    }


def anthropic_stream(rng, deltas=196):
    def ev(name, data):
        return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
    out = [ev("message_start", {"type": "message_start", "message": {"id": "msg_s", "type": "message", "role": "assistant",
              "model": "claude-3-5-sonnet-20240620", "content": [], "stop_reason": None, "usage": {"input_tokens": 12, "output_tokens": 1}}}),
           ev("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})]
    for _ in range(deltas):
        out.append(ev("content_block_delta", {"type": "content_block_delta", "index": 0,
                                              "delta": {"type": "text_delta", "text": text(rng, 60) + " "}}))
    out.append(ev("content_block_stop", {"type": "content_block_stop", "index": 0}))
    out.append(ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": deltas}}))
    out.append(ev("message_stop", {"type": "message_stop"}))
    return "".join(out).encode()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(13)
    sizes = {
        "req_small_chat.json": write("req_small_chat.json", chat(rng, 900)),
        "req_tool_chat.json": write("req_tool_chat.json", tool_chat()),
        "req_large_chat.json": write("req_large_chat.json", chat(rng, 200_000)),
        "req_multimodal.json": write("req_multimodal.json", image_chat(rng)),
        "stream_anthropic.sse": write("stream_anthropic.sse", anthropic_stream(rng)),
    }
    for name, obj in answers().items():
        sizes[name] = write(name, obj)
    for name, n in [("chat_1k", 1 << 10), ("chat_64k", 64 << 10), ("chat_1m", 1 << 20), ("chat_8m", 8 << 20)]:
        sizes[name + ".json"] = write(name + ".json", chat(rng, n))
    for k, v in sizes.items():
        print(f"{k:<28} {v:>9} bytes")


if __name__ == "__main__":
    main()
