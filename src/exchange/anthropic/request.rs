//! Anthropic Messages request → the canonical OpenAI chat request (`crate::api::chat`), which
//! every provider encoder already takes. Reference: Anthropic API docs "Messages" (create a
//! message), "Tool use", "Vision", "Extended thinking", "Prompt caching"; the mapping rules are
//! listed in docs/claude-code.md.
//!
//! The result is a JSON value in the shape `POST /v1/chat/completions` takes, so the exchange
//! runs it through the same checks, option defaults and encoders as an OpenAI client's body.
//! What the canonical model cannot carry goes into [`Hints`] (applied to the encoded body).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::config::ProviderName;
use crate::error::ProxyError;
use crate::providers::bedrock::wire::CachePointBlock;

/// A request body of `POST /v1/messages` (the fields this filter reads; others are ignored).
#[derive(Debug, Deserialize)]
struct MessagesRequest {
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    max_tokens: Option<u64>,
    #[serde(default)]
    messages: Vec<InMessage>,
    #[serde(default)]
    system: Option<TextOrBlocks>,
    #[serde(default)]
    stop_sequences: Option<Vec<String>>,
    #[serde(default)]
    temperature: Option<f64>,
    #[serde(default)]
    top_p: Option<f64>,
    #[serde(default)]
    top_k: Option<u64>,
    #[serde(default)]
    stream: Option<bool>,
    #[serde(default)]
    tools: Option<Vec<InTool>>,
    #[serde(default)]
    tool_choice: Option<InToolChoice>,
    #[serde(default)]
    metadata: Option<InMetadata>,
    #[serde(default)]
    thinking: Option<InThinking>,
}

