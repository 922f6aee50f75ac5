//! Responses request → Chat Completions request (OpenAI API reference: "Create a model
//! response" and "Create chat completion").

use serde_json::{json, Map, Value};

use super::response::set;
use crate::error::ProxyError;

fn bad(msg: impl Into<String>) -> ProxyError {
    ProxyError::bad_request(msg)
}

/// Translates a Responses API body into a Chat Completions body.
pub fn to_chat(body: &[u8], provider: &str) -> Result<Vec<u8>, ProxyError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| bad(crate::error::text::BAD_JSON))?;
    let Value::Object(req) = v else {
        return Err(bad(crate::error::text::BAD_JSON));
    };
    if req
        .get("previous_response_id")
        .is_some_and(|p| !p.is_null())
    {
        return Err(bad(format!(
            "previous_response_id is not supported with provider '{provider}': the gateway keeps no conversation state; send the whole conversation in 'input'"
        )));
    }
    let mut out = Map::new();
    let mut messages = Vec::new();
    if let Some(i) = req.get("instructions").and_then(Value::as_str) {
        messages.push(json!({"role": "system", "content": i}));
    }
    match req.get("input") {
        Some(Value::String(s)) => messages.push(json!({"role": "user", "content": s})),
        Some(Value::Array(items)) => {
            for item in items {
                input_item(item, &mut messages)?;
            }
        }
        _ => return Err(bad("request body doesn't contain valid input")),
    }
    out.insert("messages".into(), Value::Array(messages));
    for (from, to) in [
        ("model", "model"),
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("max_output_tokens", "max_tokens"),
        ("parallel_tool_calls", "parallel_tool_calls"),
        ("user", "user"),
        ("stream", "stream"),
    ] {
        if let Some(v) = req.get(from).filter(|v| !v.is_null()) {
            out.insert(to.into(), v.clone());
        }
    }
    if req.get("stream") == Some(&Value::Bool(true)) {
        out.insert("stream_options".into(), json!({"include_usage": true}));
    }
    if let Some(effort) = req
        .get("reasoning")
        .and_then(|r| r.get("effort"))
        .filter(|v| !v.is_null())
    {
        out.insert("reasoning_effort".into(), effort.clone());
    }
    if let Some(tools) = req.get("tools").and_then(Value::as_array) {
        let tools = tools.iter().map(tool).collect::<Result<Vec<_>, _>>()?;
        if !tools.is_empty() {
            out.insert("tools".into(), Value::Array(tools));
        }
    }
    if let Some(choice) = req.get("tool_choice").filter(|v| !v.is_null()) {
        out.insert("tool_choice".into(), tool_choice(choice));
    }
    if let Some(format) = req.get("text").and_then(|t| t.get("format")) {
        if let Some(f) = response_format(format) {
            out.insert("response_format".into(), f);
        }
    }
    serde_json::to_vec(&out).map_err(|e| ProxyError::Internal(e.to_string()))
}

/// One `input` item → zero or more chat messages (consecutive function calls join one
/// assistant message, as Chat Completions expects).
fn input_item(item: &Value, messages: &mut Vec<Value>) -> Result<(), ProxyError> {
    let kind = item
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("message");
    match kind {
        "message" => {
            let role = match item.get("role").and_then(Value::as_str) {
                Some("developer") | Some("system") => "system",
                Some("assistant") => "assistant",
                Some("user") | None => "user",
                Some(other) => return Err(bad(format!("unknown input role '{other}'"))),
            };
            let content = match item.get("content") {
                Some(Value::String(s)) => Value::String(s.clone()),
                Some(Value::Array(parts)) => {
                    Value::Array(parts.iter().map(content_part).collect::<Result<_, _>>()?)
                }
                _ => return Err(bad("input message without content")),
            };
            messages.push(json!({"role": role, "content": content}));
        }
        "function_call" => {
            let call = json!({"id": item.get("call_id").cloned().unwrap_or(Value::Null), "type": "function",
                "function": {"name": item.get("name").cloned().unwrap_or(Value::Null),
                    "arguments": item.get("arguments").cloned().unwrap_or(json!("{}"))}});
            let joins = messages.last().is_some_and(|m| {
                m.get("role") == Some(&json!("assistant")) && m.get("tool_calls").is_some()
            });
            match messages.last_mut() {
                Some(Value::Object(m)) if joins => {
                    if let Some(Value::Array(calls)) = m.get_mut("tool_calls") {
                        calls.push(call);
                    }
                }
                _ => messages
                    .push(json!({"role": "assistant", "content": null, "tool_calls": [call]})),
            }
        }
        "function_call_output" => {
            let output = match item.get("output") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            messages.push(json!({"role": "tool",
                "tool_call_id": item.get("call_id").cloned().unwrap_or(Value::Null), "content": output}));
        }
        // Reasoning items of earlier turns carry no text a chat provider can take back.
        "reasoning" => {}
        other => {
            return Err(bad(format!(
                "input item type '{other}' needs the provider's own Responses API"
            )))
        }
    }
    Ok(())
}

fn content_part(part: &Value) -> Result<Value, ProxyError> {
    let kind = part.get("type").and_then(Value::as_str).unwrap_or("");
    Ok(match kind {
        "input_text" | "output_text" | "text" => {
            json!({"type": "text", "text": part.get("text").cloned().unwrap_or(json!(""))})
        }
        "input_image" => {
            let url = part
                .get("image_url")
                .cloned()
                .ok_or_else(|| bad("input_image without image_url (file_id needs the provider's own Responses API)"))?;
            let mut image = json!({"url": url});
            if let Some(d) = part.get("detail") {
                set(&mut image, "detail", d.clone());
            }
            json!({"type": "image_url", "image_url": image})
        }
        other => {
            return Err(bad(format!(
                "content part type '{other}' is not supported on this provider"
            )))
        }
    })
}

fn tool(t: &Value) -> Result<Value, ProxyError> {
    match t.get("type").and_then(Value::as_str) {
        Some("function") => {
            let mut f = Map::new();
            for k in ["name", "description", "parameters", "strict"] {
                if let Some(v) = t.get(k).filter(|v| !v.is_null()) {
                    f.insert(k.into(), v.clone());
                }
            }
            Ok(json!({"type": "function", "function": f}))
        }
        other => Err(bad(format!(
            "tool type '{}' needs the provider's own Responses API (only function tools are translated)",
            other.unwrap_or("")
        ))),
    }
}

fn tool_choice(c: &Value) -> Value {
    match c.get("type").and_then(Value::as_str) {
        Some("function") => {
            json!({"type": "function", "function": {"name": c.get("name").cloned().unwrap_or(Value::Null)}})
        }
        _ => c.clone(),
    }
}

fn response_format(f: &Value) -> Option<Value> {
    match f.get("type").and_then(Value::as_str)? {
        "json_schema" => {
            let mut s = Map::new();
            for k in ["name", "schema", "strict", "description"] {
                if let Some(v) = f.get(k) {
                    s.insert(k.into(), v.clone());
                }
            }
            Some(json!({"type": "json_schema", "json_schema": s}))
        }
        "json_object" => Some(json!({"type": "json_object"})),
        _ => None,
    }
}
