//! Chat Completions answer → Responses object (OpenAI API reference: "The response object").

use serde_json::{json, Value};

/// The Responses `usage` for a chat `usage`.
pub fn usage(u: &Value) -> Value {
    let n = |p: &str| u.pointer(p).and_then(Value::as_u64).unwrap_or(0);
    let (input, output) = (n("/prompt_tokens"), n("/completion_tokens"));
    json!({"input_tokens": input,
        "input_tokens_details": {"cached_tokens": n("/prompt_tokens_details/cached_tokens")},
        "output_tokens": output,
        "output_tokens_details": {"reasoning_tokens": n("/completion_tokens_details/reasoning_tokens")},
        "total_tokens": input + output})
}

/// A Responses object around `output` (shared with the stream's `response.*` events).
pub fn envelope(id: &str, created: i64, model: &str, status: &str, output: Vec<Value>) -> Value {
    json!({"id": id, "object": "response", "created_at": created, "status": status,
        "error": null, "incomplete_details": null, "model": model, "output": output,
        "parallel_tool_calls": true, "previous_response_id": null, "store": false,
        "tool_choice": "auto", "tools": [], "usage": null, "metadata": {}})
}

/// Translates a chat answer body into a Responses body; `None` when it is not a chat answer.
pub fn from_chat(chat: &[u8]) -> Option<Vec<u8>> {
    let c: Value = serde_json::from_slice(chat).ok()?;
    let choice = c.pointer("/choices/0")?;
    let msg = choice.get("message")?;
    let base = c.get("id").and_then(Value::as_str).unwrap_or("mock");
    let mut output = Vec::new();
    if let Some(r) = msg
        .get("reasoning_content")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        output.push(json!({"type": "reasoning", "id": format!("rs_{base}"),
            "summary": [{"type": "summary_text", "text": r}]}));
    }
    if let Some(t) = msg.get("content").and_then(Value::as_str) {
        output.push(message_item(&format!("msg_{base}"), t, "completed"));
    }
    if let Some(calls) = msg.get("tool_calls").and_then(Value::as_array) {
        for call in calls {
            output.push(
                json!({"type": "function_call", "id": format!("fc_{}", s(call, "/id")),
                "call_id": s(call, "/id"), "name": s(call, "/function/name"),
                "arguments": s(call, "/function/arguments"), "status": "completed"}),
            );
        }
    }
    let length = choice.get("finish_reason") == Some(&json!("length"));
    let mut r = envelope(
        &format!("resp_{base}"),
        c.get("created").and_then(Value::as_i64).unwrap_or(0),
        c.get("model").and_then(Value::as_str).unwrap_or(""),
        if length { "incomplete" } else { "completed" },
        output,
    );
    if length {
        set(
            &mut r,
            "incomplete_details",
            json!({"reason": "max_output_tokens"}),
        );
    }
    if let Some(u) = c.get("usage").filter(|u| !u.is_null()) {
        set(&mut r, "usage", usage(u));
    }
    serde_json::to_vec(&r).ok()
}

/// An assistant message output item with one `output_text` part.
pub fn message_item(id: &str, text: &str, status: &str) -> Value {
    json!({"type": "message", "id": id, "status": status, "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}]})
}

fn s<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

/// Sets `key` on a JSON object (no-op on anything else: never panics).
pub fn set(v: &mut Value, key: &str, value: Value) {
    if let Value::Object(m) = v {
        m.insert(key.to_string(), value);
    }
}
