//! Canonical OpenAI chat answers → Anthropic Messages answers, and provider errors →
//! Anthropic's error shape. References: Anthropic API docs "Messages" (the `message` object,
//! `stop_reason`, `usage`), "Prompt caching" (cache usage fields), "Errors" (types by status).

use serde_json::{json, Map, Value};

use crate::api::chat::{ChatResponse, ReasoningBlock};
use crate::api::{FinishReason, Usage};

/// `stop_reason` for an OpenAI finish reason; a turn that called tools is `tool_use` whatever
/// the provider said.
pub fn stop_reason(finish: Option<FinishReason>, called_tools: bool) -> &'static str {
    if called_tools {
        return "tool_use";
    }
    match finish {
        Some(FinishReason::Length) => "max_tokens",
        Some(FinishReason::ToolCalls | FinishReason::FunctionCall) => "tool_use",
        Some(FinishReason::ContentFilter) => "refusal",
        Some(FinishReason::Stop) | None => "end_turn",
    }
}

/// Anthropic usage from OpenAI usage: Anthropic's `input_tokens` excludes the cached part, so
/// input = prompt − cache reads − cache writes.
pub fn usage(u: Option<&Usage>) -> Value {
    let u = u.cloned().unwrap_or_default();
    let details = u.prompt_tokens_details.unwrap_or_default();
    let read = details.cached_tokens.unwrap_or(0);
    let write = details.cache_creation_tokens.unwrap_or(0);
    json!({
        "input_tokens": u.prompt_tokens.saturating_sub(read).saturating_sub(write),
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
        "output_tokens": u.completion_tokens,
    })
}

/// A tool call's arguments string as the `input` object (`{}` when empty or not an object).
pub fn tool_input(arguments: &str) -> Value {
    match serde_json::from_slice::<Value>(arguments.as_bytes()) {
        Ok(v @ Value::Object(_)) => v,
        _ => Value::Object(Map::new()),
    }
}

/// An Anthropic message id: the provider's id when it has one, with the `msg_` prefix.
pub fn message_id(id: &str) -> String {
    if id.starts_with("msg_") {
        id.to_string()
    } else {
        format!("msg_{}", id.trim_start_matches("chatcmpl-"))
    }
}

/// The Anthropic `message` for a canonical chat answer (first choice).
pub fn to_anthropic(resp: &ChatResponse, fallback_model: &str) -> Value {
    let mut content = Vec::new();
    let mut finish = None;
    let mut called = false;
    if let Some(choice) = resp.choices.first() {
        let m = &choice.message;
        finish = choice.finish_reason;
        if m.reasoning_blocks.is_empty() {
            if let Some(r) = m.reasoning_content.as_deref().filter(|r| !r.is_empty()) {
                content.push(json!({"type": "thinking", "thinking": r, "signature": ""}));
            }
        }
        for b in &m.reasoning_blocks {
            content.push(thinking_block(b));
        }
        let text = m
            .content
            .as_deref()
            .or(m.refusal.as_deref())
            .filter(|t| !t.is_empty());
        if let Some(t) = text {
            content.push(json!({"type": "text", "text": t}));
        }
        for call in m.tool_calls.iter().flatten() {
            called = true;
            content.push(json!({
                "type": "tool_use",
                "id": call.id,
                "name": call.function.name,
                "input": tool_input(&call.function.arguments),
            }));
        }
    }
    json!({
        "id": message_id(&resp.id),
        "type": "message",
        "role": "assistant",
        "model": resp.model.as_deref().unwrap_or(fallback_model),
        "content": content,
        "stop_reason": stop_reason(finish, called),
        "stop_sequence": null,
        "usage": usage(resp.usage.as_ref()),
    })
}

/// A provider's reasoning block as Anthropic's `thinking` block (with the provider's
/// signature, empty when it gave none) or `redacted_thinking` block.
pub fn thinking_block(b: &ReasoningBlock) -> Value {
    match &b.redacted {
        Some(data) => json!({"type": "redacted_thinking", "data": data}),
        None => json!({
            "type": "thinking",
            "thinking": b.text,
            "signature": b.signature.as_deref().unwrap_or(""),
        }),
    }
}

/// Anthropic's error type for an HTTP status ("Errors").
pub fn error_type(status: u16) -> &'static str {
    match status {
        400 | 422 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        503 | 529 => "overloaded_error",
        _ => "api_error",
    }
}

/// A provider's error body in Anthropic's shape. The message is the provider's own where one
/// of the usual places has it (`error.message`, `message`, `Message`, `error` as a string,
/// `detail`), else the body text itself.
pub fn error_body(status: u16, body: &[u8]) -> Vec<u8> {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    // A JSON array (Gemini on some errors) holds the error object first.
    let v = match parsed {
        Some(Value::Array(items)) => items.into_iter().next(),
        other => other,
    };
    let message = v
        .as_ref()
        .and_then(|v| {
            [
                v.get("error").and_then(|e| e.get("message")),
                v.get("message"),
                v.get("Message"),
                v.get("error").filter(|e| e.is_string()),
                v.get("detail").filter(|e| e.is_string()),
            ]
            .into_iter()
            .flatten()
            .find_map(Value::as_str)
            .map(str::to_string)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(body).trim().to_string());
    let message = if message.is_empty() {
        format!("upstream answered HTTP {status}")
    } else {
        message
    };
    let out = json!({
        "type": "error",
        "error": {"type": error_type(status), "message": message},
    });
    serde_json::to_vec(&out).unwrap_or_default()
}