#[derive(Debug, Deserialize)]
struct InMessage {
    role: String,
    content: TextOrBlocks,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum TextOrBlocks {
    Text(String),
    Blocks(Vec<InBlock>),
}

/// A content block of a request turn. `cache_control` is kept where the provider caches by
/// breakpoint (Bedrock), `citations` are not kept.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum InBlock {
    Text {
        text: String,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    Image {
        source: InSource,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    Document {
        source: InSource,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    ToolResult {
        tool_use_id: String,
        #[serde(default)]
        content: Option<TextOrBlocks>,
        #[serde(default)]
        is_error: Option<bool>,
        #[serde(default)]
        cache_control: Option<CacheControl>,
    },
    /// Earlier reasoning: goes back to the provider that signed it (Bedrock, Gemini).
    Thinking {
        #[serde(default)]
        thinking: String,
        #[serde(default)]
        signature: Option<String>,
    },
    RedactedThinking {
        #[serde(default)]
        data: String,
    },
    /// Server-tool blocks and anything newer: only Anthropic can run them, so they are not
    /// sent to other providers.
    #[serde(other)]
    Other,
}

impl InBlock {
    fn cache_control(&self) -> Option<&CacheControl> {
        match self {
            InBlock::Text { cache_control, .. }
            | InBlock::Image { cache_control, .. }
            | InBlock::Document { cache_control, .. }
            | InBlock::ToolUse { cache_control, .. }
            | InBlock::ToolResult { cache_control, .. } => cache_control.as_ref(),
            _ => None,
        }
    }
}

/// `cache_control: {"type": "ephemeral", "ttl"?: "5m" | "1h"}`.
#[derive(Debug, Deserialize)]
struct CacheControl {
    #[serde(default)]
    ttl: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum InSource {
    Base64 {
        media_type: String,
        data: String,
    },
    Url {
        url: String,
    },
    Text {
        data: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Deserialize)]
struct InTool {
    /// Client tools have no `type` (or `custom`); server tools (`web_search_…`, `bash_…`)
    /// name a versioned type and have no schema.
    #[serde(rename = "type", default)]
    kind: Option<String>,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    input_schema: Option<Value>,
    #[serde(default)]
    cache_control: Option<CacheControl>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum InToolChoice {
    Auto {
        #[serde(default)]
        disable_parallel_tool_use: Option<bool>,
    },
    Any {
        #[serde(default)]
        disable_parallel_tool_use: Option<bool>,
    },
    Tool {
        name: String,
        #[serde(default)]
        disable_parallel_tool_use: Option<bool>,
    },
    None,
}

#[derive(Debug, Deserialize)]
struct InMetadata {
    #[serde(default)]
    user_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct InThinking {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    budget_tokens: Option<u64>,
}

/// What the canonical request cannot carry, applied to the provider body after encoding.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    /// `thinking.budget_tokens` of an enabled `thinking`.
    pub thinking_budget: Option<u64>,
    /// Bedrock: tools with `cache_control` — a `cachePoint` goes after each (position among
    /// the tools sent, its `ttl`).
    pub tool_cache_points: Vec<(usize, Option<String>)>,
}

/// What the provider takes beyond the canonical model (see [`Target::for_provider`]).
#[derive(Debug, Clone, Copy, Default)]
struct Target {
    /// `cache_control` becomes `cache_point` parts (Bedrock `cachePoint`).
    cache: bool,
    /// Signed `thinking` blocks go back as `thinking` parts (Bedrock, Gemini).
    thinking: bool,
    /// `redacted_thinking` blocks go back as `redacted_thinking` parts (Bedrock).
    redacted: bool,
}

impl Target {
    fn for_provider(provider: ProviderName, model: &str) -> Target {
        match provider {
            ProviderName::Bedrock => Target {
                cache: bedrock_caches(model),
                thinking: true,
                redacted: true,
            },
            ProviderName::Gemini => Target {
                cache: false,
                thinking: true,
                redacted: false,
            },
            _ => Target::default(),
        }
    }

    /// The `cache_point` part for a block's `cache_control`, where the provider takes it.
    fn cache_point(&self, cc: Option<&CacheControl>) -> Option<Value> {
        let cc = cc.filter(|_| self.cache)?;
        Some(match cc.ttl.as_deref() {
            Some(ttl) => json!({"type": "cache_point", "ttl": ttl}),
            None => json!({"type": "cache_point"}),
        })
    }
}

/// Bedrock models with prompt caching (Bedrock User Guide "Prompt caching": Claude and Nova
/// models); an ARN (inference profile) cannot be told apart and is treated as one that caches.
pub fn bedrock_caches(model: &str) -> bool {
    model.contains("anthropic.claude") || model.contains("amazon.nova") || model.starts_with("arn:")
}

/// The canonical OpenAI chat body for an Anthropic Messages body, and the hints.
pub fn to_openai(
    body: &Value,
    provider: ProviderName,
    model: Option<&str>,
) -> Result<(Value, Hints), ProxyError> {
    let req: MessagesRequest = serde::Deserialize::deserialize(body)
        .map_err(|e| ProxyError::bad_request(format!("invalid Messages request: {e}")))?;
    let mut out = Map::new();
    let model = model.map(str::to_string).or(req.model.clone());
    if let Some(m) = &req.model {
        out.insert("model".into(), Value::String(m.clone()));
    }
    let target = Target::for_provider(provider, model.as_deref().unwrap_or(""));
    let mut messages = Vec::new();
    match &req.system {
        Some(TextOrBlocks::Text(s)) if !s.is_empty() => {
            messages.push(json!({"role": "system", "content": s}));
        }
        Some(TextOrBlocks::Blocks(blocks)) => {
            for b in blocks {
                if let InBlock::Text { text, .. } = b {
                    let content = match target.cache_point(b.cache_control()) {
                        Some(cp) => json!([{"type": "text", "text": text}, cp]),
                        None => Value::String(text.clone()),
                    };
                    messages.push(json!({"role": "system", "content": content}));
                }
            }
        }
        _ => {}
    }
    for m in &req.messages {
        match m.role.as_str() {
            "user" => user_turn(&m.content, target, &mut messages),
            "assistant" => messages.push(assistant_turn(&m.content, target)),
            other => {
                return Err(ProxyError::bad_request(format!(
                    "messages: unexpected role '{other}' (user or assistant)"
                )))
            }
        }
    }
    out.insert("messages".into(), Value::Array(messages));
    let stream = req.stream.unwrap_or(false);
    out.insert("stream".into(), Value::Bool(stream));
    if stream {
        out.insert("stream_options".into(), json!({"include_usage": true}));
    }
    if let Some(n) = req.max_tokens {
        // OpenAI's reasoning models refuse `max_tokens`; the current name works for all.
        let key = if matches!(provider, ProviderName::Openai | ProviderName::Azure) {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        out.insert(key.into(), Value::from(n));
    }
    for (k, v) in [("temperature", req.temperature), ("top_p", req.top_p)] {
        if let Some(v) = v {
            out.insert(k.into(), Value::from(v));
        }
    }
    if let Some(k) = req.top_k {
        out.insert("top_k".into(), Value::from(k));
    }
    if let Some(stop) = req.stop_sequences.filter(|s| !s.is_empty()) {
        out.insert("stop".into(), Value::from(stop));
    }
    if let Some(user) = req.metadata.and_then(|m| m.user_id) {
        out.insert("user".into(), Value::String(user));
    }
    let mut hints = Hints::default();
    let tools: Vec<Value> = req
        .tools
        .iter()
        .flatten()
        .filter(|t| matches!(t.kind.as_deref(), None | Some("custom")))
        .enumerate()
        .map(|(i, t)| {
            if let Some(cc) = t.cache_control.as_ref().filter(|_| target.cache) {
                hints.tool_cache_points.push((i, cc.ttl.clone()));
            }
            let mut f = Map::new();
            f.insert("name".into(), Value::String(t.name.clone()));
            if let Some(d) = &t.description {
                f.insert("description".into(), Value::String(d.clone()));
            }
            let schema = t
                .input_schema
                .clone()
                .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
            f.insert("parameters".into(), schema);
            json!({"type": "function", "function": f})
        })
        .collect();
    let has_tools = !tools.is_empty();
    if has_tools {
        out.insert("tools".into(), Value::Array(tools));
    }
    if let Some(choice) = req.tool_choice.filter(|_| has_tools) {
        let (value, disable) = match choice {
            InToolChoice::Auto {
                disable_parallel_tool_use,
            } => (json!("auto"), disable_parallel_tool_use),
            InToolChoice::Any {
                disable_parallel_tool_use,
            } => (json!("required"), disable_parallel_tool_use),
            InToolChoice::Tool {
                name,
                disable_parallel_tool_use,
            } => (
                json!({"type": "function", "function": {"name": name}}),
                disable_parallel_tool_use,
            ),
            InToolChoice::None => (json!("none"), None),
        };
        out.insert("tool_choice".into(), value);
        if disable == Some(true) {
            out.insert("parallel_tool_calls".into(), Value::Bool(false));
        }
    }
    if let Some(t) = req.thinking.filter(|t| t.kind == "enabled") {
        let model = model.as_deref().unwrap_or("");
        if provider == ProviderName::Gemini {
            hints.thinking_budget = gemini_thinking_budget(model, t.budget_tokens);
        }
        apply_thinking(&mut out, provider, model, t.budget_tokens);
    }
    Ok((Value::Object(out), hints))
}

/// `thinking` where the canonical request has a place for it: `reasoning_effort` for OpenAI's
/// reasoning models (o-series, gpt-5; other models refuse the field), Bedrock's
/// `additionalModelRequestFields.thinking` for Claude on Bedrock. Gemini gets its
/// `thinkingConfig` from [`Hints`] after encoding; other providers have no such control.
fn apply_thinking(
    out: &mut Map<String, Value>,
    provider: ProviderName,
    model: &str,
    budget: Option<u64>,
) {
    match provider {
        ProviderName::Openai | ProviderName::Azure if is_openai_reasoning_model(model) => {
            out.insert(
                "reasoning_effort".into(),
                Value::from(reasoning_effort(budget)),
            );
        }
        ProviderName::Bedrock if model.contains("anthropic.") => {
            let mut thinking = json!({"type": "enabled"});
            if let (Some(b), Value::Object(t)) = (budget, &mut thinking) {
                t.insert("budget_tokens".into(), Value::from(b));
            }
            out.insert(
                "bedrock".into(),
                json!({"additionalModelRequestFields": {"thinking": thinking}}),
            );
        }
        _ => {}
    }
}

/// Gemini's `thinkingBudget` for a Claude budget: only models with a thinking budget
/// (`gemini-2.5…`, `gemini-3…`; others refuse `thinkingConfig`), capped at the model's maximum
/// (32,768 for Pro models, 24,576 for the others, per Gemini's "Thinking" guide).
pub fn gemini_thinking_budget(model: &str, budget: Option<u64>) -> Option<u64> {
    let m = model.rsplit('/').next().unwrap_or(model);
    if !(m.starts_with("gemini-2.5") || m.starts_with("gemini-3")) {
        return None;
    }
    let cap = if m.contains("-pro") { 32_768 } else { 24_576 };
    Some(budget.unwrap_or(8_192).min(cap))
}

/// OpenAI models that take `reasoning_effort` (by name: `o1`, `o3`, `o4-mini`, `gpt-5…`).
pub fn is_openai_reasoning_model(model: &str) -> bool {
    let m = model.rsplit('/').next().unwrap_or(model);
    m.starts_with("gpt-5")
        || (m.starts_with('o') && m.chars().nth(1).is_some_and(|c| c.is_ascii_digit()))
}

/// A thinking budget as an effort level: under 4,096 tokens `low`, under 16,384 `medium`,
/// else `high` (no budget: `medium`, OpenAI's default).
pub fn reasoning_effort(budget: Option<u64>) -> &'static str {
    match budget {
        Some(b) if b < 4096 => "low",
        Some(b) if b >= 16384 => "high",
        _ => "medium",
    }
}

/// A user turn: its `tool_result` blocks become `tool` messages (first: OpenAI wants them
/// right after the assistant turn that made the calls), the rest one user message. Images in a
/// tool result go into that user message, since OpenAI tool messages take text only.
fn user_turn(content: &TextOrBlocks, target: Target, out: &mut Vec<Value>) {
    let blocks = match content {
        TextOrBlocks::Text(s) => {
            out.push(json!({"role": "user", "content": s}));
            return;
        }
        TextOrBlocks::Blocks(b) => b,
    };
    let mut parts: Vec<Value> = Vec::new();
    for b in blocks {
        match b {
            InBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
                cache_control,
            } => {
                let mut text = String::new();
                let mut images = Vec::new();
                match content {
                    Some(TextOrBlocks::Text(s)) => text.push_str(s),
                    Some(TextOrBlocks::Blocks(inner)) => {
                        for ib in inner {
                            match ib {
                                InBlock::Text { text: t, .. } => {
                                    if !text.is_empty() {
                                        text.push('\n');
                                    }
                                    text.push_str(t);
                                }
                                other => images.extend(part(other)),
                            }
                        }
                    }
                    None => {}
                }
                if is_error == &Some(true) {
                    text = format!("Error: {text}");
                }
                let content = match target.cache_point(cache_control.as_ref()) {
                    Some(cp) => json!([{"type": "text", "text": text}, cp]),
                    None => Value::String(text),
                };
                out.push(json!({"role": "tool", "tool_call_id": tool_use_id, "content": content}));
                parts.extend(images);
            }
            other => {
                parts.extend(part(other));
                parts.extend(target.cache_point(other.cache_control()));
            }
        }
    }
    if parts.is_empty() {
        return;
    }
    let all_text = parts
        .iter()
        .all(|p| p.get("type").and_then(Value::as_str) == Some("text"));
    if all_text && parts.len() == 1 {
        if let Some(t) = parts.first().and_then(|p| p.get("text")).cloned() {
            out.push(json!({"role": "user", "content": t}));
            return;
        }
    }
    out.push(json!({"role": "user", "content": parts}));
}

/// One user block as an OpenAI content part (`None`: nothing to send).
fn part(block: &InBlock) -> Option<Value> {
    match block {
        InBlock::Text { text, .. } => Some(json!({"type": "text", "text": text})),
        InBlock::Image { source, .. } => {
            let url = match source {
                InSource::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
                InSource::Url { url } => url.clone(),
                _ => return None,
            };
            Some(json!({"type": "image_url", "image_url": {"url": url}}))
        }
        InBlock::Document { source, .. } => match source {
            InSource::Text { data } => Some(json!({"type": "text", "text": data})),
            _ => Some(json!({"type": "text", "text": "[document not supported by this model]"})),
        },
        _ => None,
    }
}

/// An assistant turn: text blocks joined, `tool_use` blocks as `tool_calls`. Where the
/// provider takes them, signed reasoning and cache breakpoints make the content a list of
/// parts (`thinking`, `redacted_thinking`, `text`, `cache_point`).
fn assistant_turn(content: &TextOrBlocks, target: Target) -> Value {
    let blocks = match content {
        TextOrBlocks::Text(s) => return json!({"role": "assistant", "content": s}),
        TextOrBlocks::Blocks(b) => b,
    };
    let mut text = String::new();
    let mut calls = Vec::new();
    // Parts beside the text: reasoning first, breakpoints after.
    let mut reasoning = Vec::new();
    let mut cache = None;
    for b in blocks {
        if cache.is_none() {
            cache = target.cache_point(b.cache_control());
        }
        match b {
            InBlock::Text { text: t, .. } => text.push_str(t),
            InBlock::Thinking {
                thinking,
                signature,
            } => {
                let signature = signature.as_deref().filter(|s| !s.is_empty());
                if let (true, Some(sig)) = (target.thinking, signature) {
                    reasoning
                        .push(json!({"type": "thinking", "thinking": thinking, "signature": sig}));
                }
            }
            InBlock::RedactedThinking { data } if target.redacted && !data.is_empty() => {
                reasoning.push(json!({"type": "redacted_thinking", "data": data}));
            }
            InBlock::ToolUse {
                id, name, input, ..
            } => {
                let args = match input {
                    Value::Null => "{}".to_string(),
                    v => v.to_string(),
                };
                calls.push(json!({
                    "id": id, "type": "function",
                    "function": {"name": name, "arguments": args},
                }));
            }
            _ => {}
        }
    }
    let mut m = Map::new();
    m.insert("role".into(), json!("assistant"));
    if !reasoning.is_empty() || cache.is_some() {
        let mut parts = reasoning;
        if !text.is_empty() {
            parts.push(json!({"type": "text", "text": text}));
        }
        parts.extend(cache);
        m.insert("content".into(), Value::Array(parts));
    } else if calls.is_empty() || !text.is_empty() {
        m.insert("content".into(), Value::String(text));
    }
    if !calls.is_empty() {
        m.insert("tool_calls".into(), Value::Array(calls));
    }
    Value::Object(m)
}

/// Applies [`Hints`] to an encoded provider body: Gemini's
/// `generationConfig.thinkingConfig` (`thinkingBudget`, `includeThoughts`), Bedrock's
/// `cachePoint` entries in `toolConfig.tools`.
pub fn apply_hints(provider: ProviderName, hints: &Hints, body: &mut Vec<u8>) {
    let gemini_budget = hints
        .thinking_budget
        .filter(|_| provider == ProviderName::Gemini);
    let tool_points = provider == ProviderName::Bedrock && !hints.tool_cache_points.is_empty();
    if gemini_budget.is_none() && !tool_points {
        return;
    }
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    if let Some(budget) = gemini_budget {
        let gc = map
            .entry("generationConfig")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(gc) = gc {
            gc.insert(
                "thinkingConfig".into(),
                json!({"thinkingBudget": budget, "includeThoughts": true}),
            );
        }
    }
    if tool_points {
        let tools = map
            .get_mut("toolConfig")
            .and_then(|t| t.get_mut("tools"))
            .and_then(Value::as_array_mut);
        if let Some(tools) = tools {
            // From the last, so earlier positions stay valid.
            for (i, ttl) in hints.tool_cache_points.iter().rev() {
                let point = serde_json::to_value(CachePointBlock::new(ttl.as_deref()));
                if let (true, Ok(point)) = (*i < tools.len(), point) {
                    tools.insert(i + 1, json!({ "cachePoint": point }));
                }
            }
        }
    }
    if let Ok(b) = serde_json::to_vec(&Value::Object(map)) {
        *body = b;
    }
}
