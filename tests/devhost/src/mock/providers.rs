//! Canned answers per provider, shaped after each provider's public API reference (OpenAI
//! Chat Completions/Embeddings, Anthropic Messages + streaming events, Cohere v1/v2 chat and
//! embed, Gemini generateContent/streamGenerateContent/embedContent, Bedrock Converse /
//! ConverseStream (AWS eventstream) / InvokeModel, Ollama /api/chat and /api/embed).

use serde_json::{json, Value};

use super::{Answer, Recorded};

/// The canned reply text, and the pieces a stream sends it in.
const TEXT: &str = "Hello! How can I help you today?";
const PIECES: &[&str] = &[
    "Hello", "!", " How", " can", " I", " help", " you", " today", "?",
];
const CREATED: i64 = 1_700_000_000;
const TOOL_ARGS: &str = "{\"location\":\"Paris\"}";

fn json_answer(status: u16, v: Value) -> Answer {
    Answer {
        status,
        content_type: "application/json".into(),
        pieces: vec![v.to_string().into_bytes()],
        stream: false,
    }
}

fn stream(content_type: &str, pieces: Vec<Vec<u8>>) -> Answer {
    Answer {
        status: 200,
        content_type: content_type.into(),
        pieces,
        stream: true,
    }
}

fn sse(data: &Value) -> Vec<u8> {
    format!("data: {data}\n\n").into_bytes()
}

fn sse_event(event: &str, data: &Value) -> Vec<u8> {
    format!("event: {event}\ndata: {data}\n\n").into_bytes()
}

fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

fn embedding(i: usize) -> Vec<f64> {
    (0..8)
        .map(|k| ((i * 8 + k) as f64 * 0.37).sin() / 10.0)
        .collect()
}

/// Routes a recorded request to its provider's canned answer.
pub fn answer(r: &Recorded) -> Answer {
    if let Some(a) = super::routes::answer(r) {
        return a;
    }
    let b = r.json();
    let p = r.path.as_str();
    let stream_flag = b.get("stream").and_then(Value::as_bool);
    if p.ends_with("/chat/completions") {
        openai_chat(&b, stream_flag.unwrap_or(false))
    } else if p.ends_with("/embeddings") {
        openai_embeddings(&b)
    } else if p.ends_with("/completions") {
        openai_completions(&b, stream_flag.unwrap_or(false))
    } else if p == "/v1/messages" {
        anthropic(&b, stream_flag.unwrap_or(false))
    } else if p == "/v1/chat" {
        cohere_v1(&b, stream_flag.unwrap_or(false))
    } else if p == "/v2/chat" {
        cohere_v2(&b, stream_flag.unwrap_or(false))
    } else if p == "/v1/embed" || p == "/v2/embed" {
        cohere_embed(&b, p == "/v2/embed")
    } else if p.ends_with(":generateContent") {
        json_answer(200, gemini_chunk(&b, TEXT, true))
    } else if p.ends_with(":streamGenerateContent") {
        gemini_stream(&b, r.query.contains("alt=sse"))
    } else if p.ends_with(":countTokens") {
        // Gemini / Vertex countTokens: a count from the body size (about four bytes a token).
        json_answer(200, json!({"totalTokens": r.body.len() / 4 + 1}))
    } else if p.ends_with(":embedContent") {
        json_answer(200, json!({"embedding": {"values": embedding(0)}}))
    } else if p.ends_with(":batchEmbedContents") {
        let n = b
            .get("requests")
            .and_then(Value::as_array)
            .map_or(1, Vec::len);
        json_answer(
            200,
            json!({"embeddings": (0..n).map(|i| json!({"values": embedding(i)})).collect::<Vec<_>>()}),
        )
    } else if p.starts_with("/model/") && p.ends_with("/converse") {
        bedrock_converse(&b)
    } else if p.starts_with("/model/") && p.ends_with("/converse-stream") {
        bedrock_stream(&b)
    } else if p.starts_with("/model/") && p.ends_with("/count-tokens") {
        json_answer(200, json!({"inputTokens": r.body.len() / 4 + 1}))
    } else if p.starts_with("/model/") && p.ends_with("/invoke") {
        bedrock_invoke(&b)
    } else if p == "/api/chat" || p == "/api/generate" {
        // Ollama streams unless `"stream": false`.
        ollama_chat(&b, stream_flag.unwrap_or(true), p == "/api/generate")
    } else if p == "/api/embed" {
        let n = match b.get("input") {
            Some(Value::Array(a)) => a.len(),
            _ => 1,
        };
        json_answer(
            200,
            json!({"model": b.get("model"), "embeddings": (0..n).map(embedding).collect::<Vec<_>>(),
            "total_duration": 14143917, "load_duration": 1019500, "prompt_eval_count": 8}),
        )
    } else {
        json_answer(
            404,
            json!({"error": {"message": format!("mock: no route for {} {}", r.method, r.path), "type": "invalid_request_error"}}),
        )
    }
}

/// The conversation ends with a tool result (OpenAI/Ollama `tool` message, Gemini
/// `functionResponse`, Bedrock `toolResult`): the mock then answers with text, so a client's
/// tool loop ends after one round trip.
fn after_tool_result(b: &Value) -> bool {
    let last = |key: &str| {
        b.get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.last())
            .cloned()
            .unwrap_or(Value::Null)
    };
    let parts_have = |m: &Value, list: &str, key: &str| {
        m.get(list)
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|p| p.get(key).is_some()))
    };
    let m = last("messages");
    let anthropic_result = m.get("content").and_then(Value::as_array).is_some_and(|a| {
        a.iter()
            .any(|p| p.get("type").and_then(Value::as_str) == Some("tool_result"))
    });
    m.get("role").and_then(Value::as_str) == Some("tool")
        || anthropic_result
        || parts_have(&m, "content", "toolResult")
        || parts_have(&last("contents"), "parts", "functionResponse")
}

// ------------------------------------------------------------------ OpenAI (+ Azure, Hugging Face)

fn openai_tool(b: &Value) -> Option<String> {
    if after_tool_result(b) {
        return None;
    }
    s(b, "/tools/0/function/name").map(String::from)
}

fn openai_chat(b: &Value, streaming: bool) -> Answer {
    let model = b
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("gpt-4o-mini");
    let tool = openai_tool(b);
    let usage = json!({"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}});
    if !streaming {
        let (message, finish) = match &tool {
            Some(name) => (
                json!({"role": "assistant", "content": null, "refusal": null,
                "tool_calls": [{"id": "call_mock_1", "type": "function", "function": {"name": name, "arguments": TOOL_ARGS}}]}),
                "tool_calls",
            ),
            None => (
                json!({"role": "assistant", "content": TEXT, "refusal": null}),
                "stop",
            ),
        };
        return json_answer(
            200,
            json!({"id": "chatcmpl-mock123", "object": "chat.completion", "created": CREATED, "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
            "usage": usage, "system_fingerprint": "fp_mock"}),
        );
    }
    let chunk = |delta: Value, finish: Value| {
        json!({"id": "chatcmpl-mock123", "object": "chat.completion.chunk", "created": CREATED,
        "model": model, "system_fingerprint": "fp_mock", "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]})
    };
    let mut out = vec![sse(&chunk(
        json!({"role": "assistant", "content": "", "refusal": null}),
        Value::Null,
    ))];
    let finish = match &tool {
        Some(name) => {
            out.push(sse(&chunk(json!({"tool_calls": [{"index": 0, "id": "call_mock_1", "type": "function", "function": {"name": name, "arguments": ""}}]}), Value::Null)));
            for part in ["{\"location\"", ":\"Paris\"}"] {
                out.push(sse(&chunk(
                    json!({"tool_calls": [{"index": 0, "function": {"arguments": part}}]}),
                    Value::Null,
                )));
            }
            "tool_calls"
        }
        None => {
            for p in PIECES {
                out.push(sse(&chunk(json!({"content": p}), Value::Null)));
            }
            "stop"
        }
    };
    out.push(sse(&chunk(json!({}), json!(finish))));
    if b.pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        == Some(true)
    {
        out.push(sse(&json!({"id": "chatcmpl-mock123", "object": "chat.completion.chunk", "created": CREATED, "model": model,
            "system_fingerprint": "fp_mock", "choices": [], "usage": usage})));
    }
    out.push(b"data: [DONE]\n\n".to_vec());
    stream("text/event-stream; charset=utf-8", out)
}

fn openai_completions(b: &Value, streaming: bool) -> Answer {
    let model = b
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("gpt-3.5-turbo-instruct");
    let usage = json!({"prompt_tokens": 5, "completion_tokens": 9, "total_tokens": 14});
    if !streaming {
        return json_answer(
            200,
            json!({"id": "cmpl-mock123", "object": "text_completion", "created": CREATED, "model": model,
            "choices": [{"text": TEXT, "index": 0, "logprobs": null, "finish_reason": "stop"}], "usage": usage}),
        );
    }
    let mut out: Vec<Vec<u8>> = PIECES.iter().map(|p| sse(&json!({"id": "cmpl-mock123", "object": "text_completion", "created": CREATED,
        "model": model, "choices": [{"text": p, "index": 0, "logprobs": null, "finish_reason": null}]}))).collect();
    out.push(sse(&json!({"id": "cmpl-mock123", "object": "text_completion", "created": CREATED, "model": model,
        "choices": [{"text": "", "index": 0, "logprobs": null, "finish_reason": "stop"}]})));
    out.push(b"data: [DONE]\n\n".to_vec());
    stream("text/event-stream; charset=utf-8", out)
}

fn openai_embeddings(b: &Value) -> Answer {
    let n = match b.get("input") {
        Some(Value::Array(a)) if a.first().is_some_and(Value::is_string) => a.len(),
        Some(Value::Array(a)) if a.first().is_some_and(Value::is_array) => a.len(),
        _ => 1,
    };
    let data: Vec<Value> = (0..n)
        .map(|i| json!({"object": "embedding", "index": i, "embedding": embedding(i)}))
        .collect();
    json_answer(
        200,
        json!({"object": "list", "data": data, "model": b.get("model").and_then(Value::as_str).unwrap_or("text-embedding-3-small"),
        "usage": {"prompt_tokens": 8, "total_tokens": 8}}),
    )
}

// ------------------------------------------------------------------ Anthropic

fn anthropic(b: &Value, streaming: bool) -> Answer {
    let model = b
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("claude-sonnet-4-20250514");
    let tool = s(b, "/tools/0/name")
        .filter(|_| !after_tool_result(b))
        .map(String::from);
    if !streaming {
        let (content, stop) = match &tool {
            Some(name) => (
                json!([{"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_mock1", "name": name, "input": {"location": "Paris"}}]),
                "tool_use",
            ),
            None => (json!([{"type": "text", "text": TEXT}]), "end_turn"),
        };
        return json_answer(
            200,
            json!({"id": "msg_mock123", "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": stop, "stop_sequence": null,
            "usage": {"input_tokens": 12, "output_tokens": 9, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}}),
        );
    }
    let mut out = vec![
        sse_event(
            "message_start",
            &json!({"type": "message_start", "message": {"id": "msg_mock123", "type": "message", "role": "assistant",
            "model": model, "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 12, "output_tokens": 1}}}),
        ),
        sse_event(
            "content_block_start",
            &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        sse_event("ping", &json!({"type": "ping"})),
    ];
    let stop = match &tool {
        Some(name) => {
            out.push(sse_event("content_block_delta", &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me check."}})));
            out.push(sse_event(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": 0}),
            ));
            out.push(sse_event("content_block_start", &json!({"type": "content_block_start", "index": 1,
                "content_block": {"type": "tool_use", "id": "toolu_mock1", "name": name, "input": {}}})));
            for part in ["", "{\"location\"", ": \"Paris\"}"] {
                out.push(sse_event("content_block_delta", &json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": part}})));
            }
            out.push(sse_event(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": 1}),
            ));
            "tool_use"
        }
        None => {
            for p in PIECES {
                out.push(sse_event("content_block_delta", &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}})));
            }
            out.push(sse_event(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": 0}),
            ));
            "end_turn"
        }
    };
    out.push(sse_event("message_delta", &json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null}, "usage": {"output_tokens": 9}})));
    out.push(sse_event("message_stop", &json!({"type": "message_stop"})));
    stream("text/event-stream; charset=utf-8", out)
}

// ------------------------------------------------------------------ Cohere

fn cohere_v1(b: &Value, streaming: bool) -> Answer {
    let tool = s(b, "/tools/0/name")
        .filter(|_| !after_tool_result(b))
        .map(String::from);
    let meta = json!({"api_version": {"version": "1"}, "billed_units": {"input_tokens": 12, "output_tokens": 9}, "tokens": {"input_tokens": 70, "output_tokens": 9}});
    let tool_calls = tool
        .as_ref()
        .map(|n| json!([{"name": n, "parameters": {"location": "Paris"}}]));
    let text = if tool.is_some() { "" } else { TEXT };
    let mut response = json!({"response_id": "resp-mock1", "text": text, "generation_id": "gen-mock1",
        "chat_history": [{"role": "USER", "message": b.get("message").cloned().unwrap_or(Value::Null)}, {"role": "CHATBOT", "message": text}],
        "finish_reason": "COMPLETE", "meta": meta});
    if let (Some(tc), Some(obj)) = (tool_calls.clone(), response.as_object_mut()) {
        obj.insert("tool_calls".into(), tc);
    }
    if !streaming {
        return json_answer(200, response);
    }
    let line = |v: Value| format!("{v}\n").into_bytes();
    let mut out = vec![line(
        json!({"is_finished": false, "event_type": "stream-start", "generation_id": "gen-mock1"}),
    )];
    if let Some(tc) = tool_calls {
        out.push(line(
            json!({"is_finished": false, "event_type": "tool-calls-generation", "tool_calls": tc}),
        ));
    } else {
        for p in PIECES {
            out.push(line(
                json!({"is_finished": false, "event_type": "text-generation", "text": p}),
            ));
        }
    }
    out.push(line(json!({"is_finished": true, "event_type": "stream-end", "finish_reason": "COMPLETE", "response": response})));
    stream("application/stream+json", out)
}

fn cohere_v2(b: &Value, streaming: bool) -> Answer {
    let tool = s(b, "/tools/0/function/name")
        .filter(|_| !after_tool_result(b))
        .map(String::from);
    let usage = json!({"billed_units": {"input_tokens": 12, "output_tokens": 9}, "tokens": {"input_tokens": 70, "output_tokens": 9}});
    let finish = if tool.is_some() {
        "TOOL_CALL"
    } else {
        "COMPLETE"
    };
    let message = match &tool {
        Some(n) => json!({"role": "assistant", "tool_plan": "I will look it up.",
            "tool_calls": [{"id": "call_mock1", "type": "function", "function": {"name": n, "arguments": TOOL_ARGS}}]}),
        None => json!({"role": "assistant", "content": [{"type": "text", "text": TEXT}]}),
    };
    if !streaming {
        return json_answer(
            200,
            json!({"id": "mock-v2-1", "finish_reason": finish, "message": message, "usage": usage}),
        );
    }
    let mut out = vec![sse_event(
        "message-start",
        &json!({"id": "mock-v2-1", "type": "message-start", "delta": {"message": {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}}}),
    )];
    match &tool {
        Some(n) => {
            out.push(sse_event("tool-call-start", &json!({"type": "tool-call-start", "index": 0, "delta": {"message": {"tool_calls": {"id": "call_mock1", "type": "function", "function": {"name": n, "arguments": ""}}}}})));
            out.push(sse_event("tool-call-delta", &json!({"type": "tool-call-delta", "index": 0, "delta": {"message": {"tool_calls": {"function": {"arguments": TOOL_ARGS}}}}})));
            out.push(sse_event(
                "tool-call-end",
                &json!({"type": "tool-call-end", "index": 0}),
            ));
        }
        None => {
            out.push(sse_event("content-start", &json!({"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}})));
            for p in PIECES {
                out.push(sse_event("content-delta", &json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": p}}}})));
            }
            out.push(sse_event(
                "content-end",
                &json!({"type": "content-end", "index": 0}),
            ));
        }
    }
    out.push(sse_event(
        "message-end",
        &json!({"type": "message-end", "delta": {"finish_reason": finish, "usage": usage}}),
    ));
    stream("text/event-stream", out)
}

fn cohere_embed(b: &Value, v2: bool) -> Answer {
    let texts: Vec<Value> = b
        .get("texts")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let vecs: Vec<Vec<f64>> = (0..texts.len().max(1)).map(embedding).collect();
    let meta = json!({"api_version": {"version": if v2 { "2" } else { "1" }}, "billed_units": {"input_tokens": 8}});
    if v2 {
        json_answer(
            200,
            json!({"id": "embed-mock1", "embeddings": {"float": vecs}, "texts": texts, "meta": meta, "response_type": "embeddings_by_type"}),
        )
    } else {
        json_answer(
            200,
            json!({"id": "embed-mock1", "embeddings": vecs, "texts": texts, "meta": meta, "response_type": "embeddings_floats"}),
        )
    }
}

// ------------------------------------------------------------------ Gemini

fn gemini_chunk(b: &Value, text: &str, last: bool) -> Value {
    let tool = s(b, "/tools/0/functionDeclarations/0/name")
        .or_else(|| s(b, "/tools/0/function_declarations/0/name"))
        .filter(|_| !after_tool_result(b));
    let parts = match tool {
        Some(n) if last => json!([{"functionCall": {"name": n, "args": {"location": "Paris"}}}]),
        _ => json!([{"text": text}]),
    };
    let mut c = json!({"candidates": [{"content": {"parts": parts, "role": "model"}, "index": 0}],
        "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 9, "totalTokenCount": 21}, "modelVersion": "gemini-2.0-flash", "responseId": "mock-gemini-1"});
    if last {
        if let Some(cand) = c
            .pointer_mut("/candidates/0")
            .and_then(Value::as_object_mut)
        {
            cand.insert("finishReason".into(), json!("STOP"));
        }
    }
    c
}

fn gemini_stream(b: &Value, alt_sse: bool) -> Answer {
    let has_tool = (s(b, "/tools/0/functionDeclarations/0/name").is_some()
        || s(b, "/tools/0/function_declarations/0/name").is_some())
        && !after_tool_result(b);
    let texts: Vec<&str> = if has_tool {
        vec![""]
    } else {
        vec!["Hello! How", " can I help", " you today?"]
    };
    let n = texts.len();
    let chunks: Vec<Value> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| gemini_chunk(b, t, i + 1 == n))
        .collect();
    if alt_sse {
        // Gemini's SSE uses CRLF line ends.
        return stream(
            "text/event-stream",
            chunks
                .iter()
                .map(|c| format!("data: {c}\r\n\r\n").into_bytes())
                .collect(),
        );
    }
    let mut out = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        out.push(format!("{}{c}", if i == 0 { "[" } else { ",\r\n" }).into_bytes());
    }
    out.push(b"]".to_vec());
    stream("application/json; charset=UTF-8", out)
}

// ------------------------------------------------------------------ Bedrock

fn bedrock_tool(b: &Value) -> Option<String> {
    if after_tool_result(b) {
        return None;
    }
    s(b, "/toolConfig/tools/0/toolSpec/name").map(String::from)
}

fn bedrock_converse(b: &Value) -> Answer {
    let (content, stop) = match bedrock_tool(b) {
        Some(n) => (
            json!([{"toolUse": {"toolUseId": "tooluse_mock1", "name": n, "input": {"location": "Paris"}}}]),
            "tool_use",
        ),
        None => (json!([{"text": TEXT}]), "end_turn"),
    };
    json_answer(
        200,
        json!({"output": {"message": {"role": "assistant", "content": content}}, "stopReason": stop,
        "usage": {"inputTokens": 12, "outputTokens": 9, "totalTokens": 21}, "metrics": {"latencyMs": 321}}),
    )
}

/// One AWS eventstream message (`application/vnd.amazon.eventstream`): prelude (total length,
/// headers length, prelude CRC32), string headers (type 7), payload, message CRC32; all
/// integers big-endian.
pub fn eventstream_message(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut h = Vec::new();
    for (k, v) in headers {
        h.push(k.len() as u8);
        h.extend_from_slice(k.as_bytes());
        h.push(7);
        h.extend_from_slice(&(v.len() as u16).to_be_bytes());
        h.extend_from_slice(v.as_bytes());
    }
    let total = 12 + h.len() + payload.len() + 4;
    let mut m = Vec::with_capacity(total);
    m.extend_from_slice(&(total as u32).to_be_bytes());
    m.extend_from_slice(&(h.len() as u32).to_be_bytes());
    let prelude_crc = crc32fast::hash(&m);
    m.extend_from_slice(&prelude_crc.to_be_bytes());
    m.extend_from_slice(&h);
    m.extend_from_slice(payload);
    let crc = crc32fast::hash(&m);
    m.extend_from_slice(&crc.to_be_bytes());
    m
}

fn bedrock_event(event: &str, payload: Value) -> Vec<u8> {
    eventstream_message(
        &[
            (":event-type", event),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        payload.to_string().as_bytes(),
    )
}

fn bedrock_stream(b: &Value) -> Answer {
    let mut out = vec![bedrock_event(
        "messageStart",
        json!({"p": "abcd", "role": "assistant"}),
    )];
    let stop = match bedrock_tool(b) {
        Some(n) => {
            out.push(bedrock_event("contentBlockStart", json!({"p": "ab", "contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": "tooluse_mock1", "name": n}}})));
            out.push(bedrock_event("contentBlockDelta", json!({"p": "abc", "contentBlockIndex": 0, "delta": {"toolUse": {"input": TOOL_ARGS}}})));
            out.push(bedrock_event(
                "contentBlockStop",
                json!({"p": "a", "contentBlockIndex": 0}),
            ));
            "tool_use"
        }
        None => {
            for p in PIECES {
                out.push(bedrock_event(
                    "contentBlockDelta",
                    json!({"p": "abcdef", "contentBlockIndex": 0, "delta": {"text": p}}),
                ));
            }
            out.push(bedrock_event(
                "contentBlockStop",
                json!({"p": "a", "contentBlockIndex": 0}),
            ));
            "end_turn"
        }
    };
    out.push(bedrock_event(
        "messageStop",
        json!({"p": "abcdefgh", "stopReason": stop}),
    ));
    out.push(bedrock_event("metadata", json!({"p": "ab", "usage": {"inputTokens": 12, "outputTokens": 9, "totalTokens": 21}, "metrics": {"latencyMs": 321}})));
    stream("application/vnd.amazon.eventstream", out)
}

fn bedrock_invoke(b: &Value) -> Answer {
    if let Some(texts) = b.get("texts").and_then(Value::as_array) {
        // Cohere Embed on Bedrock.
        let vecs: Vec<Vec<f64>> = (0..texts.len()).map(embedding).collect();
        return json_answer(
            200,
            json!({"id": "embed-mock1", "embeddings": vecs, "texts": texts, "response_type": "embeddings_floats"}),
        );
    }
    // Titan Text Embeddings.
    json_answer(
        200,
        json!({"embedding": embedding(0), "inputTextTokenCount": 8}),
    )
}

// ------------------------------------------------------------------ Ollama

fn ollama_chat(b: &Value, streaming: bool, generate: bool) -> Answer {
    let model = b.get("model").and_then(Value::as_str).unwrap_or("llama3.2");
    let tool = s(b, "/tools/0/function/name")
        .filter(|_| !after_tool_result(b))
        .map(String::from);
    let at = "2024-07-22T20:33:28.123456Z";
    let stats = json!({"total_duration": 4883583458u64, "load_duration": 1334875, "prompt_eval_count": 12,
        "prompt_eval_duration": 342546000, "eval_count": 9, "eval_duration": 4535599000u64});
    let msg = |content: &str, tools: Option<Value>| {
        let mut m = json!({"role": "assistant", "content": content});
        if let (Some(t), Some(o)) = (tools, m.as_object_mut()) {
            o.insert("tool_calls".into(), t);
        }
        m
    };
    let tool_calls = tool
        .as_ref()
        .map(|n| json!([{"function": {"name": n, "arguments": {"location": "Paris"}}}]));
    let final_obj = |content: &str, tools: Option<Value>| {
        let mut v = if generate {
            json!({"model": model, "created_at": at, "response": content, "done": true, "done_reason": "stop"})
        } else {
            json!({"model": model, "created_at": at, "message": msg(content, tools), "done": true, "done_reason": "stop"})
        };
        if let (Some(o), Some(st)) = (v.as_object_mut(), stats.as_object()) {
            o.extend(st.clone());
        }
        v
    };
    if !streaming {
        let text = if tool.is_some() { "" } else { TEXT };
        return json_answer(200, final_obj(text, tool_calls));
    }
    let mut out: Vec<Vec<u8>> = Vec::new();
    if let Some(tc) = tool_calls.clone() {
        out.push(format!("{}\n", json!({"model": model, "created_at": at, "message": msg("", Some(tc)), "done": false})).into_bytes());
    } else {
        for p in PIECES {
            let v = if generate {
                json!({"model": model, "created_at": at, "response": p, "done": false})
            } else {
                json!({"model": model, "created_at": at, "message": msg(p, None), "done": false})
            };
            out.push(format!("{v}\n").into_bytes());
        }
    }
    out.push(format!("{}\n", final_obj("", None)).into_bytes());
    stream("application/x-ndjson", out)
}
